"""hbviz benchmarks (issue 6): how fast the samplers and the pages are, against plain baselines.

Usage (from the repository root, with the project's venv)::

    python bench/run.py                 # everything; writes bench/RESULTS.md
    python bench/run.py --quick         # smoke run: few repeats, small sizes; prints only
    python bench/run.py --only nuts     # one section (or several: --only exact8,rats)
    python bench/run.py --quick --output /tmp/r.md

Sections, one module each: ``exact8`` and ``rats`` (bench/exact.py: the exact eight-schools and
rat-tumor posteriors against plain NumPy/SciPy), ``nuts`` (bench/nuts_refits.py: NUTS refits
against NumPyro's ``MCMC.run``), ``cold`` (bench/cold_start.py: a new process's first fit, with
the persistent compilation cache empty and warm), ``pages`` (bench/page_reruns.py: rerun of every
page after a control moves, through ``streamlit.testing.v1.AppTest``), ``scaling``
(bench/scaling.py: exact samplers for 10 to 100,000 groups: time, peak memory, growth exponent),
``browser`` (bench/browser.py: key press → charts redrawn in Chromium against a warm
``streamlit run``, beside a bare Streamlit page, bench/anchor_app.py; first load of every page),
``simulation`` (bench/simulation.py: the simulation lab's R = 1000 data sets against a plain
NumPy loop over them, and the page's warm rerun),
``regression`` (bench/regression.py: refits of the regression models after a control moves,
and the Your-data page's rerun), ``peers`` (bench/peers.py: NUTS refits against nutpie, PyMC and
NumPyro, each in its own process; needs bench/requirements-peers.txt, ``make bench-peers``).
Shared helpers (settings, timer, statistics, tables, child processes) are in bench/harness.py.
The sections use hbviz's public API only.

Every time is wall-clock over repeated runs after a warm-up; the table gives the median, the
interquartile range and the min–max. Only a full run (all sections, not ``--quick``) writes
``bench/RESULTS.md``, so a smoke run never overwrites the reported numbers; ``--output`` writes
any run elsewhere; ``--into-results`` replaces only the sections run in ``bench/RESULTS.md``
(``--only browser --into-results``), keeping the others and the header of their full run. Benchmarks are not tests: nothing here asserts, and ``pytest`` never runs it.

The cold-start, page and scaling sections run in child processes (this file with ``--child``),
so that each measures a process in the state it names.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import importlib
import os
import platform
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `python bench/run.py` puts bench/, not the root, on the path
    sys.path.insert(0, str(ROOT))

from bench.harness import (  # noqa: E402
    Section,
    make_config,
    replace_sections,
    replace_summary,
    summary_section,
)

RESULTS = ROOT / "bench" / "RESULTS.md"
README = ROOT / "README.md"
# section: (module in bench/, its function). Modules are imported when their section runs, so
# that a child process (a cold start) imports no more than it measures.
BENCHES = {
    "exact8": ("exact", "bench_exact8"),
    "rats": ("exact", "bench_rats"),
    "nuts": ("nuts_refits", "bench_nuts"),
    "cold": ("cold_start", "bench_cold"),
    "pages": ("page_reruns", "bench_pages"),
    "scaling": ("scaling", "bench_scaling"),
    "browser": ("browser", "bench_browser"),
    "simulation": ("simulation", "bench_simulation"),
    "regression": ("regression", "bench_regression"),
    "peers": ("peers", "bench_peers"),
}
SECTIONS = tuple(BENCHES)


def section_function(module: str, name: str):
    return getattr(importlib.import_module(f"bench.{module}"), name)


def run_child_measurement(args: argparse.Namespace) -> None:
    """The measurement a child process was started for (``--child NAME``)."""
    if args.child == "cold":
        section_function("cold_start", "child_cold")()
    elif args.child == "mcmc":
        section_function("nuts_refits", "child_mcmc")(args.repeats)
    elif args.child == "hbviz_refits":
        section_function("nuts_refits", "child_hbviz")(args.repeats)
    elif args.child == "pages":
        section_function("page_reruns", "child_pages")(args.moves)
    elif args.child == "simulation_page":
        section_function("simulation", "child_page")(args.moves)
    elif args.child == "peer":
        section_function("peers", "child_peer")(args.spec)
    elif args.child == "scale":
        child_scale = section_function("scaling", "child_scale")
        child_scale(args.model, args.groups, args.draws, args.repeats, args.measure)
    else:
        raise SystemExit(f"unknown child measurement {args.child!r}")


def machine() -> list[str]:
    import importlib.metadata as md

    model = platform.processor() or "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    versions = []
    for pkg in ("jax", "jaxlib", "numpyro", "streamlit", "numpy", "scipy"):
        try:
            versions.append(f"{pkg} {md.version(pkg)}")
        except md.PackageNotFoundError:
            versions.append(f"{pkg} –")
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    try:
        commit = subprocess.run(
            ["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return [
        f"- Date: {dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}"
        + (f"; commit {commit}" if commit else ""),
        f"- CPU: {os.cpu_count()} × {model}; load average (1, 5, 15 min) at start: {load}",
        f"- Python {platform.python_version()}; " + ", ".join(versions),
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="few repeats, small sizes")
    parser.add_argument("--only", help=f"comma-separated sections: {', '.join(SECTIONS)}")
    parser.add_argument("--output", type=Path, help="write the markdown here")
    parser.add_argument(
        "--into-results",
        action="store_true",
        help="replace the sections run (not --quick) in bench/RESULTS.md, keep the others",
    )
    parser.add_argument(
        "--pages",
        help="browser section: only these pages' controls and first loads, comma-separated URL "
        "paths ('home' for the home page), beside the anchor as always",
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--moves", type=int, default=6, help=argparse.SUPPRESS)
    parser.add_argument("--model", help=argparse.SUPPRESS)
    parser.add_argument("--groups", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--draws", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--repeats", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--measure", default="time", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run_child_measurement(args)
        return 0

    only = SECTIONS if not args.only else tuple(s.strip() for s in args.only.split(","))
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown section(s) {', '.join(sorted(unknown))}; choose from {SECTIONS}")
    if args.into_results and (args.quick or args.output or args.pages):
        parser.error(
            "--into-results takes a full run (not --quick, not --pages) and writes bench/RESULTS.md"
        )
    cfg = make_config(args.quick)
    if args.pages:
        pages = tuple("" if p.strip() == "home" else p.strip() for p in args.pages.split(","))
        cfg = dataclasses.replace(cfg, browser_pages=pages)
    header = [
        "# hbviz benchmark results",
        "",
        f"Written by `python bench/run.py{' --quick' if args.quick else ''}"
        f"{' --only ' + args.only if args.only else ''}"
        f"{' --pages ' + args.pages if args.pages else ''}` (issue 6). Wall-clock times after "
        "warm-up; median, interquartile range (IQR) and min–max over repeats. The machine is "
        "shared, so expect noise: compare ratios more than absolute times.",
        "",
        *(machine_lines := machine()),
        "",
    ]
    print("\n".join(header), flush=True)
    parts, sections = [], []
    for name in SECTIONS:
        if name not in only:
            continue
        start = time.perf_counter()
        try:
            sec = section_function(*BENCHES[name])(cfg)
        except Exception as err:
            sec = Section(name, [], notes=[f"Failed: {type(err).__name__}: {err}"])
        sec.notes.append(f"Section took {time.perf_counter() - start:.0f} s.")
        if args.into_results:
            sec.notes.append(
                f"Run alone by `python bench/run.py --only {args.only} --into-results` "
                f"({dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}); the header's date and "
                "load are the last full run's."
            )
        sections.append(sec)
        text = sec.markdown()
        print(text, flush=True)
        parts.append(text)
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    footer = f"Load average (1, 5, 15 min) at the end: {load}.\n"
    print(footer)
    full_run = not args.quick and set(only) == set(SECTIONS)
    if set(only) == set(SECTIONS):  # every target of the run first (a full run: in README too)
        summary = summary_section(sections).markdown()
        print(summary, flush=True)
        parts.insert(0, summary)
    document = "\n".join(header) + "\n" + "\n".join(parts) + "\n" + footer
    target = args.output
    if target is None and full_run:
        target = RESULTS
        when = dt.datetime.now().astimezone()
        block = (
            f"From one run of `make bench`, {when:%Y-%m-%d %H:%M %Z} "
            f"({machine_lines[1].removeprefix('- ')}; at the end: {load}), written by "
            "bench/run.py; the sections' tables are in [bench/RESULTS.md](bench/RESULTS.md).\n\n"
            + summary.split("\n", 2)[2]  # without its heading
        )
        README.write_text(replace_summary(README.read_text(encoding="utf-8"), block), "utf-8")
    if args.into_results:
        target = RESULTS
        document = replace_sections(RESULTS.read_text(encoding="utf-8"), sections)
    if target is not None:
        target.write_text(document, encoding="utf-8")
        print(f"written to {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
