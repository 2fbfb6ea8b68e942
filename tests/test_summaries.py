"""Summaries against closed forms: independent normal draws with known means and sds."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from hbviz import summaries

MEANS = np.array([0.0, 1.0, 2.0, 0.5])
SDS = np.array([1.0, 2.0, 0.5, 1.5])
S = 40_000


@pytest.fixture(scope="module")
def normal_draws():
    rng = np.random.default_rng(11)
    return MEANS + SDS * rng.standard_normal((S, MEANS.size))


def assert_within(actual, expected, tolerance):
    """Elementwise |actual − expected| ≤ tolerance, with an array of tolerances."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    excess = np.abs(actual - expected) - tolerance
    assert np.all(excess <= 0), (actual, expected, tolerance)


def binomial_tolerance(p, n=S, k=4.5):
    return k * np.sqrt(np.maximum(p * (1 - p), 1e-4) / n)


def test_quantile_table_matches_normal_quantiles(normal_draws):
    table = summaries.posterior_quantiles(normal_draws, names=list("ABCD"))
    assert list(table.columns) == ["mean", "sd", "2.5%", "25%", "50%", "75%", "97.5%"]
    assert list(table.index) == list("ABCD")
    for level in summaries.QUANTILE_LEVELS:
        expected = stats.norm.ppf(level, MEANS, SDS)
        # sd of a sample quantile: sqrt(p(1-p)/S) / density at the quantile.
        se = np.sqrt(level * (1 - level) / S) / stats.norm.pdf(expected, MEANS, SDS)
        assert_within(table[summaries.quantile_column(level)], expected, 4.5 * se)
    assert_within(table["mean"], MEANS, 4.5 * SDS / np.sqrt(S))


def test_prob_greater_is_the_normal_tail(normal_draws):
    p = summaries.prob_greater(normal_draws, 1.0)
    expected = stats.norm.sf(1.0, MEANS, SDS)
    assert_within(p, expected, binomial_tolerance(expected))


def test_prob_best_and_ranks_are_consistent_probabilities(normal_draws):
    best = summaries.prob_best(normal_draws)
    assert best.sum() == pytest.approx(1.0)
    ranks = summaries.rank_probabilities(normal_draws)
    np.testing.assert_allclose(ranks.sum(axis=0), 1.0)
    np.testing.assert_allclose(ranks.sum(axis=1), 1.0)
    np.testing.assert_allclose(ranks[:, 0], best)
    worst = summaries.prob_best(normal_draws, largest=False)
    np.testing.assert_allclose(ranks[:, -1], worst)
    table = summaries.ranking_table(normal_draws, threshold=1.0)
    np.testing.assert_allclose(table["mean_rank"], ranks @ np.arange(1, 5))


def test_pairwise_probabilities_are_normal_differences(normal_draws):
    p = summaries.pairwise_greater(normal_draws)
    diff_mean = MEANS[:, None] - MEANS[None, :]
    diff_sd = np.sqrt(SDS[:, None] ** 2 + SDS[None, :] ** 2)
    expected = stats.norm.sf(0, diff_mean, diff_sd)
    np.fill_diagonal(expected, 0.0)
    assert_within(p, expected, binomial_tolerance(expected))
    off_diagonal = ~np.eye(4, dtype=bool)
    np.testing.assert_allclose((p + p.T)[off_diagonal], 1.0)


def test_two_groups_best_matches_closed_form():
    rng = np.random.default_rng(3)
    draws = np.column_stack([rng.normal(0, 1, S), rng.normal(0.5, 1, S)])
    expected = stats.norm.sf(0, 0.5, np.sqrt(2))
    assert summaries.prob_best(draws)[1] == pytest.approx(
        expected, abs=binomial_tolerance(expected)
    )


def test_shrinkage_fraction_is_zero_for_none_and_one_for_complete():
    raw = np.array([10.0, 0.0, 4.0])
    pooled = 4.0
    unchanged = np.tile(raw, (10, 1))
    collapsed = np.full((10, 3), pooled)
    half = np.tile((raw + pooled) / 2, (10, 1))
    np.testing.assert_allclose(
        summaries.shrinkage_table(raw, unchanged, pooled)["shrinkage"][:2], 0
    )
    np.testing.assert_allclose(
        summaries.shrinkage_table(raw, collapsed, pooled)["shrinkage"][:2], 1
    )
    table = summaries.shrinkage_table(raw, half, pooled, names=["x", "y", "z"])
    np.testing.assert_allclose(table["shrinkage"][:2], 0.5)
    assert np.isnan(table.loc["z", "shrinkage"])  # its raw value is the pooled mean


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: summaries.posterior_quantiles(np.ones(5)), r"shape \(draws, groups\)"),
        (lambda: summaries.posterior_quantiles(np.ones((5, 2)), names=["a"]), "1 names for 2"),
        (lambda: summaries.shrinkage_table(np.ones(3), np.ones((5, 2)), 0.0), "raw has shape"),
    ],
)
def test_bad_shapes_raise(call, message):
    with pytest.raises(ValueError, match=message):
        call()
