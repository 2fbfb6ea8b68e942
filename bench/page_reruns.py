"""Section 5: every page of the router (app.py) rerun through ``streamlit.testing.v1.AppTest``
after each sidebar control moves, timed, with the compiles JAX reports and where a warm rerun's
time goes.

Where the time goes is read with plain timers (no profiler, so the page runs at full speed)
around hbviz's public functions, which is all the pages call; compiles come from JAX's public
monitoring events (:class:`bench.harness.CompileLog`).
"""

from __future__ import annotations

import contextlib
import inspect
import json
import re
import time
from collections.abc import Callable

import numpy as np

from bench.controls import control_values, discover_controls, find_widget
from bench.harness import ROOT, CompileLog, Config, Section, Stats, fmt_seconds, run_child, verdict

# The pages issue 6 names; the router's own list (app.py) is used when it can be read, so a page
# added there is benchmarked too.
PAGES = (
    "pages/home.py",
    "pages/levels_of_pooling.py",
    "pages/free_throws.py",
    "pages/drug_trial.py",
    "pages/eight_schools.py",
)


def router_pages() -> list[str]:
    try:
        found = re.findall(r"""st\.Page\(\s*["']([^"']+\.py)["']""", (ROOT / "app.py").read_text())
    except OSError:
        found = []
    return list(dict.fromkeys([*PAGES, *found]))


# Sidebar toggles switched on for a second pass over a page, because the default view leaves a
# part of the page (the eight schools' NUTS panel) off. A toggle that no longer exists is noted
# and the pass skipped.
PAGE_VARIANTS = {"pages/eight_schools.py": [("nuts", "mu_on")]}


BUCKETS = ("hbviz computation", "NUTS fits", "figure building", "apply_layout", "chart serialising")


def public_functions(module) -> dict[str, Callable]:
    """The functions ``module`` defines and exports: its ``__all__``, or its names without a
    leading underscore when it has none."""
    names = getattr(module, "__all__", None)
    if names is None:
        names = [n for n in vars(module) if not n.startswith("_")]
    return {
        name: value
        for name in names
        if inspect.isfunction(value := getattr(module, name, None))
        and value.__module__ == module.__name__
    }


class StageClock:
    """Wall-clock time of a page rerun by where it went, with plain timers.

    Every public function of every hbviz module is wrapped, in every hbviz module namespace that
    holds it (a page's ``from hbviz.x import f`` then finds the wrapper too): a call from outside
    hbviz counts towards "figure building" (``hbviz.plots``) or "hbviz computation" (the rest);
    calls nested inside them are not counted again. "NUTS fits" (the public ``hbviz.nuts.fit_*``)
    and "apply_layout" (``hbviz.plots.style.apply_layout``) are parts of those, timed wherever
    they are called. Calls made by the server's warm-up (``hbviz.warmup.warm_up``, in its own
    thread) are not counted. "Chart serialising" is Plotly's ``to_dict`` and ``to_json`` as called by
    ``st.plotly_chart``.
    """

    def __init__(self) -> None:
        import functools
        import importlib
        import pkgutil
        import threading

        import plotly.io
        import plotly.tools

        import hbviz

        self.seconds = dict.fromkeys(BUCKETS, 0.0)
        self.nuts_fits = 0
        local = threading.local()
        modules = [hbviz] + [
            importlib.import_module(m.name)
            for m in pkgutil.walk_packages(hbviz.__path__, "hbviz.")
            if not any(part.startswith("_") for part in m.name.split("."))
        ]

        def wrap(fn, bucket, always=None):
            @functools.wraps(fn)
            def timed(*args, **kwargs):
                if getattr(local, "warming_up", False):
                    return fn(*args, **kwargs)
                depth = getattr(local, "depth", 0)
                local.depth = depth + 1
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    local.depth = depth
                    elapsed = time.perf_counter() - start
                    if depth == 0:
                        self.seconds[bucket] += elapsed
                    if always is not None:
                        self.seconds[always] += elapsed
                        if always == "NUTS fits":
                            self.nuts_fits += 1

            return timed

        def uncounted(fn):
            """The server's warm-up (app.py starts it in a thread): its fits are not a page's."""

            @functools.wraps(fn)
            def warm_up(*args, **kwargs):
                local.warming_up = True
                try:
                    return fn(*args, **kwargs)
                finally:
                    local.warming_up = False

            return warm_up

        wrapped = {}
        for module in modules:
            plots = module.__name__.startswith("hbviz.plots")
            bucket = "figure building" if plots else "hbviz computation"
            for name, fn in public_functions(module).items():
                always = None
                if module.__name__ == "hbviz.nuts" and name.startswith("fit_"):
                    always = "NUTS fits"
                elif plots and name == "apply_layout":
                    always = "apply_layout"
                if module.__name__ == "hbviz.warmup" and name == "warm_up":
                    wrapped[fn] = uncounted(fn)
                else:
                    wrapped[fn] = wrap(fn, bucket, always)
        for module in modules:  # also where a function was imported by name
            for name, value in list(vars(module).items()):
                if inspect.isfunction(value) and value in wrapped:
                    setattr(module, name, wrapped[value])

        def wrap_plotly(module, name):
            fn = getattr(module, name)

            @functools.wraps(fn)
            def timed(*args, **kwargs):
                start = time.perf_counter()
                try:
                    return fn(*args, **kwargs)
                finally:
                    if getattr(local, "depth", 0) == 0:
                        self.seconds["chart serialising"] += time.perf_counter() - start

            setattr(module, name, timed)

        wrap_plotly(plotly.tools, "return_figure_from_figure_or_data")
        wrap_plotly(plotly.io, "to_json")

    def snapshot(self) -> tuple[dict[str, float], int]:
        return dict(self.seconds), self.nuts_fits


