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


def draws_of_every_kind(rng, chains: int, draws: int) -> np.ndarray:
    """Draws (chains, draws, 12) whose elements exercise each branch of the diagnostics."""
    x = np.empty((chains, draws, 12))
    x[..., 0] = rng.normal(size=(chains, draws))
    x[..., 1] = ar1_chains(rng, 0.9, chains, draws)  # slow mixing: long Geyer sequences
    x[..., 2] = ar1_chains(rng, -0.9, chains, draws)  # antithetic: ESS above the draws
    x[..., 3] = rng.standard_cauchy(size=(chains, draws))  # heavy tails
    x[..., 4] = rng.poisson(1.0, size=(chains, draws))  # integers: ties in the ranks
    x[..., 5] = rng.integers(0, 2, size=(chains, draws))  # two values only
    x[..., 6] = 3.0  # constant: R̂ NaN, both ESS the number of (split) draws
    x[..., 7] = rng.normal(size=(chains, draws))
    x[0, 0, 7] = np.nan  # ArviZ: NaN for all three
    x[..., 8] = np.arange(draws) >= draws // 2  # each half-chain constant: R̂ infinite or huge
    x[..., 9] = np.sign(rng.normal(size=(chains, draws)))  # folded draws may be all equal
    x[..., 10] = rng.normal(size=(chains, draws))
    x[-1, -1, 10] = np.inf
    x[..., 11] = ar1_chains(rng, 0.5, chains, draws) + np.linspace(0.0, 2.0, draws)  # drifting
    return x


def arviz_r_hat_any_chains(x: np.ndarray) -> np.ndarray:
    """ArviZ's rank-normalized split R̂ from its own steps, without its two-chain minimum."""
    out = np.empty(x.shape[2:])
    for index in np.ndindex(out.shape):
        chains = x[(slice(None), slice(None), *index)]
        if np.isnan(chains).any():
            out[index] = np.nan
            continue
        split = array_stats._split_chains(chains)
        folded = np.abs(split - np.median(split))
        bulk = array_stats._rhat(array_stats._z_scale(split))
        out[index] = max(bulk, array_stats._rhat(array_stats._z_scale(folded)))
    return out


