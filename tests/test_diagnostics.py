"""Rank-normalized R̂ and bulk/tail ESS (hbviz.diagnostics) on chains whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from arviz_stats.base import array_stats
from numpyro.diagnostics import split_gelman_rubin

from hbviz import diagnostics, nuts
from tests.conftest import SUMMARY_COLUMNS


def ar1_chains(rng, rho: float, chains: int, draws: int) -> np.ndarray:
    """Stationary AR(1) chains x_t = ρ x_{t-1} + √(1-ρ²) ε_t, marginally N(0, 1)."""
    x = np.empty((chains, draws))
    x[:, 0] = rng.normal(size=chains)
    noise = rng.normal(size=(chains, draws)) * np.sqrt(1 - rho**2)
    for t in range(1, draws):
        x[:, t] = rho * x[:, t - 1] + noise[:, t]
    return x


def test_ess_of_ar1_chains_is_the_known_value(rng):
    # ESS of the mean of an AR(1) chain is N (1 − ρ)/(1 + ρ); ArviZ's estimate has a relative
    # sd of roughly 5% at this size (20 replications here: about 3% each side)
    rho, chains, draws = 0.8, 4, 2000
    expected = chains * draws * (1 - rho) / (1 + rho)
    bulk = [diagnostics.ess_bulk(ar1_chains(rng, rho, chains, draws)) for _ in range(20)]
    assert abs(np.mean(bulk) / expected - 1) < 0.05
    x = ar1_chains(rng, rho, chains, draws)
    # an indicator of a 5% tail is less autocorrelated than the chain itself (ρ^k → its
    # indicator's autocorrelation is smaller), so the tail ESS lies between the two
    assert expected < diagnostics.ess_tail(x) < chains * draws
    assert diagnostics.r_hat(x) < 1.01


def test_per_site_shapes_follow_the_draws(rng):
    x = rng.normal(size=(4, 500, 3, 2))
    for stat in (diagnostics.r_hat, diagnostics.ess_bulk, diagnostics.ess_tail):
        assert stat(x).shape == (3, 2)
    with pytest.raises(ValueError, match="chains, draws"):
        diagnostics.r_hat(np.zeros(10))


def test_chains_that_differ_in_scale_only_are_flagged(rng):
    # Same mean, one chain four times as wide: classic split R̂ (means) calls it converged;
    # the rank-normalized, folded R̂ sees the tails disagree (Vehtari et al. 2021, Fig. 3).
    x = rng.normal(size=(4, 1000))
    x[0] *= 4.0
    classic = float(split_gelman_rubin(x))
    rank = float(diagnostics.r_hat(x))
    assert classic < 1.01 < rank


def test_one_chain_gets_its_split_r_hat(rng):
    # Split R̂ compares a chain's two halves (Vehtari et al. 2021, §4.1), so one chain has one.
    # Stationary AR(1), ρ = 0.5, 4000 draws: each half has ESS ≈ 2000/3, and R̂ − 1 ≈
    # (3χ²₁ − 1)/(2·2000), over 0.01 with probability about 2e-4 (bulk or tail).
    steady = ar1_chains(rng, 0.5, 1, 4000)
    assert 0.99 < diagnostics.r_hat(steady) < 1.01
    # the same chain drifting by two sds over its length: its halves' means differ by one
    drifting = steady + np.linspace(0.0, 2.0, 4000)
    assert diagnostics.r_hat(drifting) > 1.1
    assert float(split_gelman_rubin(drifting)) > 1.1  # NumPyro's classic split R̂ agrees
    # halves that agree in mean but not in spread: only the rank-normalized, folded R̂ sees it
    wider = rng.normal(size=(1, 4000))
    wider[0, 2000:] *= 4.0
    assert float(split_gelman_rubin(wider)) < 1.01 < diagnostics.r_hat(wider)
    assert diagnostics.r_hat(rng.normal(size=(1, 500, 3, 2))).shape == (3, 2)
    assert np.isnan(diagnostics.r_hat(np.ones((1, 100)))) and np.isnan(
        diagnostics.r_hat(steady[:, :3])
    )


@pytest.mark.parametrize(("chains", "draws"), [(2, 7), (2, 1001), (4, 100)])
def test_the_one_chain_computation_is_arviz_s_on_several_chains(rng, chains, draws):
    # ArviZ returns NaN below two chains; hbviz's own split R̂, used for one chain, is the same
    # computation: on two or more chains it gives ArviZ's numbers.
    x = ar1_chains(rng, 0.5, chains, draws)
    expected = float(array_stats.rhat(x, chain_axis=0, draw_axis=1))
    assert diagnostics._split_rank_r_hat(x) == pytest.approx(expected, rel=1e-12)


def test_posterior_summary_reports_rank_r_hat_and_both_ess(rng):
    draws = rng.normal(size=(4, 1000))
    draws[0] *= 4.0
    summary = nuts.posterior_summary({"x": draws, "y": rng.normal(size=(4, 1000, 2))})
    assert list(summary.columns) == list(nuts.SUMMARY_COLUMNS)
    assert list(nuts.SUMMARY_COLUMNS) == SUMMARY_COLUMNS
    np.testing.assert_allclose(summary.loc["x", "r_hat"], diagnostics.r_hat(draws))
    np.testing.assert_allclose(summary.loc["x", "n_eff"], diagnostics.ess_bulk(draws))
    report = diagnostics.convergence_report(summary, divergences=0, draws=4000)
    assert not report.passed
    assert report.max_r_hat > 1.01
    assert any("R̂ reaches" in p for p in report.problems)


def test_a_one_chain_fit_is_checked_within_the_chain(rng):
    summary = nuts.posterior_summary({"x": ar1_chains(rng, 0.5, 1, 4000) + np.linspace(0, 2, 4000)})
    assert summary.loc["x", "r_hat"] > 1.1
    report = diagnostics.convergence_report(summary, divergences=0, draws=4000, chains=1)
    (problem,) = [p for p in report.problems if "R̂ reaches" in p]
    assert "split R-hat within the one chain" in problem and "chains disagree" not in problem


def test_moments_that_do_not_exist_are_left_out(rng):
    draws = np.exp(rng.normal(size=(2, 100)))
    summary = nuts.posterior_summary({"alpha": draws}, moments_undefined=("alpha",))
    assert np.isnan(summary.loc["alpha", ["mean", "sd"]]).all()
    assert summary.loc["alpha", "median"] == pytest.approx(np.median(draws))


@pytest.mark.parametrize(
    ("row", "divergences", "passed", "phrase"),
    [
        ({"r_hat": 1.005, "n_eff": 900.0, "ess_tail": 700.0}, 0, True, None),
        ({"r_hat": 1.005, "n_eff": 900.0, "ess_tail": 700.0}, 40, True, None),
        (
            {"r_hat": 1.005, "n_eff": 900.0, "ess_tail": 700.0},
            41,
            False,
            "41 divergent transitions in 4000",
        ),
        ({"r_hat": 1.02, "n_eff": 900.0, "ess_tail": 700.0}, 0, False, "chains disagree"),
        ({"r_hat": 1.005, "n_eff": 399.0, "ess_tail": 700.0}, 0, False, "bulk ESS"),
        ({"r_hat": 1.005, "n_eff": 900.0, "ess_tail": 399.0}, 0, False, "tail ESS"),
        ({"r_hat": np.nan, "n_eff": np.nan, "ess_tail": np.nan}, 0, False, "R̂ reaches"),
    ],
)
def test_convergence_report_thresholds(row, divergences, passed, phrase):
    report = diagnostics.convergence_report(pd.DataFrame([row]), divergences, 4000)
    assert report.passed is passed
    if phrase:
        assert any(phrase in p for p in report.problems)
    if passed and divergences:
        assert report.notes and "40 divergent transitions in 4000" in report.notes[0]