def child_pages(moves: int) -> None:
    import streamlit as st
    from streamlit import config
    from streamlit.testing.v1 import AppTest

    # .streamlit/config.toml hides tracebacks from students; the benchmark wants to report them
    config.set_option("client.showErrorDetails", "full")
    # the state a served page finds: the server's warm-up done (it keeps Levels of pooling's
    # three NUTS programs), run here before the clocks, not in the background beside them
    from hbviz import warmup

    warmup.warm_up()
    clock = StageClock()
    compiles = CompileLog()

    def timed_run(at, widget=None) -> dict:
        """Rerun the page (after ``widget``'s new value, if given), timed."""
        before_compiles = compiles.snapshot()
        before, before_fits = clock.snapshot()
        start = time.perf_counter()
        try:
            (widget or at).run()
            error = at.exception[0].message[:300] if at.exception else None
        except Exception as err:  # AppTest itself failed on this page: report it, go on
            error = f"{type(err).__name__}: {err}"[:300]
        seconds = time.perf_counter() - start
        after, after_fits = clock.snapshot()
        return {
            "seconds": seconds,
            "compiled": CompileLog.since(before_compiles, compiles.snapshot())["programs"],
            "nuts_fits": after_fits - before_fits,
            "stages": {k: after[k] - before[k] for k in BUCKETS},
            "error": error,
        }

    out = []
    passes = [(page, ()) for page in router_pages()]
    passes += [(page, toggles) for page, variants in PAGE_VARIANTS.items() for toggles in variants]
    for page, toggles in passes:
        st.cache_data.clear()
        st.cache_resource.clear()
        record = {"page": page, "toggles": list(toggles), "controls": [], "notes": []}
        out.append(record)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=900)
        at.switch_page(page)
        first = timed_run(at)
        for toggle in toggles:
            if first["error"]:
                break
            widgets = [w for w in at.sidebar.toggle if w.key == toggle]
            if not widgets:
                record["notes"].append(f"no sidebar toggle with key {toggle!r}: pass skipped")
                break
            run = timed_run(at, widgets[0].set_value(True))
            first["seconds"] += run["seconds"]
            first["nuts_fits"] += run["nuts_fits"]
            first["error"] = run["error"]
        record["first_run"] = first["seconds"]
        record["nuts_fits_first"] = first["nuts_fits"]
        if first["error"]:
            record["notes"].append(f"exception on first run: {first['error']}")
        if record["notes"]:
            continue
        controls = discover_controls(at)
        if not controls:
            record["notes"].append(
                "no enabled slider, select slider, selectbox or number input in the sidebar or "
                "the main area: skipped"
            )
        for kind, key, label in controls:
            widget = find_widget(at, kind, key, label)
            entry = {"kind": kind, "key": key, "label": label, "start": widget.value, "runs": []}
            record["controls"].append(entry)
            for value, apply in control_values(widget, moves):
                widget = find_widget(at, kind, key, label)
                if widget is None or getattr(widget.proto, "disabled", False):
                    entry["runs"].append({"value": value, "error": "control vanished"})
                    break
                run = timed_run(at, apply(widget))
                entry["runs"].append({"value": value, **run})
                if run["error"]:
                    break
            # back to where it started, so the next control is timed from the page's defaults
            widget = find_widget(at, kind, key, label)
            if widget is not None and not getattr(widget.proto, "disabled", False):
                with contextlib.suppress(Exception):  # noted above if the page broke
                    widget.set_value(entry["start"]).run()
            entry["start"] = str(entry["start"])
    print(json.dumps(out))


