"""NUTS and the exact grid sampler on the same data and priors must agree (eight schools; counts)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from hbviz import beta_binomial, diagnostics, normal_normal, nuts

ROOT = Path(__file__).resolve().parent.parent

PRIORS = {"tau_prior": "half_cauchy", "tau_scale": 5.0, "mu_prior": (0.0, 5.0)}


@pytest.fixture(scope="module")
def exact(schools):
    return normal_normal.sample_posterior(*schools, **PRIORS, draws=40_000, seed=2)


@pytest.fixture(scope="module")
def noncentered(schools):
    return nuts.fit_normal_hierarchy(
        *schools, centered=False, **PRIORS, num_chains=4, num_warmup=1000, num_samples=1000, seed=4
    )


def test_noncentered_nuts_means_agree_with_the_exact_posterior(exact, noncentered):
    """Posterior means within 0.15 posterior sd: about five NUTS Monte Carlo errors at n_eff ≥ 1000."""
    summary = noncentered.summary
    assert noncentered.divergences <= 10
    assert summary["r_hat"].max() < 1.01
    checks = {"mu": exact.mu, "tau": exact.tau}
    checks |= {f"theta[{j}]": exact.theta[:, j] for j in range(exact.theta.shape[1])}
    for site, draws in checks.items():
        sd = draws.std()
        # the tolerance must exceed the Monte Carlo error it allows for, or the test means nothing
        assert sd / np.sqrt(summary.loc[site, "n_eff"]) < 0.15 * sd / 3, site
        assert summary.loc[site, "mean"] == pytest.approx(draws.mean(), abs=0.15 * sd), site


def test_noncentered_tau_quantiles_agree_with_the_exact_grid(exact, noncentered):
    tau_nuts = noncentered.samples["tau"].ravel()
    for level in (0.25, 0.5, 0.75, 0.9):
        q_exact = np.quantile(exact.tau, level)
        # the fraction of NUTS draws below the exact quantile, within 4 MC sd at n_eff draws
        n_eff = noncentered.summary.loc["tau", "n_eff"]
        fraction = np.mean(tau_nuts <= q_exact)
        assert fraction == pytest.approx(level, abs=4 * np.sqrt(level * (1 - level) / n_eff))


def test_centered_form_reports_its_divergences(schools):
    fit = nuts.fit_normal_hierarchy(
        *schools, centered=True, **PRIORS, num_chains=2, num_warmup=500, num_samples=500, seed=4
    )
    assert isinstance(fit.divergences, int)
    assert fit.divergences == int(fit.diverging.sum())
    assert fit.diverging.shape == (2, 500)


# --- counts: the beta–binomial hierarchy, NUTS on (log(α/β), log(α+β)) with θ drawn exactly ---


def counts(name: str) -> tuple[np.ndarray, np.ndarray]:
    if name == "baseball":  # Efron & Morris (1975), the Your-data example that used to fail
        table = pd.read_csv(ROOT / "data" / "examples" / "counts_baseball.csv")
        return table["hits"].to_numpy(), table["at_bats"].to_numpy()
    table = pd.read_csv(ROOT / "data" / "surgical.csv")  # BUGS "Surgical", 12 hospitals
    return table["deaths"].to_numpy(), table["operations"].to_numpy()


@pytest.mark.parametrize("name", ["baseball", "surgical"])
def test_counts_nuts_check_passes_and_agrees_with_the_exact_posterior(name):
    y, n = counts(name)
    fit = nuts.fit_binomial_hierarchy(y, n, seed=0)  # the defaults: 4 × (1000 + 1000)
    report = diagnostics.convergence_report(fit.summary, fit.divergences, fit.diverging.size)
    assert report.passed, report.problems
    exact = beta_binomial.sample_posterior(y, n, draws=20_000, seed=3)
    draws = fit.samples["theta"].reshape(-1, len(y))
    ess = fit.summary.loc[[f"theta[{j}]" for j in range(len(y))], "n_eff"].to_numpy()
    sd = exact.theta.std(axis=0)
    # Z standard errors of a difference of means (of sds: sd/√(2n) each) of two samplers
    z = 4.5
    se_mean = sd * np.sqrt(1 / 20_000 + 1 / ess)
    se_sd = sd * np.sqrt(1 / 40_000 + 1 / (2 * ess))
    assert np.all(np.abs(draws.mean(axis=0) - exact.theta.mean(axis=0)) < z * se_mean)
    assert np.all(np.abs(draws.std(axis=0) - sd) < z * se_sd)
    # quantiles of α/(α+β) and log(α+β): the share of exact draws below each NUTS quantile
    hyper = {
        "population_mean": exact.alpha / (exact.alpha + exact.beta),
        "log_alpha_plus_beta": np.log(exact.alpha + exact.beta),
    }
    for site, exact_draws in hyper.items():
        tail_ess = fit.summary.loc[site, "ess_tail"]
        for level in (0.05, 0.5, 0.95):
            q = np.quantile(fit.samples[site], level)
            se = np.sqrt(level * (1 - level) * (1 / 20_000 + 1 / tail_ess))
            assert np.mean(exact_draws <= q) == pytest.approx(level, abs=z * se), (site, level)
