"""Memory of compiled NUTS programs: per program in one process, and a real server's peak.

    # RSS growth per compiled NUTS program, with the cache unbounded and then bounded
    python bench/memory.py programs [--count 12]

    # where one process's memory goes: imports, the warm-up's calls one by one, then NUTS fits of
    # new Levels-of-pooling sizes (compiles and evictions): RSS and peak (VmHWM) after each
    python bench/memory.py steps

    # one NUTS program's memory by stage (trace, lower, compile, run), compiled for real into an
    # empty persistent cache, then loaded back from it: growth and transient peak of each stage
    python bench/memory.py stages

    # a real `streamlit run` server (warm-up on), one scripted Chromium session that visits every
    # page and every value of every chains/draws control; prints the server's peak RSS (VmHWM),
    # its RSS at the end, and the growth per visit once the warm-up's programs are in
    python bench/memory.py server

Each prints one JSON object per measurement. Set ``HBVIZ_JAX_CACHE_DIR`` to the shared
persistent cache first (a cold cache measures compile time, not memory).
"""

from __future__ import annotations

import argparse
import contextlib
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
    """Compile ``count`` levels-of-pooling programs (each a new warm-up length), first into an
    unbounded cache, then into one bounded to 2: RSS after each, and JAX's cache entries."""
    import jax

    from hbviz import _concurrency, datasets, nuts

    demo = datasets.pooling_demo()
    values = demo["value"].to_numpy(float)
    group = demo["group"].astype("category").cat.codes.to_numpy()

    def fit(warmup: int) -> None:  # a new warm-up length is a new program
        nuts.fit_pooling(values, group, num_chains=2, num_warmup=warmup, num_samples=20)

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


def measure_steps() -> None:
    """RSS and peak after each step of one process's life, in the order a server lives it."""
    started = time.perf_counter()

    def report(step: str, **extra) -> None:
        row = {"step": step, "rss_mb": round(rss_mb(), 1)}
        row["peak_mb"] = round(status_kb("self", "VmHWM") / 1024, 1)
        row["seconds"] = round(time.perf_counter() - started, 1)
        print(json.dumps(row | extra), flush=True)

    report("python")
    import jax

    from hbviz import _concurrency, datasets, nuts, warmup

    report("import hbviz (jax, numpyro, pandas)")
    for name, call in warmup._steps():
        with nuts.keep_compiled() if warmup.keeps(name) else contextlib.nullcontext():
            call()
        report(f"warm-up: {name}", programs=len(nuts._PROGRAMS))
    demo = datasets.pooling_demo()
    values = demo["value"].to_numpy(float)
    group = demo["group"].astype("category").cat.codes.to_numpy()
    for chains, draws in ((1, 50), (1, 100), (3, 50), (4, 50), (1, 250), (2, 100)):
        for regime in ("no", "complete", "partial"):
            nuts.fit_pooling(
                values,
                group,
                regime=regime,
                num_chains=chains,
                num_warmup=draws,
                num_samples=draws,
                progress=lambda fraction: None,
            )
            report(
                f"levels of pooling {chains}x{draws}, {regime}",
                programs=len(nuts._PROGRAMS),
                evictions=nuts._PROGRAMS.evictions,
                live_arrays=len(jax.live_arrays()),
            )
    jax.clear_caches()
    gc.collect()
    _concurrency._release_freed_memory()
    report("after jax.clear_caches()", programs=len(nuts._PROGRAMS))


def reset_peak() -> None:
    """Reset this process's VmHWM to its current RSS (Linux: ``echo 5 > /proc/PID/clear_refs``)."""
    Path("/proc/self/clear_refs").write_text("5")


