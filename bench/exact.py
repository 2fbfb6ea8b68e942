"""Sections 1–2: the exact samplers (hbviz.normal_normal, hbviz.beta_binomial) against the plain
NumPy/SciPy grid samplers of bench/plain.py, which draw from the same posteriors
(tests/test_bench_plain.py)."""

from __future__ import annotations

import time
from collections.abc import Callable

import numpy as np

from bench import plain
from bench.harness import Config, Section, Stats, eight_schools, fmt_seconds, rat_tumor, time_calls

DRAWS = 4000


def compare(
    sec: Section,
    name: str,
    ours: Callable[[int], object],
    baseline: Callable[[int], object],
    *,
    repeats: int,
    baseline_warmup: int,
    limit: float,
) -> None:
    """Time ``ours(seed)`` and ``baseline(seed)``; add their rows, the targets (``ours`` within
    ``limit`` seconds, faster than the baseline) and the first call's time to ``sec``."""
    start = time.perf_counter()
    ours(0)
    first = time.perf_counter() - start
    hb = Stats(time_calls(ours, repeats=repeats, warmup=3))
    base = Stats(time_calls(baseline, repeats=repeats, warmup=baseline_warmup))
    ratio = base.median / hb.median
    for label, stats, shown in (
        (name, hb, f"{ratio:.1f}×"),
        ("plain NumPy/SciPy (bench/plain.py)", base, "1×"),
    ):
        sec.rows.append(
            [label, fmt_seconds(stats.median), stats.spread(), str(len(stats.times)), shown]
        )
    sec.verdicts.append((f"≤ {limit * 1e3:g} ms ({fmt_seconds(hb.median)})", hb.median <= limit))
    sec.verdicts.append((f"faster than plain ({ratio:.2f}×)", ratio > 1.0))
    sec.notes.append(
        f"First call in this process (trace + compile, or a load from the persistent cache): "
        f"{fmt_seconds(first)}."
    )


COLUMNS = ["implementation", "median", "spread", "n", "plain / hbviz"]


def bench_exact8(cfg: Config) -> Section:
    from hbviz import normal_normal

    y, sigma = eight_schools()
    sec = Section(f"1. Exact eight-schools posterior ({DRAWS} draws of μ, τ, θ; warm)", COLUMNS)
    compare(
        sec,
        "hbviz.normal_normal.sample_posterior",
        lambda i: normal_normal.sample_posterior(y, sigma, draws=DRAWS, seed=i),
        lambda i: plain.eight_schools_posterior(
            y, sigma, draws=DRAWS, rng=np.random.default_rng(i)
        ),
        repeats=cfg.exact_repeats,
        baseline_warmup=3,
        limit=0.010,
    )
    sec.notes.append(
        "hbviz: adaptive grid (256-point locating pass, then 1024 points), τ drawn by inverse CDF "
        "within cells. Plain: BDA3-demo style, 1000 equal cells on (0, 100), `Generator.choice` "
        "of cells with uniform jitter, conditionals evaluated at the drawn τ."
    )
    return sec


def bench_rats(cfg: Config) -> Section:
    sec = Section(
        f"2. Exact rat-tumor posterior (grid + {DRAWS} draws of α, β and 71 θ_j; warm)", COLUMNS
    )
    try:
        from hbviz import beta_binomial
    except ImportError as err:
        sec.notes.append(f"Skipped: hbviz.beta_binomial cannot be imported ({err}).")
        return sec
    y, n = rat_tumor()
    compare(
        sec,
        "hbviz.beta_binomial.sample_posterior",
        lambda i: beta_binomial.sample_posterior(y, n, draws=DRAWS, seed=i),
        lambda i: plain.rat_tumor_posterior(y, n, draws=DRAWS, rng=np.random.default_rng(i)),
        repeats=cfg.exact_repeats,
        baseline_warmup=2,
        limit=0.050,
    )
    sec.notes.append(
        "hbviz: adaptive grid in (log(α/β), log(α+β)), a wide search grid and zooms, then a "
        "final grid of up to 128 × 128 cells; θ_j by NumPy's `Generator.beta`. "
        "Plain: BDA3-demo style, a 100 × 100 grid of cell midpoints over log(α/β) ∈ (−2.6, −1.0), "
        "log(α+β) ∈ (1, 6) (all but ~1e-6 of the mass), `gammaln` broadcast over (J, 100, 100), "
        "cells drawn and jittered, θ_j by `Generator.beta` (as hbviz since bench/beta_sampler.py)."
    )
    return sec
