"""Independent Beta posteriors and their comparisons, against closed forms and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hbviz import beta_binomial, beta_comparisons, datasets, historical_controls, table_checks

S = 400_000


@pytest.fixture(scope="module")
def seasons():
    df = datasets.free_throws()
    return df["made"].to_numpy(), df["attempts"].to_numpy(), df["season"].tolist()


def test_uniform_prior_gives_the_lectures_table(seasons):
    made, attempts, _ = seasons
    alpha, beta = beta_comparisons.beta_posterior_parameters(made, attempts)
    assert alpha.tolist() == [26, 42, 94, 80]
    assert beta.tolist() == [22, 53, 84, 42]


def test_prior_adds_to_the_counts(seasons):
    made, attempts, _ = seasons
    alpha, beta = beta_comparisons.beta_posterior_parameters(
        made, attempts, prior_alpha=2.5, prior_beta=7
    )
    assert np.allclose(alpha, made + 2.5)
    assert np.allclose(beta, attempts - made + 7)


def test_summary_table_matches_scipy():
    table = beta_comparisons.beta_summary_table([26, 5.4], [22, 18.6], ["a", "b"], interval=0.9)
    for row, (a, b) in zip(table.itertuples(), [(26, 22), (5.4, 18.6)], strict=True):
        assert row.mean == pytest.approx(stats.beta.mean(a, b))
        assert row.sd == pytest.approx(stats.beta.std(a, b))
        assert row.lower == pytest.approx(stats.beta.ppf(0.05, a, b))
        assert row.upper == pytest.approx(stats.beta.ppf(0.95, a, b))
    assert list(table.index) == ["a", "b"]


def test_density_grid_covers_the_mass_and_stays_finite_for_u_shaped_betas():
    x, density = beta_comparisons.beta_density_grid([0.5, 30], [0.5, 10], points=2001)
    assert density.shape == (2, 2001)
    assert np.all(np.isfinite(density))
    assert np.trapezoid(density[1], x) == pytest.approx(1, abs=1e-3)


def test_independent_comparisons_agree_with_monte_carlo(seasons):
    made, attempts, _ = seasons
    alpha, beta = beta_comparisons.beta_posterior_parameters(made, attempts)
    greater, best = beta_comparisons.independent_comparisons(alpha, beta, 3)
    draws = np.random.default_rng(5).beta(alpha, beta, size=(S, alpha.size))
    mc_greater, mc_best = beta_comparisons.hierarchical_comparisons(draws, 3)
    # 4.5 Monte Carlo standard errors plus the quadrature bound 1/(2·nodes)
    tol = 4.5 * np.sqrt(np.maximum(mc_greater * (1 - mc_greater), 1e-4) / S) + 1.3e-4
    assert np.all(np.abs(greater - mc_greater) <= tol)
    assert greater[3] == 0
    assert best == pytest.approx(mc_best, abs=4.5 * np.sqrt(best * (1 - best) / S) + 1.3e-4)


def test_identical_groups_are_a_coin_flip():
    greater, best = beta_comparisons.independent_comparisons([10, 10, 10], [20, 20, 20], 0)
    assert greater[1:] == pytest.approx([0.5, 0.5], abs=1e-6)
    assert best == pytest.approx(1 / 3, abs=2e-4)


def test_comparison_table_lists_each_other_group_then_best():
    table = beta_comparisons.comparison_table(
        {"independent": np.array([0.9, 0.0, 0.8]), "hierarchical": np.array([0.7, 0.0, 0.6])},
        {"independent": 0.75, "hierarchical": 0.5},
        ["a", "b", "c"],
        1,
    )
    assert list(table.index) == ["Pr(θ b > θ a)", "Pr(θ b > θ c)", "Pr(b is best)"]
    assert table["independent"].tolist() == [0.9, 0.8, 0.75]
    assert table["hierarchical"].tolist() == [0.7, 0.6, 0.5]


def test_comparison_labels_are_short_and_in_the_tables_order():
    assert beta_comparisons.comparison_labels(["a", "b", "c"], 1) == ["> a", "> c", "best of all"]


def test_bad_index_and_bad_counts_are_named():
    with pytest.raises(ValueError, match="this is 4"):
        beta_comparisons.independent_comparisons([1, 2], [1, 2], 4)
    with pytest.raises(ValueError, match="cannot exceed"):
        beta_comparisons.beta_posterior_parameters([5], [4])
    with pytest.raises(ValueError, match="prior alpha"):
        beta_comparisons.beta_posterior_parameters([1], [4], prior_alpha=0)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("a", 1, 2)], "at least 2 rows"),
        ([("a", 1, 2), ("", 1, 2)], "row 2, column 'season': the name is empty"),
        ([("a", 1, 2), ("b", 1.5, 2)], "row 2 \\(b\\): 'made' is 1.5"),
        ([("a", 1, 2), ("b", None, 2)], "row 2 \\(b\\): 'made'"),
        ([("a", 1, 2), ("b", 3, 2)], "cannot exceed"),
        ([("a", 0, 0), ("b", 1, 2)], "expected at least 1"),
        ([("a", 1, 2), ("a", 1, 3)], "the name 'a' is also used in row 1"),
    ],
)
def test_check_count_table_names_the_problem(rows, message):
    table = pd.DataFrame(rows, columns=["season", "made", "attempts"])
    with pytest.raises(ValueError, match=message):
        table_checks.check_count_table(table, columns=("season", "made", "attempts"))


def test_check_count_table_accepts_the_lectures_data():
    table_checks.check_count_table(datasets.free_throws(), columns=("season", "made", "attempts"))


def test_mixture_density_is_the_average_of_the_conditional_betas():
    x = np.linspace(0.01, 0.99, 50)
    alpha, beta = np.array([1.0, 3.0]), np.array([9.0, 7.0])
    expected = (stats.beta.pdf(x, 1 + 4, 9 + 10) + stats.beta.pdf(x, 3 + 4, 7 + 10)) / 2
    assert historical_controls.beta_mixture_density(x, alpha, beta, 4, 14) == pytest.approx(
        expected
    )
    with pytest.raises(ValueError, match="between 0 and 1"):
        historical_controls.beta_mixture_density([0.0, 0.5], alpha, beta, 4, 14)


def test_one_group_analyses_lecture_numbers():
    # BDA3 §5.1: the prior Beta(1.4, 8.6) and 4/14 give Beta(5.4, 18.6), mean 0.223, sd 0.083.
    rats = datasets.rat_tumor()
    hist_y, hist_n = rats["y"].to_numpy()[:-1], rats["n"].to_numpy()[:-1]
    prior = beta_binomial.moment_estimate(hist_y, hist_n)
    rng = np.random.default_rng(3)
    alpha = rng.gamma(20, 0.12, 4000)  # any positive draws: the function only averages them
    beta = rng.gamma(20, 0.7, 4000)
    theta = rng.beta(alpha + 4, beta + 10)
    x, curves, table = historical_controls.one_group_analyses(
        4, 14, empirical_prior=prior, alpha_draws=alpha, beta_draws=beta, theta_draws=theta
    )
    assert list(table.index) == ["independent", "empirical Bayes", "full Bayes"]
    assert table.loc["empirical Bayes", "prior"] == "Beta(1.4, 8.6)"
    assert table.loc["empirical Bayes", "posterior"] == "Beta(5.4, 18.6)"
    assert round(table.loc["empirical Bayes", "mean"], 3) == 0.223
    assert round(table.loc["empirical Bayes", "sd"], 3) == 0.083
    assert table.loc["independent", "posterior"] == "Beta(5, 11)"
    # full Bayes mean and sd in closed form per draw agree with the θ draws
    assert table.loc["full Bayes", "mean"] == pytest.approx(theta.mean(), abs=4 * theta.std() / 63)
    assert table.loc["full Bayes", "sd"] == pytest.approx(theta.std(), rel=0.05)
    for name, density in curves.items():
        assert np.all(np.isfinite(density)), name
        assert np.trapezoid(density, x) == pytest.approx(1, abs=2e-3), name


def test_with_current_names_the_current_counts():
    y, n = historical_controls.with_current([1, 2], [10, 10], 4, 14)
    assert y.tolist() == [1, 2, 4] and n.tolist() == [10, 10, 14]
    with pytest.raises(ValueError, match="y = 20 tumors in n = 14 rats: y cannot exceed n"):
        historical_controls.with_current([1, 2], [10, 10], 20, 14)


def test_independent_posterior_table_writes_out_each_beta():
    made, attempts = np.array([26, 42]), np.array([48, 95])
    alpha, beta = made + 1.0, attempts - made + 1.0
    table = beta_comparisons.independent_posterior_table(
        made, attempts, alpha, beta, ["2012", "2013"], name="season"
    )
    assert list(table.columns) == ["made / attempts", "posterior", "mean", "sd", "2.5%", "97.5%"]
    assert table.index.name == "season" and list(table.index) == ["2012", "2013"]
    assert table["posterior"].tolist() == ["Beta(27, 23)", "Beta(43, 54)"]
    np.testing.assert_allclose(table["made / attempts"], made / attempts)
    np.testing.assert_allclose(table["mean"], alpha / (alpha + beta))
    np.testing.assert_allclose(table["97.5%"], stats.beta.ppf(0.975, alpha, beta))