def measure_stages() -> None:
    """Growth and transient peak of each stage of one program: the Eight schools NUTS program
    (non-centered, 1000 warm-up steps; it serves every chains and draws setting), compiled for real into an empty persistent cache, then,
    dropped, loaded back from that cache."""
    import tempfile

    os.environ["HBVIZ_JAX_CACHE_DIR"] = tempfile.mkdtemp(prefix="hbviz-jax-cache-")
    import jax
    import numpy as np

    from hbviz import _concurrency, datasets, nuts

    schools = datasets.eight_schools()
    y, sigma = schools["y"].to_numpy(float), schools["sigma"].to_numpy(float)
    nuts.fit_normal_hierarchy(y, sigma, num_chains=1, num_warmup=20, num_samples=20)  # start-up
    static = {
        "model_name": "estimates_partial_pooling_noncentered",
        "options": (("tau_prior", "half_cauchy"),),
        "num_warmup": 1000,
    }
    model_args = (sigma, np.float64(0), np.float64(5), np.float64(5), y)
    leaves, tree = jax.tree.flatten(model_args)
    types = tuple((np.shape(x), np.result_type(x)) for x in leaves)
    function, args, _ = nuts._flat_chain_program(static, types, tree)

    def stage(name: str, call):
        gc.collect()
        _concurrency._release_freed_memory()
        before = rss_mb()
        reset_peak()
        result = call()
        after, peak = rss_mb(), status_kb("self", "VmHWM") / 1024
        gc.collect()
        _concurrency._release_freed_memory()
        row = {"stage": name, "transient_peak_mb": round(peak - before, 1)}
        row["growth_mb_after_trim"] = round(rss_mb() - before, 1)
        row["growth_mb_before_trim"] = round(after - before, 1)
        print(json.dumps(row), flush=True)
        return result

    for source in ("real compile (empty persistent cache)", "load from the persistent cache"):
        start = stage(f"{source}: start", rss_mb)
        jitted = jax.jit(function)
        traced = stage(f"{source}: trace", lambda f=jitted: f.trace(*args))
        lowered = stage(f"{source}: lower", traced.lower)
        program = stage(f"{source}: compile", lowered.compile)
        del traced, lowered
        stage(f"{source}: run", lambda p=program: jax.block_until_ready(p(*args)))
        del program, jitted
        left = stage(f"{source}: program dropped", rss_mb) - start
        print(json.dumps({"left_behind_by_the_cycle_mb": round(left, 1)}), flush=True)


# --- a real server -------------------------------------------------------------------------------

LEVELS_CHAINS = (1, 2, 3, 4)
LEVELS_DRAWS = (50, 100, 250, 500, 1000, 2000)
LEVELS_WARMUP = (100, 250, 1000, 2000)  # besides the lecture's 500; each compiles 3 programs
SCHOOLS_NUTS_DRAWS = (50, 100, 250, 500, 1000, 2000)
YOUR_DATA_NUTS_DRAWS = (50, 100, 250, 500, 1000)
OTHER_PAGES = ("", "drug_trial", "free_throws", "eight_schools", "your_data")


def session_urls(base: str) -> list[str]:
    """Every page, then every chains × draws combination of the NUTS controls and every warm-up
    length of Levels of pooling, by URL (each
    control is bound to a query parameter, so a URL sets it exactly as the widget would)."""
    urls = [f"{base}/{page}" for page in OTHER_PAGES]
    urls += [
        f"{base}/levels_of_pooling?chains={c}&draws={d}"
        for c in LEVELS_CHAINS
        for d in LEVELS_DRAWS
    ]
    urls += [f"{base}/levels_of_pooling?warmup={w}&draws=100" for w in LEVELS_WARMUP]
    urls += [f"{base}/eight_schools?nuts=true&nuts_draws={d}" for d in SCHOOLS_NUTS_DRAWS]
    urls += [f"{base}/your_data?nuts=true&nuts_draws={d}" for d in YOUR_DATA_NUTS_DRAWS]
    return urls


