"""The simulation lab against theory: tolerances are Monte Carlo standard errors, computed from
the formulas (or, where none exists, from the table's own per-data-set spread)."""

import numpy as np
import pytest
from scipy import special, stats

from hbviz import normal_normal, priors, simulation
from hbviz.pooling import POOLING_SERIES

J, SIGMA, R = 8, 10.0, 2000
NO, COMPLETE, PARTIAL = POOLING_SERIES


@pytest.fixture(scope="module")
def risk_by_tau():
    """The table at a few τ, one compiled program (same R) for all of them."""
    return {
        tau: simulation.pooling_risk(groups=J, mu=3.0, tau=tau, sigma=SIGMA, replications=R, seed=1)
        for tau in (0.0, 5.0, 10.0, 30.0)
    }


def test_no_pooling_rmse_is_sigma_and_covers_95(risk_by_tau):
    # y_j − θ_j ~ N(0, σ²): the mean of J·R squared errors has sd σ²·√(2/(J R))
    rmse_se = SIGMA * np.sqrt(2.0 / (J * R)) / 2.0
    cover_se = np.sqrt(0.95 * 0.05 / (J * R))
    for table in risk_by_tau.values():
        assert table.loc[NO, "rmse"] == pytest.approx(SIGMA, abs=4 * rmse_se)
        assert table.loc[NO, "coverage"] == pytest.approx(0.95, abs=4 * cover_se)
        assert table.loc[NO, "rmse_se"] == pytest.approx(rmse_se, rel=0.2)


def test_complete_pooling_rmse_formula(risk_by_tau):
    for tau, table in risk_by_tau.items():
        expected = np.sqrt(tau**2 * (1 - 1 / J) + SIGMA**2 / J)
        assert table.loc[COMPLETE, "rmse"] == pytest.approx(
            expected, abs=4 * table.loc[COMPLETE, "rmse_se"]
        )
    # at τ = 0 the pooled interval is exact
    table = risk_by_tau[0.0]
    assert table.loc[COMPLETE, "coverage"] == pytest.approx(
        0.95, abs=4 * table.loc[COMPLETE, "coverage_se"]
    )


def test_partial_pooling_never_far_from_the_better_extreme(risk_by_tau):
    for tau, table in risk_by_tau.items():
        partial, no, complete = (table.loc[s, "rmse"] for s in (PARTIAL, NO, COMPLETE))
        # James–Stein: for J ≥ 3 shrinkage beats no pooling at every τ (same data sets, so the
        # difference has far less noise than either RMSE)
        assert partial < no
        # near τ = 0 complete pooling wins (uniform τ prior: 5.0 vs 3.5 at τ = 0), by a bounded
        # regret; once τ ≈ σ partial pooling is the best of the three
        assert partial - min(no, complete) < 0.2 * SIGMA
        if tau >= SIGMA:
            best = NO if no < complete else COMPLETE
            se = table.loc[PARTIAL, "rmse_se"] + table.loc[best, "rmse_se"]
            assert partial < table.loc[best, "rmse"] + 3 * se
        assert table.loc[PARTIAL, "coverage"] > 0.9


def test_hierarchical_intervals_cover_exactly_when_the_truth_comes_from_the_prior():
    # Proper priors, truth drawn from them: Bayesian intervals cover 95 % on average, exactly.
    rng = np.random.default_rng(7)
    mu = rng.normal(0.0, 5.0, R)
    tau = np.abs(rng.normal(0.0, 5.0, R))
    table = simulation.pooling_risk(
        groups=J,
        mu=mu,
        tau=tau,
        sigma=SIGMA,
        replications=R,
        seed=2,
        tau_prior="half_normal",
        tau_scale=5.0,
        mu_prior=(0.0, 5.0),
    )
    se = table.loc[PARTIAL, "coverage_se"]
    assert se < 0.004
    assert table.loc[PARTIAL, "coverage"] == pytest.approx(0.95, abs=4 * se)
    # and the posterior mean is the Bayes estimator: the smallest RMSE
    assert table.loc[PARTIAL, "rmse"] < table.loc[[NO, COMPLETE], "rmse"].min()


def test_integrals_over_tau_match_the_pages_sampler(schools):
    y, sigma = schools
    names = priors.names("exact")
    theta = np.array([10.0, 0.0, -5.0, 8.0, 2.0, 5.0, 15.0, 9.0])
    mean, cdf = simulation._partial_pooling(y, sigma**2, theta, 0, 5.0, 0.0, 0.0, names)
    draws = normal_normal.sample_posterior(y, sigma, draws=100_000, seed=3).theta
    se = draws.std(axis=0) / np.sqrt(draws.shape[0])
    np.testing.assert_array_less(np.abs(np.asarray(mean) - draws.mean(axis=0)), 4 * se)
    np.testing.assert_allclose(cdf, (draws <= theta).mean(axis=0), atol=4 * 0.5 / np.sqrt(1e5))


