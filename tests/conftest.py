"""Shared fixtures: the bundled data and fixed seeds (tests never depend on global random state),
the test run's bounds on waiting, which hold on a busy machine too, the page fixtures and the
readers of what a page shows (figures, metrics, Plotly's typed arrays)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

# The app warms its samplers in a background thread on a server's first request; in tests that
# would compete with the test's own compile work, so it is off (tests/test_warmup.py runs it
# directly; the load test turns it on for its own server, as a lecture server has it).
os.environ.setdefault("HBVIZ_WARM_UP", "0")
# in-process tests compile in-process (fast); servers the tests start build in a child, as a
# user's server does (bench/load/servers.py), and test_exported tests the child on its own
os.environ.setdefault("HBVIZ_COMPILE_IN_CHILD", "0")
# One persistent JAX compilation cache for the whole run: this process, every `streamlit run`
# server and bench child it starts (they inherit the environment). A fresh clone starts with it
# empty and fills it; later runs load compiled programs instead of compiling them.
os.environ.setdefault(
    "HBVIZ_JAX_CACHE_DIR", str(Path(__file__).resolve().parent.parent / ".jax_cache")
)
# (the imports below come after: hbviz reads both variables when it is imported)

import numpy as np
import pytest
import streamlit as st
from hypothesis import HealthCheck, settings
from streamlit.testing.v1 import AppTest

from hbviz import datasets

ROOT = Path(__file__).resolve().parent.parent
# How long one AppTest script run may take before the test fails ("AppTest script run timed
# out after …"). Generous: a first run compiles NUTS models, which takes seconds on an idle
# machine with a warm cache and minutes on a loaded one with an empty cache.
APP_TIMEOUT = float(os.environ.get("HBVIZ_APP_TIMEOUT", "600"))
# The columns of a posterior summary (hbviz.nuts.posterior_summary), in their published order.
SUMMARY_COLUMNS = ["mean", "sd", "median", "5%", "95%", "n_eff", "ess_tail", "r_hat"]

# Hypothesis: no per-example deadline (its default, 200 ms, fails any example that compiles or
# runs while the machine is busy) and no "too slow" health check, for every property test,
# including those whose own @settings do not say so (they inherit this profile).
settings.register_profile(
    "hbviz", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.load_profile("hbviz")


@pytest.fixture(scope="session")
def schools():
    df = datasets.eight_schools()
    return df["y"].to_numpy(), df["sigma"].to_numpy()


@pytest.fixture(scope="session")
def rats():
    df = datasets.rat_tumor()
    return df["y"].to_numpy(), df["n"].to_numpy()


@pytest.fixture
def rng():
    return np.random.default_rng(20261123)


@pytest.fixture
def app_page():
    """Factory for an AppTest of one page of the real app (router included), caches cleared.

    ``app_page("pages/eight_schools.py", query={"tau": "5"})`` runs app.py, switches to the page
    with those query parameters, and returns the AppTest after its first run. Streamlit's caches
    outlive AppTest instances in one process, so they are cleared first.
    """
    st.cache_data.clear()
    st.cache_resource.clear()

    def make(page: str, *, query: dict[str, str] | None = None, timeout: float = APP_TIMEOUT):
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
        for name, value in (query or {}).items():
            at.query_params[name] = value
        at.switch_page(page)
        return at.run()

    return make


@pytest.fixture
def page(app_page, request):
    """Factory for the test module's ``PAGE`` run with query parameters (on top of the module's
    ``DEFAULT_QUERY``, if any), checked to have raised nothing: ``page(tau="5")``."""
    path, base = request.module.PAGE, getattr(request.module, "DEFAULT_QUERY", {})

    def make(**query):
        at = app_page(path, query=base | query)
        assert not at.exception, at.exception
        return at

    return make


# What a page shows, read from an AppTest run (shared by the tests/test_page_*.py files).


def figures(at) -> list[dict]:
    """The figure JSON of every Plotly chart on the page, in page order."""
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def array(value) -> np.ndarray:
    """A figure-JSON array: a list, or Plotly's typed array {"dtype": ..., "bdata": base64}."""
    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
    return np.asarray(value)


def metrics(at) -> dict[str, str]:
    """Every metric shown, label → value."""
    return {m.label: m.value for m in at.metric}


def metric(at, label_start: str) -> str:
    """The value of the first metric whose label starts with ``label_start``."""
    return next(m.value for m in at.metric if m.label.startswith(label_start))
