"""NUTS and the exact grid sampler on the same data and priors must agree (eight schools)."""

from __future__ import annotations

import numpy as np
import pytest

from hbviz import normal_normal, nuts

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