def test_risk_does_not_depend_on_mu_and_curve_matches_the_table():
    common = dict(groups=J, tau=4.0, sigma=SIGMA, replications=50, seed=4)
    a = simulation.pooling_risk(mu=0.0, **common)
    b = simulation.pooling_risk(mu=40.0, **common)
    np.testing.assert_allclose(a["rmse"], b["rmse"], rtol=1e-8)
    curve = simulation.risk_curve(groups=J, sigma=SIGMA, taus=[0.0, 4.0], replications=50, seed=4)
    assert list(curve.columns) == list(POOLING_SERIES)
    np.testing.assert_allclose(curve.loc[4.0].to_numpy(), a["rmse"].to_numpy(), rtol=1e-8)


def test_counts_against_closed_forms():
    # τ = 0: every θ_j is the base rate p, so E[((y + 1)/(n + 2) − p)²] is known exactly
    p, n, groups, reps = 0.3, 40, 8, 400  # n = 40: the page's compiled program
    truth = simulation.CountsTruth(groups=groups, sizes=n, base_rate=p)
    table = simulation.pooling_risk_counts(truth, tau=0.0, replications=reps, seed=5)

    def mse(trials):
        return (trials * p * (1 - p) + (1 - 2 * p) ** 2) / (trials + 2) ** 2

    for series, trials in ((NO, n), (COMPLETE, groups * n)):
        assert table.loc[series, "rmse"] == pytest.approx(
            np.sqrt(mse(trials)), abs=4 * table.loc[series, "rmse_se"]
        )
    assert table.loc[PARTIAL, "rmse"] < table.loc[NO, "rmse"]
    assert table.attrs["improper"] == 0


def test_counts_wiring_populations_and_improper_posteriors():
    alpha, beta = simulation.beta_population(0.2, 0.7)
    assert alpha / (alpha + beta) == pytest.approx(0.2)
    assert special.polygamma(1, alpha) + special.polygamma(1, beta) == pytest.approx(0.49)
    logit = special.logit(stats.beta.rvs(alpha, beta, size=200_000, random_state=1))
    assert logit.std() == pytest.approx(0.7, rel=0.02)
    # a rate of 0.1 % in groups of 40: most data sets are all zeros, whose posterior is improper
    truth = simulation.CountsTruth(8, sizes=40, base_rate=0.001, population="logit_normal")
    table = simulation.pooling_risk_counts(truth, tau=0.5, replications=50)
    assert table.attrs["improper"] > 20
    assert np.isfinite(table.to_numpy()).all()
    assert (table["coverage"].between(0, 1)).all()


def test_examples_hold_the_truth_and_three_series():
    ex = simulation.example_estimates(groups=6, mu=1.0, tau=3.0, sigma=[5, 6, 7, 8, 9, 10])
    assert list(ex.table["series"].unique()) == list(POOLING_SERIES)
    np.testing.assert_allclose(ex.table["truth"].to_numpy()[:6], ex.theta)
    sizes = simulation.group_sizes(4, 5, 40)
    counts = simulation.example_counts(simulation.CountsTruth(4, sizes, base_rate=0.3), tau=0.5)
    assert counts.scale.tolist() == [5, 10, 20, 40]
    assert (counts.table[["lower", "upper"]].to_numpy() >= 0).all()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(groups=2), "groups"),
        (dict(tau=-1.0), "tau"),
        (dict(sigma=[1.0, 2.0]), "sigma"),
        (dict(replications=0), "replications"),
        (dict(mu=[0.0, 1.0]), "mu"),
    ],
)
def test_bad_values_are_named(kwargs, match):
    args = dict(groups=8, mu=0.0, tau=1.0, sigma=1.0, replications=10, seed=0) | kwargs
    with pytest.raises(ValueError, match=match):
        simulation.pooling_risk(**args)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (dict(base_rate=1.0), "base_rate"),
        (dict(sizes=0), "n"),
        (dict(sizes=10_000), "sizes"),
        (dict(population="gamma"), "population"),
        (dict(sizes=[10, 20]), "one per group"),
        (dict(tau=-1.0), "tau"),
    ],
)
def test_bad_count_values_are_named(kwargs, match):
    tau = kwargs.pop("tau", 0.5)
    truth = simulation.CountsTruth(groups=8, sizes=10, base_rate=0.2)._replace(**kwargs)
    # the table and the example check the truth alike
    with pytest.raises(ValueError, match=match):
        simulation.pooling_risk_counts(truth, tau=tau, replications=10)
    with pytest.raises(ValueError, match=match):
        simulation.example_counts(truth, tau=tau)
