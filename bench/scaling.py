"""Section 6: the exact samplers for 10 to 100,000 groups, each size in a fresh process: time,
CPU time, where the beta–binomial call's time goes, peak memory, and the growth exponent
(log-log slope against the number of groups)."""

from __future__ import annotations

import gc
import json
import os
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.harness import Config, Section, Stats, fmt_seconds, run_child

SCALING_DRAWS = 1000  # theta is draws × J float64: 800 MB at 100,000 groups


def child_scale(model: str, groups: int, draws: int, repeats: int, measure: str) -> None:
    rng = np.random.default_rng(groups)
    if model == "beta_binomial":
        from hbviz import beta_binomial

        n = rng.integers(10, 60, size=groups)
        y = rng.binomial(n, rng.beta(2.0, 13.0, size=groups))

        def call(i):
            return beta_binomial.sample_posterior(y, n, draws=draws, seed=i)

        def theta_step(hyper, i):
            # the call's last step alone, on the call's own (α, β) draws
            return beta_binomial.theta_given_hyperparameters(*hyper, y, n, seed=i)
    else:
        from hbviz import normal_normal

        sigma = rng.uniform(8.0, 18.0, size=groups)
        y = rng.normal(8.0, 6.0, size=groups) + sigma * rng.normal(size=groups)

        def call(i):
            return normal_normal.sample_posterior(y, sigma, draws=draws, seed=i)

        theta_step = None

    start = time.perf_counter()
    out = call(0)
    first = time.perf_counter() - start
    assert out.theta.shape == (draws, groups)
    hyper = (out.alpha, out.beta) if theta_step is not None else None
    del out
    gc.collect()
    if measure == "time":
        # VmHWM, not getrusage's ru_maxrss: Linux carries ru_maxrss over from the parent
        # through fork and exec, so a child's would report the benchmark process's own peak
        first_peak = status_kb("VmHWM")
        # the whole call and its θ step alone, interleaved so that the shared machine's load
        # hits both alike; CPU time is the process's, summed over its threads
        times, cpu, theta_times, theta_cpu = [], [], [], []
        steps = [(call, times, cpu)]
        if theta_step is not None:
            steps.append((lambda i: theta_step(hyper, i), theta_times, theta_cpu))
        for i in range(repeats):
            for fn, wall, used in steps:
                start, start_cpu = time.perf_counter(), time.process_time()
                fn(i)
                wall.append(time.perf_counter() - start)
                used.append(time.process_time() - start_cpu)
        print(
            json.dumps(
                {
                    "first": first,
                    "times": times,
                    "cpu": cpu,
                    "theta_times": theta_times,
                    "theta_cpu": theta_cpu,
                    "first_peak_kb": first_peak,
                }
            )
        )
        return
    # Memory: the peak of one warm call. The parent sets MALLOC_MMAP_THRESHOLD_, so that large
    # buffers are mapped and unmapped rather than kept by malloc after the first call; then the
    # kernel's high-water mark (VmHWM, reset through /proc/self/clear_refs) sees this call alone.
    reset = reset_peak_rss()
    before = status_kb("VmRSS")
    call(1)
    peak = status_kb("VmHWM")
    print(json.dumps({"before_kb": before, "peak_kb": peak, "reset": reset}))


def status_kb(field_name: str) -> int:
    """A memory figure of this process from /proc/self/status, in kB (Linux)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field_name} in /proc/self/status")


def reset_peak_rss() -> bool:
    """Linux: writing 5 to /proc/self/clear_refs resets VmHWM, the peak resident set size."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def slope(x: Sequence[float], y: Sequence[float]) -> float:
    return float(np.polyfit(np.log(x), np.log(y), 1)[0])