def short_session_urls(base: str) -> list[str]:
    """Every page, and every value of every chains and draws control at least once (not every
    combination): the browser test's session, a fifth of :func:`session_urls`."""
    urls = [f"{base}/{page}" for page in OTHER_PAGES]
    chains = LEVELS_CHAINS * -(-len(LEVELS_DRAWS) // len(LEVELS_CHAINS))
    urls += [
        f"{base}/levels_of_pooling?chains={c}&draws={d}"
        for c, d in zip(chains, LEVELS_DRAWS, strict=False)
    ]
    urls.append(f"{base}/levels_of_pooling?warmup={LEVELS_WARMUP[0]}&draws=100")
    urls += [f"{base}/eight_schools?nuts=true&nuts_draws={d}" for d in (50, 2000)]
    urls += [f"{base}/your_data?nuts=true&nuts_draws={d}" for d in (50, 1000)]
    return urls


def growth_per_visit(rss: list[float]) -> float:
    """Least-squares slope of the RSS over the second half of the visits, in MB per visit (the
    first half includes the warm-up's kept programs and the first compiles)."""
    tail = rss[len(rss) // 2 :]
    if len(tail) < 2:
        return float("nan")
    n = len(tail)
    mean_x, mean_y = (n - 1) / 2, sum(tail) / n
    covariance = sum((x - mean_x) * (y - mean_y) for x, y in enumerate(tail))
    return covariance / sum((x - mean_x) ** 2 for x in range(n))


def load_average() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def measure_server(timeout: float, short: bool) -> None:
    from playwright.sync_api import sync_playwright

    from tests import browser

    os.environ["HBVIZ_WARM_UP"] = "1"  # as a lecture server runs; the server inherits it
    browser.SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # where the harness writes its log
    loads = [load_average()]
    with browser.streamlit_server() as base, sync_playwright() as pw:
        pid = browser.server_pid(int(base.rsplit(":", 1)[1]))
        chromium = pw.chromium.launch(
            executable_path=browser.require_chromium(), args=browser.CHROMIUM_ARGS
        )
        page = chromium.new_page(viewport={"width": 1400, "height": 1000})
        urls = (short_session_urls if short else session_urls)(base)
        started = time.perf_counter()
        exceptions = 0
        rss = []
        for i, url in enumerate(urls, 1):
            page.goto(url)
            browser.wait_idle(page, timeout_ms=timeout * 1000)
            found = page.locator("[data-testid='stException']").count()
            exceptions += found
            rss.append(rss_mb(pid))
            loads.append(load_average())
            print(
                json.dumps(
                    {
                        "visit": f"{i}/{len(urls)}",
                        "url": url.removeprefix(base),
                        "exceptions": found,
                        "seconds": round(time.perf_counter() - started, 1),
                        "server_rss_mb": round(rss[-1], 1),
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
                    "rss_growth_mb_per_visit_second_half": round(growth_per_visit(rss), 2),
                    "load_average_min_max": [min(loads), max(loads)],
                    "HBVIZ_MAX_PROGRAMS": os.environ.get("HBVIZ_MAX_PROGRAMS", "default"),
                    "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "unset"),
                }
            ),
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    programs = sub.add_parser("programs", help="RSS per compiled NUTS program, in this process")
    programs.add_argument("--count", type=int, default=12)
    sub.add_parser("steps", help="RSS and peak after each step of one process's life")
    sub.add_parser("stages", help="one NUTS program's memory by stage, compiled and loaded")
    server = sub.add_parser("server", help="a real server's peak RSS after a scripted session")
    server.add_argument("--timeout", type=float, default=600, help="seconds per page run")
    server.add_argument(
        "--short", action="store_true", help="every control value once, not every combination"
    )
    args = parser.parse_args()
    if args.what == "programs":
        measure_programs(args.count)
    elif args.what == "steps":
        measure_steps()
    elif args.what == "stages":
        measure_stages()
    else:
        measure_server(args.timeout, args.short)


if __name__ == "__main__":
    main()
