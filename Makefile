# The two commands of the README: `make run` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# the peers' samplers (nutpie, PyMC) for bench/peers.py, in a venv of their own: never the app's
PEERS_VENV ?= .venv-peers
PEERS_PY := $(PEERS_VENV)/bin/python
PORT ?= 8501

.PHONY: run test lint format bench bench-peers load screenshots clean

$(VENV)/.run-installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.run-installed requirements-dev.txt
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.run-installed
	$(PY) -m streamlit run app.py --server.port $(PORT)

lint: $(VENV)/.dev-installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: lint
	$(PY) -m pytest -n 2 --dist loadfile

format: $(VENV)/.dev-installed
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

# Every section, the peers' included (their samplers run in .venv-peers, below): writes bench/RESULTS.md,
# whose tables README quotes. About an hour on 2 quiet cores.
bench: $(VENV)/.dev-installed $(PEERS_VENV)/.installed
	HBVIZ_PEERS_PYTHON=$(abspath $(PEERS_PY)) $(PY) bench/run.py

# hbviz's NUTS refit against nutpie, PyMC and NumPyro (bench/peers.py; 13-23 minutes at load 6-14), in a venv
# of its own so that the peers' packages never reach the app's: writes its section of bench/RESULTS.md.
$(PEERS_VENV)/.installed: requirements.txt bench/requirements-peers.txt
	test -x $(PEERS_PY) || $(PYTHON) -m venv $(PEERS_VENV)
	$(PEERS_PY) -m pip install --quiet --upgrade pip
	$(PEERS_PY) -m pip install --quiet -r requirements.txt -r bench/requirements-peers.txt
	touch $@

bench-peers: $(VENV)/.dev-installed $(PEERS_VENV)/.installed
	HBVIZ_PEERS_PYTHON=$(abspath $(PEERS_PY)) $(PY) bench/run.py --only peers --into-results

# The server's capacity: 25, 50 and 100 websocket sessions on one server, then on two behind nginx
# (Debian's nginx: apt-get install -y nginx). About 20 minutes; writes bench/LOAD.md.
load: $(VENV)/.dev-installed
	$(PY) -m bench.load

# Refresh the README's screenshots from a run of the browser tests.
screenshots: $(VENV)/.dev-installed
	$(PY) -m pytest -m browser -k every_page_loads
	mkdir -p docs/screenshots
	cp tests/screenshots/*.png docs/screenshots/

clean:
	rm -rf $(VENV) $(PEERS_VENV) .jax_cache .pytest_cache .ruff_cache
