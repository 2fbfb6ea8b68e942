"""Tables for estimates with known standard errors: checks, pooling levels, NUTS priors."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hbviz import estimate_tables, normal_normal, pooling, table_checks


@pytest.fixture(scope="module")
def post(schools):
    y, sigma = schools
    return normal_normal.sample_posterior(y, sigma, draws=4000, seed=2)


def frame(**columns):
    base = {"school": ["A", "B", "C"], "y": [1.0, 2.0, 3.0], "sigma": [1.0, 1.0, 1.0]}
    return pd.DataFrame(base | columns)


def test_check_estimates_accepts_the_lecture_data():
    from hbviz import datasets

    table_checks.check_estimates(datasets.eight_schools())


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (frame(sigma=[1.0, 0.0, 1.0]), r"row 2, column 'sigma'.*greater than 0"),
        (frame(y=[1.0, None, 3.0]), r"row 2, column 'y'.*not a finite number"),
        (frame(y=["1", "x", "3"]), r"row 2, column 'y': 'x'"),
        (frame(school=["A", "A", "C"]), r"row 2, column 'school'.*also used in row 1"),
        (frame(school=["A", None, "C"]), r"row 2, column 'school': the name is empty"),
        (frame(school=["A", " ", "C"]), r"row 2, column 'school': the name is empty"),
        (frame().drop(columns="sigma"), r"no column 'sigma'"),
        (frame().iloc[:1], r"at least 2 rows"),
    ],
)
def test_check_estimates_names_the_row_and_column(table, message):
    with pytest.raises(ValueError, match=message):
        table_checks.check_estimates(table)


def test_pooling_intervals_gives_the_three_levels(schools, post):
    y, sigma = schools
    names = list("ABCDEFGH")
    table = estimate_tables.pooling_intervals(names, y, sigma, post.theta)
    assert list(table["series"].unique()) == list(pooling.POOLING_SERIES)
    z = stats.norm.ppf(0.975)
    no = table[table["series"] == "no pooling"]
    np.testing.assert_allclose(no["estimate"], y)
    np.testing.assert_allclose(no["upper"] - no["lower"], 2 * z * sigma)
    complete = table[table["series"] == "complete pooling"]
    # BDA3 §5.5: 7.7 with sd 4.1, the same for every school
    np.testing.assert_allclose(complete["estimate"], 7.69, atol=0.01)
    np.testing.assert_allclose(complete["upper"] - complete["estimate"], z * 4.07, atol=0.01)
    partial = table[table["series"] == "partial pooling"]
    np.testing.assert_allclose(partial["estimate"], np.median(post.theta, axis=0))
    assert list(partial["group"]) == names
    with pytest.raises(ValueError, match="same groups"):
        estimate_tables.pooling_intervals(names[:3], y, sigma, post.theta)
    with pytest.raises(ValueError, match="interval"):
        estimate_tables.pooling_intervals(names, y, sigma, post.theta, interval=1.5)


def test_quantile_probability_and_predictive_tables(schools, post):
    _, sigma = schools
    names = list("ABCDEFGH")
    quantiles = estimate_tables.quantile_table(post, names)
    assert list(quantiles.index) == [*names, "μ", "τ"]
    assert quantiles.loc["τ", "50%"] == pytest.approx(np.median(post.tau))
    assert quantiles.loc["μ", "mean"] == pytest.approx(post.mu.mean())

    probs = estimate_tables.probability_table(post.theta, names, 28)
    assert list(probs.columns) == ["p_above", "p_best", "mean_rank"]
    assert probs.loc["A", "p_above"] < 0.10  # BDA3: school A above 28 is unlikely
    assert probs["p_best"].sum() == pytest.approx(1.0)
    assert probs["mean_rank"].mean() == pytest.approx(4.5)
    with pytest.raises(ValueError, match="threshold"):
        estimate_tables.probability_table(post.theta, names, float("nan"))

    pred = normal_normal.posterior_predictive(post, sigma, sigma_new=10.0, seed=0)
    table = estimate_tables.predictive_table(pred)
    assert list(table.index) == ["θ̃ (effect)", "ỹ (estimate)"]
    # ỹ = θ̃ + N(0, 10²) independent noise: the variances add
    assert table.loc["ỹ (estimate)", "sd"] ** 2 == pytest.approx(
        table.loc["θ̃ (effect)", "sd"] ** 2 + 100, rel=0.1
    )


def test_nuts_priors_replace_only_the_improper_ones():
    flat = estimate_tables.nuts_priors("uniform", 7.0, None)
    assert flat == ("half_cauchy", 7.0, (0.0, 5.0), True)
    proper = estimate_tables.nuts_priors("half_normal", 3.0, (1.0, 20.0))
    assert proper == ("half_normal", 3.0, (1.0, 20.0), False)
    assert estimate_tables.nuts_priors("half_cauchy", 5.0, None).substituted
    with pytest.raises(ValueError, match="tau_prior"):
        estimate_tables.nuts_priors("flat", 5.0, None)
    with pytest.raises(ValueError, match="tau_scale"):
        estimate_tables.nuts_priors("half_cauchy", 0.0, None)


def test_tau_axis_limit_rounds_up_and_keeps_bda3s_range():
    assert estimate_tables.tau_axis_limit(np.linspace(0, 10, 101)) == 30.0
    assert estimate_tables.tau_axis_limit(np.linspace(0, 44, 1001)) == 50.0