def bench_pages(cfg: Config) -> Section:
    sec = Section(
        "5. Page rerun after a control moves (AppTest of app.py, every page)",
        [
            "page",
            "control (start → values)",
            "rerun median",
            "spread",
            "n",
            "compiling reruns",
            "target",
            "verdict",
        ],
    )
    records, _ = run_child(["pages", "--moves", str(cfg.page_moves)], timeout=7200)
    all_ok: dict[str, list[bool]] = {"conjugate": [], "NUTS": []}
    new_seed: list[float] = []  # Levels of pooling's seed: its three fits at once
    stage_rows = []
    for rec in records:
        page = rec["page"] + (f" (+ {', '.join(rec['toggles'])} on)" if rec["toggles"] else "")
        nuts_page = rec.get("nuts_fits_first", 0) > 0
        kind = "NUTS" if nuts_page else "conjugate"
        limit = 1.0 if nuts_page else 0.150
        first = rec.get("first_run")
        if rec["notes"] or not rec["controls"]:
            sec.rows.append([page, "–", "–", "–", "0", "–", "–", "; ".join(rec["notes"])])
            continue
        sec.notes.append(
            f"{page}: first run {fmt_seconds(first)} ({rec.get('nuts_fits_first', 0)} NUTS fits)."
        )
        for c in rec["controls"]:
            runs = c["runs"]
            warm = [r for r in runs if not r.get("compiled") and not r.get("error")]
            compiling = [r["seconds"] for r in runs if r.get("compiled") and not r.get("error")]
            errors = [r["error"] for r in runs if r.get("error")]
            stats = Stats([r["seconds"] for r in warm])
            ok = (stats.median <= limit) if warm else None
            if warm:
                all_ok[kind].append(ok)
            if warm and rec["page"].endswith("levels_of_pooling.py") and c["label"] == "Seed":
                new_seed.append(stats.median)
            values = ", ".join(r["value"] for r in runs)
            label = f"{c['kind']} “{c['label']}” ({c['start']} → {values})"
            comp = (
                f"{len(compiling)}: median {fmt_seconds(float(np.median(compiling)))}"
                if compiling
                else "0"
            )
            v = verdict(ok) + (f"; error: {errors[0]}" if errors else "")
            if not runs:
                v = "skipped: no new value AppTest can set (options shown through a format_func)"
            sec.rows.append(
                [
                    page,
                    label,
                    fmt_seconds(stats.median),
                    stats.spread(),
                    str(len(warm)),
                    comp,
                    f"{kind} ≤ {fmt_seconds(limit)}",
                    v,
                ]
            )
            if warm:
                med = {k: float(np.median([r["stages"][k] for r in warm])) for k in BUCKETS}
                fits = float(np.median([r["nuts_fits"] for r in warm]))
                shown = med["hbviz computation"] + med["figure building"]
                shown += med["chart serialising"]
                other = max(stats.median - shown, 0.0)
                stage_rows.append(
                    f"| {page} | {c['label']} | {fmt_seconds(stats.median)} | "
                    f"{fmt_seconds(med['hbviz computation'])} | "
                    f"{fmt_seconds(med['NUTS fits'])} ({fits:g}) | "
                    f"{fmt_seconds(med['figure building'])} | {fmt_seconds(med['apply_layout'])} | "
                    f"{fmt_seconds(med['chart serialising'])} | {fmt_seconds(other)} |"
                )
    if stage_rows:
        sec.extra += [
            "Where a warm rerun's time goes (medians over the same reruns; timers around every "
            "hbviz function the pages call, so NUTS fits are inside hbviz computation, "
            "`apply_layout` inside figure building):",
            "",
            "| page | control | rerun | hbviz computation | of which NUTS fits (fits) | "
            "figure building | of which `apply_layout` | chart serialising (`st.plotly_chart`) "
            "| other: Streamlit, AppTest, page code |",
            "|---|---|---|---|---|---|---|---|---|",
            *stage_rows,
        ]
    for kind, limit in (("conjugate", "150 ms"), ("NUTS", "1 s")):
        oks = all_ok[kind]
        sec.verdicts.append(
            (f"{kind} pages ≤ {limit} ({sum(oks)}/{len(oks)} controls)", all(oks) if oks else None)
        )
    if new_seed:
        sec.verdicts.append(
            (
                f"levels of pooling, new seed ≤ 0.5 s (issue 14; {fmt_seconds(new_seed[0])})",
                new_seed[0] <= 0.5,
            )
        )
    sec.notes.append(
        "The child process first runs the server's warm-up (`hbviz.warmup.warm_up()`, which "
        "keeps the Levels-of-pooling programs compiled), as a page served by `make run` finds it."
    )
    sec.notes.append(
        "Each page: a fresh AppTest of app.py with Streamlit's caches cleared, `switch_page`, one "
        "run (not timed into the medians: it compiles), then every enabled sidebar slider, "
        "select slider, selectbox and number input (the main area's on a page without any in its "
        "sidebar) in turn is moved to new values alternating "
        "either side of its start (+1 step, −1 step, +2 steps, …), one timed `run()` each, and "
        "put back. New values miss Streamlit's caches as a real move would. Times include "
        "AppTest's own work (a few ms)."
    )
    sec.notes.append(
        "'Compiling reruns' built at least one new XLA program, as JAX's monitoring events "
        "report (a new static shape, e.g. a new chain or draw count: its first use traces, and "
        "compiles or loads from the persistent cache; also any eager JAX operation on a new "
        "shape); they are shown but kept out of the median, which is the warm rerun the targets "
        "are about. A page is a NUTS page when its first run fitted NUTS; the eight-schools page "
        "is also run with its NUTS panel switched on (`PAGE_VARIANTS`)."
    )
    return sec
