"""What every benchmark section shares: its settings, the timer, the statistics, the markdown
section it returns, the lecture data, and child processes.

A section is a function ``bench_*(cfg: Config) -> Section``; a measurement that needs a process
in a named state (a cold start, a page run by AppTest, a fresh process per size) runs in a child,
``bench/run.py --child NAME ...``, through :func:`run_child`, which returns the JSON the child
prints last.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUN = ROOT / "bench" / "run.py"


@dataclass
class Config:
    quick: bool
    exact_repeats: int
    nuts_repeats: int
    cold_repeats: int
    page_moves: int
    scaling_groups: Sequence[int]
    scaling_repeats: int
    # the browser section's pages (URL paths, "" for home; None: all); the anchor is always run
    browser_pages: tuple[str, ...] | None = None


SCALING_GROUPS = (10, 100, 1_000, 10_000, 100_000)


def make_config(quick: bool) -> Config:
    if quick:
        return Config(True, 10, 2, 1, 2, (10, 1_000, 10_000), 2)
    return Config(False, 50, 7, 3, 6, SCALING_GROUPS, 5)


# --- timing and tables ---------------------------------------------------------------------------


def time_calls(fn: Callable[[int], object], *, repeats: int, warmup: int = 1) -> list[float]:
    """Seconds per call of ``fn(i)``, i = 0, 1, … (warm-up calls first, not timed)."""
    for i in range(warmup):
        fn(i)
    times = []
    for i in range(warmup, warmup + repeats):
        start = time.perf_counter()
        fn(i)
        times.append(time.perf_counter() - start)
    return times


def fmt_seconds(t: float) -> str:
    if not np.isfinite(t):
        return "–"
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1.0:
        return f"{t * 1e3:.1f} ms" if t < 0.1 else f"{t * 1e3:.0f} ms"
    return f"{t:.2f} s"


@dataclass
class Stats:
    times: list[float]

    @property
    def median(self) -> float:
        return float(np.median(self.times)) if self.times else float("nan")

    def spread(self) -> str:
        if not self.times:
            return "–"
        if len(self.times) < 4:
            return f"{fmt_seconds(min(self.times))}–{fmt_seconds(max(self.times))}"
        q1, q3 = np.percentile(self.times, [25, 75])
        return (
            f"IQR {fmt_seconds(q1)}–{fmt_seconds(q3)}; "
            f"range {fmt_seconds(min(self.times))}–{fmt_seconds(max(self.times))}"
        )


def verdict(ok: bool | None) -> str:
    return {True: "met", False: "**missed**", None: "–"}[ok]


@dataclass
class Section:
    title: str
    columns: list[str]
    rows: list[list[str]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    verdicts: list[tuple[str, bool | None]] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # markdown placed after the verdicts

    def markdown(self) -> str:
        lines = [f"## {self.title}", ""]
        if self.rows:
            lines.append("| " + " | ".join(self.columns) + " |")
            lines.append("|" + "|".join("---" for _ in self.columns) + "|")
            lines += ["| " + " | ".join(row) + " |" for row in self.rows]
            lines.append("")
        if self.verdicts:
            lines += [f"- Target: {what}: {verdict(ok)}" for what, ok in self.verdicts]
            lines.append("")
        if self.extra:
            lines += [*self.extra, ""]
        lines += [f"- {note}" for note in self.notes]
        return "\n".join(lines).rstrip() + "\n"


def summary_section(sections: Sequence[Section]) -> Section:
    """Every target of a run's sections in one table: what, its measured figure, met or not."""
    sec = Section("Summary: every target of this run", ["section", "target (measured)", "verdict"])
    for part in sections:
        number = part.title.split(" ", 1)[0].rstrip(".")
        for what, ok in part.verdicts:
            sec.rows.append([f"§{number}", what, verdict(ok)])
    met = sum(1 for row in sec.rows if row[2] == "met")
    sec.notes.append(f"{met} of {len(sec.rows)} targets met in this run.")
    return sec


SUMMARY_START, SUMMARY_END = "<!-- bench:summary -->", "<!-- /bench:summary -->"


def replace_summary(readme: str, block: str) -> str:
    """``readme`` with ``block`` between its summary markers (unchanged if it has none)."""
    start, end = readme.find(SUMMARY_START), readme.find(SUMMARY_END)
    if start < 0 or end < start:
        return readme
    return readme[: start + len(SUMMARY_START)] + "\n" + block.strip("\n") + "\n" + readme[end:]


