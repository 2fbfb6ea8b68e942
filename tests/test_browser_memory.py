"""A lecture server's memory in a real browser: one session through every page and every
chains/draws value on a fresh server with the warm-up on (issue 10, bounded memory).

A module of its own: it is the suite's longest test, and the test run spreads modules over its
workers (`pytest -n 2 --dist loadfile`), so it runs beside the other browser tests, not after them.
"""

from __future__ import annotations

import json

import pytest

from tests.browser import (
    SCREENSHOTS,
    assert_no_exception,
    peak_rss_mb,
    served_page,
    server_pid,
    wait_idle,
)

pytestmark = pytest.mark.browser

# Measured peaks (VmHWM) of a fresh server with the warm-up on over this walk (15 URLs,
# bench.memory.short_session_urls): 1023 MB when JAX's persistent cache held every program
# (978 MB with HBVIZ_MAX_PROGRAMS=1); 1462 MB in a fresh clone's CI run, where the cache starts
# empty and every program the walk and the warm-up ask for is compiled for real (a compile adds
# ~280 MB while XLA runs and leaves ~32 MB behind: `python bench/memory.py stages`). Compiles
# take turns under one lock, so one at a time. The bound is the cold-cache peak plus a margin
# of three programs: a server that kept every size (36 programs asked here) or compiled two at
# once exceeds it. Issue 10's 1 GB target is not met (docs/DEPLOYMENT.md, Memory).
SERVER_PEAK_BOUND_MB = 1600


def test_server_memory_stays_bounded_through_every_nuts_size(monkeypatch):
    """A fresh server with the warm-up on, one session visiting every page and every value of
    every chains/draws control; its peak RSS (VmHWM, written to
    tests/screenshots/server_memory.json) stays under the bound the program cache is sized for."""
    from bench.memory import short_session_urls

    monkeypatch.setenv("HBVIZ_WARM_UP", "1")  # the server inherits it, as a lecture server runs
    with served_page() as (base, page):
        pid = server_pid(int(base.rsplit(":", 1)[1]))
        urls = short_session_urls(base)
        for url in urls:
            page.goto(url)
            wait_idle(page, timeout_ms=600_000)
            assert_no_exception(page)
        peak = peak_rss_mb(pid)
    (SCREENSHOTS / "server_memory.json").write_text(
        json.dumps({"urls": [u.removeprefix(base) for u in urls], "server_peak_rss_mb": peak})
    )
    print(f"server peak RSS after {len(urls)} visits: {peak:.0f} MB")
    assert peak < SERVER_PEAK_BOUND_MB