def bench_scaling(cfg: Config) -> Section:
    sec = Section(
        f"6. Scaling of the exact samplers with the number of groups J ({SCALING_DRAWS} draws)",
        [
            "model",
            "J",
            "median time",
            "spread",
            "CPU time (all threads)",
            "θ draws given α, β: wall (share), CPU",
            "first call",
            "peak RSS of a call",
            "process peak (warm call)",
            "process peak (first call)",
            "θ array",
        ],
    )
    load_start = os.getloadavg()
    for model in ("beta_binomial", "normal_normal"):
        xs, ts, mems = [], [], []
        for groups in cfg.scaling_groups:
            common = ["scale", "--model", model, "--groups", str(groups)]
            common += ["--draws", str(SCALING_DRAWS), "--repeats", str(cfg.scaling_repeats)]
            try:
                res, _ = run_child([*common, "--measure", "time"])
                mem, _ = run_child(
                    [*common, "--measure", "memory"], env={"MALLOC_MMAP_THRESHOLD_": "65536"}
                )
            except Exception as err:
                sec.rows.append([model, f"{groups:,}", "failed", str(err)[-200:], *[""] * 7])
                continue
            stats = Stats(res["times"])
            call_mb = (mem["peak_kb"] - mem["before_kb"]) / 1024
            xs.append(groups)
            ts.append(stats.median)
            mems.append(max(call_mb, 1e-3))
            share = "–"
            if res["theta_times"]:
                theta = Stats(res["theta_times"]).median
                share = f"{fmt_seconds(theta)} ({theta / stats.median:.0%}), "
                share += fmt_seconds(float(np.median(res["theta_cpu"])))
            sec.rows.append(
                [
                    model,
                    f"{groups:,}",
                    fmt_seconds(stats.median),
                    stats.spread(),
                    fmt_seconds(float(np.median(res["cpu"]))),
                    share,
                    fmt_seconds(res["first"]),
                    f"{call_mb:,.0f} MB" + ("" if mem["reset"] else " (peak not reset)"),
                    f"{mem['peak_kb'] / 1024:,.0f} MB",
                    f"{res['first_peak_kb'] / 1024:,.0f} MB",
                    f"{SCALING_DRAWS * groups * 8 / 1e6:,.1f} MB",
                ]
            )
            if groups == 10_000:
                sec.verdicts.append(
                    (
                        f"{model}: 10,000 groups ≤ 1 s ({fmt_seconds(stats.median)})",
                        stats.median <= 1.0,
                    )
                )
            if groups == 100_000 and model == "beta_binomial":
                sec.verdicts.append(
                    (
                        f"{model}: 100,000 groups ≤ 2 s (issue 14; {fmt_seconds(stats.median)})",
                        stats.median <= 2.0,
                    )
                )
        big = [i for i, x in enumerate(xs) if x >= 1_000]
        if len(big) >= 2:
            t_slope = slope([xs[i] for i in big], [ts[i] for i in big])
            m_slope = slope([xs[i] for i in big], [mems[i] for i in big])
            all_slope = slope(xs, ts) if len(xs) >= 2 else float("nan")
            last = slope(xs[-2:], ts[-2:])
            sec.notes.append(
                f"{model}: log-log slope of time against J over J ≥ 1,000: {t_slope:.2f} (over "
                f"all sizes: {all_slope:.2f}; between the two largest: {last:.2f}); of a call's "
                f"peak RSS: {m_slope:.2f}."
            )
            sec.verdicts.append(
                (
                    f"{model}: growth ≤ linear (time slope {t_slope:.2f}, memory "
                    f"slope {m_slope:.2f}, J ≥ 1,000)",
                    max(t_slope, m_slope) <= 1.1,
                )
            )
    sec.notes.append(
        f"Synthetic data: counts n_j ~ U{{10..59}}, y_j ~ Bin(n_j, θ_j), θ_j ~ Beta(2, 13); "
        f"estimates σ_j ~ U(8, 18), y_j ~ N(8, 6²) + σ_j·N(0, 1). {SCALING_DRAWS} draws so that "
        "100,000 groups fit in memory (θ alone is draws × J float64). Each size runs in a fresh "
        "process: 'first call' includes compiling for that J (the persistent cache may serve it), "
        "the median is over warm calls. Memory is the kernel's resident set size, which sees "
        "XLA's buffers (tracemalloc does not), measured in a second fresh process per size with "
        "`MALLOC_MMAP_THRESHOLD_=65536` (so that malloc returns large freed buffers to the "
        "system): 'peak RSS of a call' is the high-water mark during one warm call (reset through "
        "/proc/self/clear_refs) minus the RSS before it; the process peaks (VmHWM) include the "
        "interpreter and JAX, and for the first call (in the timing process, default malloc) the "
        "compiler. Growth ≤ linear is read as a "
        "log-log slope ≤ 1.1."
    )
    sec.notes.append(
        "Where the beta–binomial call's time goes: 'θ draws given α, β' is "
        "`theta_given_hyperparameters` timed alone on the call's own (α, β) draws (J × draws Beta "
        "variates, on threads), after each timed call, with its share of the median call; the "
        "rest is validation, the "
        "grid of log p(α, β | y) (evaluated on per-count sufficient statistics, so its cost grows "
        "with the distinct counts, not with J) and the (α, β) draws. 'CPU time' is the process's, "
        "summed over its threads, median per warm call: above the wall time when the call ran on several "
        "cores, and the figure to compare when the machine is loaded."
    )
    load = ", ".join(f"{x:.2f}" for x in load_start)
    end = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    sec.notes.append(
        f"Load average (1, 5, 15 min) at this section's start: {load}; at its end: {end}."
    )
    return sec
