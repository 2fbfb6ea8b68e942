"""A fresh server, warm-up on, and four sessions opening the NUTS pages at the same moment.

Their first fits, and the warm-up thread's, trace NumPyro models in threads of one process; before
the tracing lock (hbviz._concurrency) they crashed each other. The server is a new process (so
nothing is traced yet) on the shared persistent JAX cache (a cold one would only measure XLA).
"""

from __future__ import annotations

import pytest

from tests.browser import (
    SCREENSHOTS,
    assert_no_exception,
    chromium,
    new_context,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser

# (path and query, text that only a finished NUTS run draws)
VISITS = [
    ("levels_of_pooling", "Partial pooling (centered)"),
    ("eight_schools?nuts=true", "Centered form"),
    ("levels_of_pooling?chains=3", "Partial pooling (centered)"),
    ("eight_schools?nuts=true&nuts_draws=250", "Centered form"),
]
PATIENCE_MS = 900_000  # a busy 2-core machine compiling every first fit in turn


@pytest.fixture
def fresh_server_with_warm_up(monkeypatch):
    monkeypatch.setenv("HBVIZ_WARM_UP", "1")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url:
        yield url
    # the harness names the server's log by its port
    port = url.rsplit(":", 1)[1]
    log = (SCREENSHOTS / f"server-{port}.log").read_text(errors="replace")
    for sign in ("Traceback", "AssertionError", "Exception in thread"):
        assert sign not in log, log[log.index(sign) - 2000 :][:6000]


def test_four_sessions_open_nuts_pages_at_once_on_a_fresh_server(fresh_server_with_warm_up):
    with chromium() as browser:
        pages = [new_context(browser).new_page() for _ in VISITS]
        # start every navigation before waiting on any: the four first runs overlap
        for page, (path, _) in zip(pages, VISITS, strict=True):
            page.goto(f"{fresh_server_with_warm_up}/{path}", wait_until="commit")
        for page, (path, finished) in zip(pages, VISITS, strict=True):
            exception = page.locator("[data-testid='stException']")
            page.get_by_text(finished, exact=True).or_(exception).first.wait_for(
                timeout=PATIENCE_MS
            )
            wait_idle(page, timeout_ms=PATIENCE_MS)
            assert_no_exception(page)
            assert page.locator("[data-testid='stPlotlyChart']").count() >= 1, path
