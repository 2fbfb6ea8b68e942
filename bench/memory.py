"""Memory of compiled NUTS programs: per program in one process, and a real server's peak.

    # RSS growth per compiled NUTS program, with the cache unbounded and then bounded
    python bench/memory.py programs [--count 12]

    # a real `streamlit run` server (warm-up on), one scripted Chromium session that visits every
    # page and every value of every chains/draws control; prints the server's peak RSS (VmHWM)
    python bench/memory.py server

Both print one JSON object per measurement. Set ``HBVIZ_JAX_CACHE_DIR`` to the shared
persistent cache first (a cold cache measures compile time, not memory).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import re
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

MB = 2**20


def status_kb(pid: int | str, field: str) -> int:
    """A field of /proc/PID/status (VmRSS, VmHWM), in kB."""
    text = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(rf"^{field}:\s+(\d+) kB", text, re.M).group(1))


def rss_mb(pid: int | str = "self") -> float:
    return status_kb(pid, "VmRSS") / 1024


# --- in one process ------------------------------------------------------------------------------


def jax_staging_entries() -> int:
    """Entries in JAX's in-memory tracing/lowering caches (they hold jaxprs of every size)."""
    from jax._src import util

    total = 0
    for cache in getattr(util, "_caches", ()):  # weakref_lru_cache instances register here
        info = getattr(cache, "cache_info", None)
        if info is not None:
            total += info().currsize
    return total


def measure_programs(count: int) -> None:
    """Compile ``count`` levels-of-pooling programs (each a new draw count), first into an
    unbounded cache, then into one bounded to 2: RSS after each, and JAX's cache entries."""
    import jax

    from hbviz import _concurrency, datasets, nuts

    demo = datasets.pooling_demo()
    values = demo["value"].to_numpy(float)
    group = demo["group"].astype("category").cat.codes.to_numpy()

    def fit(draws: int) -> None:
        nuts.fit_pooling(values, group, num_chains=2, num_warmup=draws, num_samples=draws)

    fit(8)  # imports, first traces, XLA's own start-up allocations
    for label, capacity, first in (("unbounded", 10_000, 10), ("bounded to 2", 2, 10 + count)):
        nuts._PROGRAMS = _concurrency.ProgramCache(capacity)
        start = rss_mb()
        rows = []
        for i in range(count):
            fit(first + i)
            rows.append(round(rss_mb() - start, 1))
        print(
            json.dumps(
                {
                    "cache": label,
                    "programs_held": len(nuts._PROGRAMS),
                    "rss_growth_mb_after_each": rows,
                    "mb_per_program": round(rows[-1] / count, 1),
                    "jax_staging_cache_entries": jax_staging_entries(),
                }
            ),
            flush=True,
        )
    held = rss_mb()
    nuts._PROGRAMS.clear()
    gc.collect()
    _concurrency._release_freed_memory()
    cleared = rss_mb()
    jax.clear_caches()
    gc.collect()
    _concurrency._release_freed_memory()
    print(
        json.dumps(
            {
                "rss_mb_with_programs": round(held, 1),
                "after_dropping_our_programs": round(cleared, 1),
                "after_jax_clear_caches_too": round(rss_mb(), 1),
            }
        ),
        flush=True,
    )


# --- a real server -------------------------------------------------------------------------------

LEVELS_CHAINS = (1, 2, 3, 4)
LEVELS_DRAWS = (50, 100, 250, 500, 1000, 2000)
SCHOOLS_NUTS_DRAWS = (50, 100, 250, 500, 1000, 2000)
OTHER_PAGES = ("", "drug_trial", "free_throws", "eight_schools", "your_data")


def session_urls(base: str) -> list[str]:
    """Every page, then every chains × draws combination of the NUTS controls, by URL (each
    control is bound to a query parameter, so a URL sets it exactly as the widget would)."""
    urls = [f"{base}/{page}" for page in OTHER_PAGES]
    urls += [
        f"{base}/levels_of_pooling?chains={c}&draws={d}"
        for c in LEVELS_CHAINS
        for d in LEVELS_DRAWS
    ]
    urls += [f"{base}/eight_schools?nuts=true&nuts_draws={d}" for d in SCHOOLS_NUTS_DRAWS]
    return urls


def measure_server(timeout: float) -> None:
    from playwright.sync_api import sync_playwright

    from tests import browser

    os.environ["HBVIZ_WARM_UP"] = "1"  # as a lecture server runs; the server inherits it
    browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # where the harness writes its log
    with browser.streamlit_server() as base, sync_playwright() as pw:
        pid = browser.server_pid(int(base.rsplit(":", 1)[1]))
        chromium = pw.chromium.launch(
            executable_path=browser.require_chromium(), args=browser.CHROMIUM_ARGS
        )
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        urls = session_urls(base)
        started = time.perf_counter()
        exceptions = 0
        for i, url in enumerate(urls, 1):
            page.goto(url)
            browser.wait_idle(page, timeout_ms=timeout * 1000)
            found = page.locator("[data-testid='stException']").count()
            exceptions += found
            print(
                json.dumps(
                    {
                        "visit": f"{i}/{len(urls)}",
                        "url": url.removeprefix(base),
                        "exceptions": found,
                        "server_rss_mb": round(rss_mb(pid), 1),
                        "server_peak_mb": round(status_kb(pid, "VmHWM") / 1024, 1),
                    }
                ),
                flush=True,
            )
        chromium.close()
        print(
            json.dumps(
                {
                    "pages_visited": len(urls),
                    "exceptions": exceptions,
                    "seconds": round(time.perf_counter() - started, 1),
                    "server_peak_rss_mb": round(status_kb(pid, "VmHWM") / 1024, 1),
                    "server_rss_mb_at_end": round(rss_mb(pid), 1),
                    "HBVIZ_MAX_PROGRAMS": os.environ.get("HBVIZ_MAX_PROGRAMS", "default"),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    programs = sub.add_parser("programs", help="RSS per compiled NUTS program, in this process")
    programs.add_argument("--count", type=int, default=12)
    server = sub.add_parser("server", help="a real server's peak RSS after a scripted session")
    server.add_argument("--timeout", type=float, default=600, help="seconds per page run")
    args = parser.parse_args()
    if args.what == "programs":
        measure_programs(args.count)
    else:
        measure_server(args.timeout)


if __name__ == "__main__":
    main()
