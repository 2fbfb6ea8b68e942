"""Does the Your-data page's NUTS check pass its own diagnostics, and agree with the exact analysis?

Runs :func:`hbviz.your_data.nuts_check` (the page's check, its default priors) on every shipped
example (``data/examples/*.csv``: baseball counts, BCG estimates, chick-weight raw values) and on
the lecture data sets (eight schools as estimates, rat tumors and free throws as counts), with
4 chains × (D warm-up + D draws), and prints per data set: the form NUTS used (centered or not,
:func:`hbviz.your_data.centered_form`), divergences, the largest rank-normalized R̂, the smallest
bulk and tail ESS over every site, whether the fit passes
(:func:`hbviz.diagnostics.convergence_report`), and the largest gaps between NUTS and the exact
posterior of the same model in the mean and sd of the θ_j, in Monte Carlo sds
(:func:`hbviz.your_data.agreement`). For raw data the exact analysis fixes σ at the pooled sd s_p
where NUTS estimates it: the same-model reference is then the exact analysis given NUTS's σ
draws (:func:`hbviz.your_data.exact_given_sigma`), and ``sd gap vs s_p`` gives the largest
relative sd gap against the σ = s_p analysis the page shows (the part σ's uncertainty explains).

Run from the repository root::

    HBVIZ_JAX_CACHE_DIR=/work/jax_cache python bench/nuts_check.py [--draws 1000]

``--draws D`` is the page's "NUTS draws per chain" (default 1000, the page's default). Seconds
are one fit's wall time, compile included when the program was not cached.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from hbviz import datasets, diagnostics, upload, your_data  # noqa: E402


def lecture_data() -> dict[str, upload.Dataset]:
    schools = datasets.eight_schools()
    rats = datasets.rat_tumor()
    throws = datasets.free_throws()

    def counts(names, y, n):
        table = pd.DataFrame({"group": names, "successes": y, "trials": n})
        return upload.Dataset("counts", table)

    estimates = pd.DataFrame(
        {"group": schools["school"], "estimate": schools["y"], "std_error": schools["sigma"]}
    )
    return {
        "eight schools": upload.Dataset("estimates", estimates),
        "rat tumors": counts([f"rat {k + 1}" for k in range(len(rats))], rats["y"], rats["n"]),
        "free throws": counts(throws["season"], throws["made"], throws["attempts"]),
    }


def shipped_data() -> dict[str, upload.Dataset]:
    return {
        f"{shape} example": upload.parse(upload.example(shape))
        for shape in ("counts", "estimates", "raw")
    }


def check(data: upload.Dataset, draws: int, seed: int) -> dict:
    exact = your_data.analyse(data)
    start = time.perf_counter()
    chk = your_data.nuts_check(data, draws=draws, seed=seed, exact=exact)
    seconds = time.perf_counter() - start
    fit = chk.fit
    report = diagnostics.convergence_report(fit.summary, fit.divergences, fit.diverging.size)
    return {
        "form": "θ integrated out"
        if data.shape == "counts"
        else ("centered" if chk.centered else "non-centered"),
        "divergences": report.divergences,
        "max R̂": report.max_r_hat,
        "min bulk ESS": report.min_ess_bulk,
        "min tail ESS": report.min_ess_tail,
        "passes": report.passed,
        "max |z mean|": chk.agreement["z_mean"].abs().max(),
        "max |z sd|": chk.agreement["z_sd"].abs().max(),
        "sd gap vs s_p": chk.largest_sd_gap if data.shape == "raw" else np.nan,
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--draws", type=int, default=your_data.NUTS_DRAWS, help="warm-up and draws per chain"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rows = {
        name: check(data, args.draws, args.seed)
        for name, data in (shipped_data() | lecture_data()).items()
    }
    table = pd.DataFrame(rows).T
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"your_data.nuts_check: 4 chains × ({args.draws} warm-up + {args.draws} draws)")
        print(table.to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