@pytest.mark.parametrize("chains", [1, 2, 4])
@pytest.mark.parametrize("draws", [4, 5, 7, 100, 1001])
def test_diagnostics_are_arviz_s(rng, chains, draws):
    # hbviz computes every element at once; ArviZ, the reference, one at a time
    x = draws_of_every_kind(rng, chains, draws)
    with np.errstate(divide="ignore", invalid="ignore"):
        any_chains = arviz_r_hat_any_chains(x)
        expected = {
            "ess_bulk": array_stats.ess(x, chain_axis=0, draw_axis=1, method="bulk"),
            "ess_tail": array_stats.ess(x, chain_axis=0, draw_axis=1, method="tail", prob=0.05),
            # ArviZ's rhat is NaN below two chains: its steps without that minimum, for one
            "r_hat": array_stats.rhat(x, chain_axis=0, draw_axis=1) if chains > 1 else any_chains,
        }
    together = diagnostics.rank_diagnostics(x)
    for name, value in expected.items():
        np.testing.assert_allclose(getattr(diagnostics, name)(x), value, rtol=1e-10, err_msg=name)
        np.testing.assert_array_equal(getattr(together, name), getattr(diagnostics, name)(x))
    assert np.isnan(together.r_hat[[6, 7]]).all()
    assert together.ess_bulk[6] == together.ess_tail[6] == chains * (draws // 2) * 2
    if chains > 1:  # the steps without ArviZ's minimum are its rhat on two or more chains
        np.testing.assert_allclose(any_chains, expected["r_hat"], rtol=1e-12)


def test_short_chains_reach_every_turn_of_geyer_s_sequence(rng):
    # 200 elements of 2 × 20 draws: Geyer's sequence stops on a negative pair, at the last lag,
    # with its even lag kept or dropped, and is capped by the monotone rule, all in this sample
    x = rng.normal(size=(2, 20, 200))
    together = diagnostics.rank_diagnostics(x)
    np.testing.assert_allclose(
        together.ess_bulk, array_stats.ess(x, chain_axis=0, draw_axis=1), rtol=1e-10
    )
    expected_tail = array_stats.ess(x, chain_axis=0, draw_axis=1, method="tail", prob=0.05)
    np.testing.assert_allclose(together.ess_tail, expected_tail, rtol=1e-10)
    np.testing.assert_allclose(together.r_hat, array_stats.rhat(x, 0, 1), rtol=1e-10)


def test_diagnostics_of_elements_in_blocks_are_those_of_each_alone(rng, monkeypatch):
    # large sites are processed a block of elements at a time to bound the FFT's memory
    x = draws_of_every_kind(rng, 2, 50)
    whole = diagnostics.rank_diagnostics(x)
    monkeypatch.setattr(diagnostics, "_BLOCK_DRAWS", 250)  # 2 elements a block
    np.testing.assert_array_equal(diagnostics.rank_diagnostics(x), whole)
    assert (
        diagnostics.r_hat(x[:, :3]).shape == (12,) and np.isnan(diagnostics.r_hat(x[:, :3])).all()
    )


def test_posterior_summary_is_the_elementwise_table(rng):
    # every element of every kind, against NumPy and ArviZ one element at a time
    draws = {
        "mu": rng.normal(size=(2, 9)),
        "theta": draws_of_every_kind(rng, 2, 9).reshape(2, 9, 3, 4),
    }
    # the sd of draws with an infinite one is NaN, the R̂ of constant draws 0/0
    with np.errstate(divide="ignore", invalid="ignore"):
        summary = nuts.posterior_summary(draws, moments_undefined=("mu",))
        expected = {}
        for site, x in draws.items():
            for index in np.ndindex(x.shape[2:]):
                label = f"{site}[{','.join(map(str, index))}]" if index else site
                y = x[(slice(None), slice(None), *index)]
                expected[label] = [
                    np.nan if site == "mu" else y.mean(),
                    np.nan if site == "mu" else y.std(ddof=1),
                    np.median(y),
                    np.quantile(y, 0.05),
                    np.quantile(y, 0.95),
                    array_stats.ess(y, chain_axis=0, draw_axis=1, method="bulk"),
                    array_stats.ess(y, chain_axis=0, draw_axis=1, method="tail", prob=0.05),
                    array_stats.rhat(y, chain_axis=0, draw_axis=1),
                ]
    assert summary.index.tolist() == list(expected)  # "mu", "theta[0,0]", …, "theta[2,3]"
    assert list(summary.columns) == SUMMARY_COLUMNS
    np.testing.assert_allclose(summary.to_numpy(), list(expected.values()), rtol=1e-10)
    assert nuts.posterior_summary({}).shape == (0, len(SUMMARY_COLUMNS))


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
        # chains each stuck at its own value: R̂ is infinite, and counts
        ({"r_hat": np.inf, "n_eff": 900.0, "ess_tail": 700.0}, 0, False, "R̂ reaches inf"),
    ],
)
def test_convergence_report_thresholds(row, divergences, passed, phrase):
    report = diagnostics.convergence_report(pd.DataFrame([row]), divergences, 4000)
    assert report.passed is passed
    if phrase:
        assert any(phrase in p for p in report.problems)
    if passed and divergences:
        assert report.notes and "40 divergent transitions in 4000" in report.notes[0]


@pytest.mark.parametrize("n", [4, 5, 999, 1000, 4000, 4001])
def test_sorted_quantiles_are_numpys_to_the_last_bit(n):
    """The summaries' quantiles from one sort per element: NumPy's linear method exactly, with
    ties, infinities and NaN rows as NumPy gives them."""
    rng = np.random.default_rng(n)
    rows = rng.standard_cauchy(size=(6, n)) * 30
    rows[1, 0] = np.inf
    rows[2, 3] = np.nan
    rows[3, :3] = -np.inf
    rows[4] = 1.5
    probs = [0.0, 0.025, 0.05, 0.25, 0.5, 0.95, 0.975, 1.0]
    with np.errstate(invalid="ignore"):
        expected = np.quantile(rows, probs, axis=1)
    np.testing.assert_array_equal(diagnostics.sorted_quantiles(rows, probs), expected)