def replace_sections(document: str, sections: Sequence[Section]) -> str:
    """``document`` (a RESULTS.md) with each of ``sections`` in place of the section numbered as
    it is ("## 7. …"), or inserted in number order; the rest, and the last line's load average
    of the full run, are kept."""
    footer = "Load average (1, 5, 15 min) at the end"
    lines = document.rstrip("\n").split("\n")
    tail = [line for line in lines if line.startswith(footer)]
    lines = [line for line in lines if not line.startswith(footer)]
    starts = [i for i, line in enumerate(lines) if line.startswith("## ")] + [len(lines)]
    head = "\n".join(lines[: starts[0]]).rstrip("\n")
    chunks = {
        lines[a].split(".")[0]: "\n".join(lines[a:b]).strip("\n")
        for a, b in itertools.pairwise(starts)
    }
    for sec in sections:
        chunks[f"## {sec.title.split('.')[0]}"] = sec.markdown().strip("\n")

    def number(key: str) -> float:
        digits = key.removeprefix("## ")
        return float(digits) if digits.isdigit() else float("inf")

    body = "\n\n".join(chunks[k] for k in sorted(chunks, key=number))
    return "\n\n".join([head, body, *tail]) + "\n"


# --- the lecture data ----------------------------------------------------------------------------


def eight_schools() -> tuple[np.ndarray, np.ndarray]:
    from hbviz import datasets

    df = datasets.eight_schools()
    return df["y"].to_numpy(float), df["sigma"].to_numpy(float)


def rat_tumor() -> tuple[np.ndarray, np.ndarray]:
    from hbviz import datasets

    df = datasets.rat_tumor()
    return df["y"].to_numpy(int), df["n"].to_numpy(int)


def perturbed(y: np.ndarray, i: int, scale: float = 2.0) -> np.ndarray:
    """The data with its values moved a little, differently for each i (a refit, not a replay)."""
    if i == 0:
        return y
    return y + np.random.default_rng(1000 + i).normal(0.0, scale, size=y.shape)


# --- child processes -----------------------------------------------------------------------------


def run_child(
    args: list[str], env: dict | None = None, timeout: float = 1800, python: str | None = None
) -> tuple[dict, float]:
    """Run ``bench/run.py --child *args`` in a new interpreter (``python``, this one by default);
    its last stdout line (JSON) and the wall time of the whole process. The child runs without the server's background warm-up
    (``HBVIZ_WARM_UP=0``): a page run through AppTest would start it, it would compete with what
    is measured, and a process that exits while XLA compiles in that thread aborts."""
    start = time.perf_counter()
    proc = subprocess.run(
        [python or sys.executable, str(RUN), "--child", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "HBVIZ_WARM_UP": "0", **(env or {})},
        timeout=timeout,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    if proc.returncode != 0:
        raise RuntimeError(f"child {args} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1]), wall


# --- compiles, seen through JAX's public monitoring events ----------------------------------------

TRACE_EVENT = "/jax/core/compile/jaxpr_trace_duration"
LOWER_EVENT = "/jax/core/compile/jaxpr_to_mlir_module_duration"
COMPILE_EVENT = "/jax/core/compile/backend_compile_duration"  # a compile or a persistent-cache load
CACHE_HIT_EVENT = "/jax/compilation_cache/cache_hits"
COMPILE_STAGES = {"trace": TRACE_EVENT, "lower": LOWER_EVENT, "compile": COMPILE_EVENT}


class CompileLog:
    """Seconds spent tracing, lowering and compiling (or loading from the persistent cache) in
    this process, and how many programs were compiled, from ``jax.monitoring``'s events.

    JAX records these for every jitted program it builds, a module-level ``jax.jit`` in hbviz or
    an eager operation's small program alike, so a call that leaves :meth:`snapshot`'s
    ``"programs"`` unchanged compiled nothing. Take a snapshot before and after, and subtract.
    """

    def __init__(self) -> None:
        import jax.monitoring

        self.seconds = dict.fromkeys(COMPILE_STAGES, 0.0)
        self.programs = 0
        self.cache_hits = 0
        stage_of = {event: stage for stage, event in COMPILE_STAGES.items()}

        def on_duration(event: str, duration: float, **_: object) -> None:
            stage = stage_of.get(event)
            if stage is not None:
                self.seconds[stage] += duration
                self.programs += stage == "compile"

        def on_event(event: str, **_: object) -> None:
            self.cache_hits += event == CACHE_HIT_EVENT

        jax.monitoring.register_event_duration_secs_listener(on_duration)
        jax.monitoring.register_event_listener(on_event)

    def snapshot(self) -> dict[str, float]:
        return {**self.seconds, "programs": self.programs, "cache_hits": self.cache_hits}

    @staticmethod
    def since(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
        return {k: after[k] - before[k] for k in after}
