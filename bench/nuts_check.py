"""Does the NUTS check pass its own diagnostics, and agree with the exact analysis?

For every counts example shipped (baseball, rat tumors, free throws) and the public surgical
data, fits the beta–binomial hierarchy with :func:`hbviz.nuts.fit_binomial_hierarchy` at its
defaults (4 chains × (1000 warm-up + 1000 draws)) and prints: divergences, the largest
rank-normalized R̂, the smallest bulk and tail ESS over every site, whether the fit passes
(:func:`hbviz.diagnostics.convergence_report`), and the largest gap between NUTS and the exact
sampler (:func:`hbviz.beta_binomial.sample_posterior`, 20,000 draws) in the posterior mean and sd
of the θ_j, in the data's units and in Monte Carlo standard errors (z: gap over the se of the
difference, from the exact draws' count and NUTS's bulk ESS). Then the same for eight schools
(non-centered, half-Cauchy(5), μ ~ N(0, 5), against the exact sampler under those priors) and the
raw example (chick weights, partial pooling with :func:`hbviz.your_data.raw_nuts_priors`, against
the exact normal–normal analysis of the group means with σ_j = s_p/√n_j, s_p the pooled sd: a
different model, which estimates σ jointly, so a gap there is not only Monte Carlo error).

Run from the repository root::

    HBVIZ_JAX_CACHE_DIR=/work/jax_cache python bench/nuts_check.py [--draws 1000]

``--draws D`` runs every fit with 4 chains × (D warm-up + D draws), as the Your-data page's
"NUTS draws per chain" slider does.
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

from hbviz import beta_binomial, datasets, diagnostics, normal_normal, nuts, your_data  # noqa: E402

EXACT_DRAWS = 20_000


def counts_data() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    baseball = pd.read_csv(ROOT / "data" / "examples" / "counts_baseball.csv")
    rats = datasets.rat_tumor()
    throws = datasets.free_throws()
    surgical = pd.read_csv(ROOT / "data" / "surgical.csv")
    return {
        "baseball (Efron–Morris)": (baseball["hits"].to_numpy(), baseball["at_bats"].to_numpy()),
        "rat tumors": (rats["y"].to_numpy(), rats["n"].to_numpy()),
        "free throws": (throws["made"].to_numpy(), throws["attempts"].to_numpy()),
        "surgical (12 hospitals)": (
            surgical["deaths"].to_numpy(),
            surgical["operations"].to_numpy(),
        ),
    }


def gaps(exact_theta: np.ndarray, fit: nuts.Fit, site: str) -> dict[str, float]:
    """Largest |NUTS − exact| in posterior mean and sd over the groups, and as z-scores."""
    draws = fit.samples[site]
    flat = draws.reshape(-1, draws.shape[-1])
    ess = np.array([fit.summary.loc[f"{site}[{j}]", "n_eff"] for j in range(flat.shape[1])])
    mean_gap = flat.mean(axis=0) - exact_theta.mean(axis=0)
    sd_exact = exact_theta.std(axis=0, ddof=1)
    sd_gap = flat.std(axis=0, ddof=1) - sd_exact
    # se of a mean from n effective draws: sd/√n; of an sd: about sd/√(2n) (normal draws)
    se_mean = sd_exact * np.sqrt(1 / exact_theta.shape[0] + 1 / ess)
    se_sd = sd_exact * np.sqrt(1 / (2 * exact_theta.shape[0]) + 1 / (2 * ess))
    return {
        "max |Δmean|": float(np.max(np.abs(mean_gap))),
        "z mean": float(np.max(np.abs(mean_gap / se_mean))),
        "max |Δsd|": float(np.max(np.abs(sd_gap))),
        "z sd": float(np.max(np.abs(sd_gap / se_sd))),
    }


def row(fit: nuts.Fit, exact_theta: np.ndarray, site: str, seconds: float) -> dict:
    report = diagnostics.convergence_report(fit.summary, fit.divergences, fit.diverging.size)
    return {
        "divergences": report.divergences,
        "max R̂": report.max_r_hat,
        "min bulk ESS": report.min_ess_bulk,
        "min tail ESS": report.min_ess_tail,
        "passes": report.passed,
        **gaps(exact_theta, fit, site),
        "seconds": seconds,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000, help="warm-up and draws per chain")
    draws = parser.parse_args().draws
    run = {"num_warmup": draws, "num_samples": draws}
    rows = {}
    for name, (y, n) in counts_data().items():
        start = time.perf_counter()
        fit = nuts.fit_binomial_hierarchy(y, n, seed=0, **run)
        seconds = time.perf_counter() - start
        exact = beta_binomial.sample_posterior(y, n, draws=EXACT_DRAWS, seed=1)
        rows[name] = row(fit, exact.theta, "theta", seconds)

    y, sigma = (datasets.eight_schools()[c].to_numpy() for c in ("y", "sigma"))
    priors = {"tau_prior": "half_cauchy", "tau_scale": 5.0, "mu_prior": (0.0, 5.0)}
    start = time.perf_counter()
    fit = nuts.fit_normal_hierarchy(y, sigma, seed=0, **priors, **run)
    seconds = time.perf_counter() - start
    exact = normal_normal.sample_posterior(y, sigma, draws=EXACT_DRAWS, seed=1, **priors)
    rows["eight schools"] = row(fit, exact.theta, "theta", seconds)

    chicks = pd.read_csv(ROOT / "data" / "examples" / "raw_chickwts.csv")
    group_col, value_col = chicks.columns[:2]
    table = chicks.rename(columns={group_col: "group", value_col: "value"})
    codes, _ = pd.factorize(table["group"])
    raw_priors = your_data.raw_nuts_priors(table)
    start = time.perf_counter()
    fit = nuts.fit_pooling(table["value"].to_numpy(float), codes, seed=0, **raw_priors, **run)
    seconds = time.perf_counter() - start
    grouped = table.groupby(codes)["value"]
    per_group = grouped.size().to_numpy()
    pooled_sd = np.sqrt(
        (grouped.var(ddof=1).to_numpy() * (per_group - 1)).sum() / (per_group - 1).sum()
    )
    exact = normal_normal.sample_posterior(
        grouped.mean().to_numpy(),
        pooled_sd / np.sqrt(per_group),
        tau_prior="half_normal",
        tau_scale=raw_priors["tau_scale"],
        mu_prior=raw_priors["mu_prior"],
        draws=EXACT_DRAWS,
        seed=1,
    )
    rows["chick weights (raw)"] = row(fit, exact.theta, "mu", seconds)

    table = pd.DataFrame(rows).T
    with pd.option_context("display.width", 200, "display.max_columns", 20):
        print(f"4 chains × ({draws} warm-up + {draws} draws)")
        print(table.to_string(float_format=lambda x: f"{x:.4g}"))


if __name__ == "__main__":
    main()
