"""Prior and posterior predictive draws against closed forms and moments, the probability and
logit scales, and the predictive figures as objects.

Tolerances come from Monte Carlo error: a sample mean is within 4.5 standard errors, a sample
variance within 4.5 of its own standard error (estimated from the fourth central moment).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special, stats

from hbviz import beta_binomial, normal_normal, predictive, priors, scales
from hbviz.plots import predictive as figs

Z = 4.5
DRAWS = 20_000  # one size for every normal prior predictive here: one compiled program


def assert_mean(draws, expected, *, axis=0):
    draws = np.asarray(draws, dtype=float)
    error = draws.std(axis=axis, ddof=1) / np.sqrt(draws.shape[axis])
    assert np.all(np.abs(draws.mean(axis=axis) - expected) < Z * error)


def assert_variance(draws, expected):
    """Sample variance against ``expected``, with the standard error of a sample variance."""
    draws = np.asarray(draws, dtype=float)
    centred = draws - draws.mean(axis=0)
    m2, m4 = np.mean(centred**2, axis=0), np.mean(centred**4, axis=0)
    error = np.sqrt((m4 - m2**2) / draws.shape[0])
    assert np.all(np.abs(draws.var(axis=0, ddof=1) - expected) < Z * error)


def assert_probability(hits, expected):
    hits = np.asarray(hits, dtype=float)
    assert abs(hits.mean() - expected) < Z * np.sqrt(expected * (1 - expected) / hits.size)


# ---------------------------------------------------------------------------------------------
# Eight schools: prior predictive


def test_prior_predictive_moments_under_proper_priors(schools):
    _, sigma = schools
    pp = predictive.normal_prior_predictive(
        sigma, tau_prior="half_normal", tau_scale=4.0, mu_prior=(3.0, 2.0), draws=DRAWS, seed=1
    )
    assert pp.cut == ()
    assert pp.theta.shape == pp.y.shape == (DRAWS, sigma.size)
    # θ_j = μ + τ z: mean m, variance s₀² + E(τ²) = s₀² + scale²; ỹ_j adds σ_j²
    assert_mean(pp.theta, 3.0)
    assert_variance(pp.theta, 2.0**2 + 4.0**2)
    assert_variance(pp.y, 2.0**2 + 4.0**2 + sigma**2)
    assert_mean(pp.y - pp.theta, 0.0)


def test_every_exact_prior_draws_tau_from_its_own_distribution(schools):
    _, sigma = schools
    for name in priors.names("exact"):
        pp = predictive.normal_prior_predictive(sigma, tau_prior=name, tau_scale=5.0, draws=DRAWS)
        entry = priors.TAU_PRIORS[name]
        if entry.proper:
            assert "τ" not in pp.cut
            # Pr(τ ≤ 5) under the registry's own distribution, against the draws' frequency
            expected = float(entry.distribution(5.0).cdf(np.float64(5.0)))
            assert_probability(pp.tau <= 5.0, expected)
        else:  # uniform on the cut (0, B)
            assert "τ" in pp.cut
            assert pp.tau.min() >= 0 and pp.tau.max() <= predictive.DEFAULT_CUTOFF
            assert_mean(pp.tau, predictive.DEFAULT_CUTOFF / 2)


def test_a_flat_mu_is_cut_to_plus_minus_b(schools):
    _, sigma = schools
    pp = predictive.normal_prior_predictive(
        sigma, tau_prior="half_normal", cutoff=40.0, draws=DRAWS
    )
    assert pp.cut == ("μ",)
    assert np.abs(pp.mu).max() <= 40.0
    assert_variance(pp.mu[:, None], 40.0**2 / 3)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"tau_prior": "exponential"}, "tau_prior"),
        ({"cutoff": 0.0}, "cutoff"),
        ({"tau_scale": -1.0}, "tau_scale"),
        ({"mu_prior": (0.0, 0.0)}, "mu_prior sd"),
        ({"draws": 0}, "draws"),
    ],
)
def test_prior_predictive_names_a_bad_value(schools, kwargs, match):
    with pytest.raises(ValueError, match=match):
        predictive.normal_prior_predictive(schools[1], **kwargs)


def test_prior_comparison_lists_every_exact_prior(schools):
    y, sigma = schools
    table = predictive.prior_comparison(y, sigma, tau_scale=5.0, mu_prior=(0.0, 5.0), draws=DRAWS)
    labels = [priors.label(n) for n in priors.names("exact")]
    assert [label.removesuffix(" (cut at B)") for label in table.index] == labels
    assert table.index[0] == "uniform (cut at B)"
    # half-normal(5): its 97.5% point is 5 Φ⁻¹(0.9875); a sample quantile's error is
    # √(p(1 − p)/S)/f(q)
    q = 5.0 * stats.norm.ppf(0.9875)
    density = 2 * stats.norm.pdf(q / 5.0) / 5.0
    error = np.sqrt(0.975 * 0.025 / DRAWS) / density
    assert abs(table.loc["half-normal", "τ 97.5%"] - q) < Z * error
    assert set(table["observed y_j inside"]) <= {f"{k} of 8" for k in range(9)}


# ---------------------------------------------------------------------------------------------
# Eight schools: posterior predictive (normal_normal.posterior_predictive's draws, summarised)


def test_posterior_predictive_of_existing_and_new_schools_has_the_right_moments(schools):
    y, sigma = schools
    post = normal_normal.sample_posterior(y, sigma, draws=10_000, seed=2)  # the page's size
    pred = normal_normal.posterior_predictive(post, sigma, sigma_new=10.0, seed=3)
    # E(ỹ_j | y) = E(θ_j | y); Var(ỹ_j | y) = Var(θ_j | y) + σ_j²
    assert_mean(pred.y_existing - post.theta, 0.0)
    assert_variance(pred.y_existing, post.theta.var(axis=0) + sigma**2)
    # a new school: E(θ̃) = E(μ), Var(θ̃) = Var(μ) + E(τ²); ỹ adds σ_new²
    assert_mean(pred.theta_new - post.mu, 0.0)
    assert_variance(pred.theta_new[:, None], post.mu.var() + np.mean(post.tau**2))
    assert_variance(pred.y_new[:, None], post.mu.var() + np.mean(post.tau**2) + 100.0)

    table = predictive.predictive_table(post.theta, pred.y_existing, y, list("ABCDEFGH"))
    assert list(table.columns) == [
        "y",
        "θ 2.5%",
        "θ 50%",
        "θ 97.5%",
        "ỹ 2.5%",
        "ỹ 50%",
        "ỹ 97.5%",
        "Pr(ỹ ≤ y)",
    ]
    assert np.all(table["ỹ 97.5%"] - table["ỹ 2.5%"] > table["θ 97.5%"] - table["θ 2.5%"])
    expected = np.mean(pred.y_existing <= y, axis=0)
    np.testing.assert_allclose(table["Pr(ỹ ≤ y)"], expected)
    new = predictive.predictive_table(pred.theta_new[:, None], pred.y_new[:, None], None, ["new"])
    assert np.isnan(new.loc["new", "y"]) and np.isnan(new.loc["new", "Pr(ỹ ≤ y)"])


def test_predictive_table_checks_its_shapes():
    with pytest.raises(ValueError, match="shape"):
        predictive.predictive_table(np.zeros((5, 2)), np.zeros((5, 3)), [1.0, 2.0], ["a", "b"])
    with pytest.raises(ValueError, match="names"):
        predictive.predictive_table(np.zeros((5, 2)), np.zeros((5, 2)), [1.0, 2.0], ["a"])


# ---------------------------------------------------------------------------------------------
# Counts: the cut hyperprior, fixed Beta priors, the beta-binomial predictive


def test_the_cut_hyperprior_is_uniform_in_the_mean_and_exponential_in_log_size():
    draws = predictive.hyperprior_predictive(log_size_min=-4.0, draws=40_000, seed=4)
    u_lo, u_hi, v_lo, v_hi = draws.box
    assert (u_lo, u_hi) == beta_binomial.WIDE_LOGIT_MEAN
    assert (v_lo, v_hi) == (-4.0, beta_binomial.WIDE_LOG_SIZE[1])
    mean = draws.alpha / (draws.alpha + draws.beta)
    assert_probability(mean <= 0.3, 0.3)  # α/(α+β) uniform on (0, 1) (up to e^-20)
    v = np.log(draws.alpha + draws.beta)
    assert v.min() >= v_lo and v.max() <= v_hi
    # F(v) = (1 − e^{−(v − v_lo)/2}) / (1 − e^{−(v_hi − v_lo)/2})
    expected = -np.expm1(-(0.0 - v_lo) / 2) / -np.expm1(-(v_hi - v_lo) / 2)
    assert_probability(v <= 0.0, expected)
    assert np.all((draws.theta >= 0) & (draws.theta <= 1))
    # θ ~ Beta(α, β) given (α, β), so E(θ) = E(α/(α+β)) = 1/2
    assert_mean(draws.theta, 0.5)


def test_the_hyperprior_box_must_be_a_box():
    with pytest.raises(ValueError, match="lower < upper"):
        predictive.hyperprior_predictive(log_size_min=30.0)
    with pytest.raises(ValueError, match="log_size_min"):
        predictive.hyperprior_predictive(log_size_min=float("nan"))


@pytest.mark.parametrize(("a", "b"), [(1.4, 8.6), (0.01, 0.02), (1e-4, 1e-4)])
def test_beta_prior_draws_match_the_beta(a, b):
    theta = predictive.beta_prior_draws(a, b, draws=40_000, seed=5)
    assert np.all(np.isfinite(theta)) and theta.min() >= 0 and theta.max() <= 1
    mean, sd = beta_binomial.beta_mean_sd(a, b)
    assert_mean(theta, mean)
    assert_variance(theta[:, None], sd**2)


def test_empirical_bayes_prior_is_the_moment_estimate(rats):
    y, n = rats
    a, b = beta_binomial.moment_estimate(y[:-1], n[:-1])
    assert (round(a, 1), round(b, 1)) == (1.4, 8.6)  # BDA3 §5.1
    table = predictive.rate_summary({"eb": predictive.beta_prior_draws(a, b, draws=20_000)}, y / n)
    assert table.loc["eb", "50%"] == pytest.approx(stats.beta.median(a, b), abs=0.01)


def test_beta_curves_are_beta_densities():
    x, curves = predictive.beta_curves([1.4, 0.5], [8.6, 0.5], points=51)
    assert curves.shape == (2, 51) and x.min() > 0 and x.max() < 1
    np.testing.assert_allclose(curves[0], stats.beta.pdf(x, 1.4, 8.6))
    with pytest.raises(ValueError, match="positive"):
        predictive.beta_curves([0.0], [1.0])


@pytest.fixture(scope="module")
def rat_posterior(rats):
    y, n = rats
    return beta_binomial.sample_posterior(y, n, draws=4000, seed=0)


def test_binomial_predictive_pmf_is_the_average_beta_binomial(rat_posterior):
    a, b = rat_posterior.alpha, rat_posterior.beta
    pmf = predictive.binomial_predictive_pmf(a, b, 14, successes=4, failures=10)
    k = np.arange(15)
    expected = stats.betabinom.pmf(k[None, :], 14, a[:, None] + 4, b[:, None] + 10).mean(axis=0)
    np.testing.assert_allclose(pmf, expected, atol=1e-13)
    # predictive mean n·E(θ_71 | y), with E(θ_71 | α, β, y) = (α + 4)/(α + β + 14) per draw
    assert k @ pmf == pytest.approx(14 * np.mean((a + 4) / (a + b + 14)), rel=1e-10)
    new = predictive.binomial_predictive_pmf(a, b, 20)
    assert np.arange(21) @ new == pytest.approx(20 * np.mean(a / (a + b)), rel=1e-10)
    assert new.sum() == pytest.approx(1.0, abs=1e-12)


def test_binomial_predictive_pmf_agrees_with_binomial_draws_of_the_current_theta(rat_posterior):
    """The closed form against ỹ ~ Bin(14, θ_71) drawn from the exact sampler's θ_71 draws."""
    pmf = predictive.binomial_predictive_pmf(
        rat_posterior.alpha, rat_posterior.beta, 14, successes=4, failures=10
    )
    draws = np.random.default_rng(6).binomial(14, rat_posterior.theta[:, 70])
    frequency = np.bincount(draws, minlength=15) / draws.size
    error = np.sqrt(pmf * (1 - pmf) / draws.size)
    assert np.all(np.abs(frequency - pmf) < Z * error + 1e-12)


def test_a_large_new_experiment_uses_a_bounded_number_of_draws(rat_posterior):
    pmf = predictive.binomial_predictive_pmf(rat_posterior.alpha, rat_posterior.beta, 2000)
    assert pmf.shape == (2001,) and pmf.sum() == pytest.approx(1.0, abs=1e-9)
    mean = np.mean(rat_posterior.alpha / (rat_posterior.alpha + rat_posterior.beta))
    # 500 of the 4000 draws: within Monte Carlo error of the full mean
    assert np.arange(2001) @ pmf / 2000 == pytest.approx(mean, abs=0.01)


def test_pmf_summary():
    pmf = np.array([0.1, 0.2, 0.4, 0.3])
    summary = predictive.pmf_summary(pmf, 2)
    assert summary["mean"] == pytest.approx(1.9)
    assert (summary["2.5%"], summary["97.5%"]) == (0.0, 3.0)
    assert summary["Pr(ỹ ≥ y)"] == pytest.approx(0.7)
    assert predictive.pmf_summary(pmf, 9)["Pr(ỹ ≥ y)"] == 0.0


# ---------------------------------------------------------------------------------------------
# Probability and logit scales


def test_quantiles_are_transformed_means_are_not():
    rng = np.random.default_rng(7)
    a, b = 3.0, 12.0
    draws = rng.beta(a, b, 40_000)
    # the p-quantile of logit θ is logit of the p-quantile of θ (exact quantiles, scipy)
    levels = np.array([0.025, 0.5, 0.975])
    exact = scales.quantile(stats.beta.ppf(levels, a, b), "logit")
    for level, q in zip(levels, exact, strict=True):
        assert_probability(special.logit(draws) <= q, level)
    # E(logit θ) = ψ(a) − ψ(b), not logit E(θ)
    assert_mean(special.logit(draws), scales.beta_mean(a, b, "logit"))
    assert abs(scales.beta_mean(a, b, "logit") - special.logit(a / (a + b))) > 0.05
    assert scales.draws_mean(draws, "logit") == pytest.approx(np.mean(special.logit(draws)))
    assert scales.beta_mean(a, b, "probability") == pytest.approx(0.2)
    np.testing.assert_array_equal(scales.quantile(levels, "probability"), levels)


def test_observed_rates_use_the_empirical_logit():
    y, n = np.array([0, 4, 14]), np.array([14, 14, 14])
    np.testing.assert_allclose(scales.observed(y, n, "probability"), y / n)
    logit = scales.observed(y, n, "logit")
    np.testing.assert_allclose(logit, np.log((y + 0.5) / (n - y + 0.5)))
    assert np.all(np.isfinite(logit)) and logit[0] < logit[1] < logit[2]
    with pytest.raises(ValueError, match="scale"):
        scales.observed(y, n, "log")
    with pytest.raises(ValueError, match="between 0 and 1"):
        scales.quantile([1.5], "logit")


def test_interval_table_transforms_ends_and_marks_observed_rows():
    table = pd.DataFrame(
        {
            "group": ["a", "a"],
            "series": ["no pooling", "partial pooling"],
            "estimate": [0.0, 0.2],
            "lower": [0.01, 0.1],
            "upper": [0.3, 0.35],
        }
    )
    same = scales.interval_table(table, "probability")
    pd.testing.assert_frame_equal(same, table)
    moved = scales.interval_table(
        table, "logit", observed_rows=[True, False], successes=[0, 0], trials=[10, 0]
    )
    np.testing.assert_allclose(moved["lower"], special.logit(table["lower"]))
    np.testing.assert_allclose(moved["upper"], special.logit(table["upper"]))
    assert moved.loc[0, "estimate"] == pytest.approx(np.log(0.5 / 10.5))
    assert moved.loc[1, "estimate"] == pytest.approx(special.logit(0.2))
    assert table.loc[0, "estimate"] == 0.0  # the input is left alone


# ---------------------------------------------------------------------------------------------
# Figures


def test_predictive_intervals_mark_the_observed_values_only_where_there_are_some():
    table = pd.DataFrame(
        {
            "y": [1.0, np.nan],
            "θ 2.5%": [-1.0, -2.0],
            "θ 50%": [0.0, 0.0],
            "θ 97.5%": [1.0, 2.0],
            "ỹ 2.5%": [-3.0, -4.0],
            "ỹ 50%": [0.0, 0.0],
            "ỹ 97.5%": [3.0, 4.0],
        },
        index=pd.Index(["<b>A</b>", "new"], name="group"),
    )
    fig = figs.predictive_intervals(table, theta_label="θ", y_label="ỹ", x_title="points")
    assert [t.name for t in fig.data] == ["θ", "ỹ", "observed y_j"]
    observed = fig.data[-1]
    assert list(observed.x) == [1.0] and list(observed.y) == [0]
    assert "&lt;b&gt;" in observed.customdata[0]  # a user's name shows as typed
    with pytest.raises(ValueError, match="θ 50%"):
        figs.predictive_intervals(table.drop(columns="θ 50%"), theta_label="θ", y_label="ỹ")


def test_prior_figures_and_the_predictive_pmf():
    x, curves = predictive.beta_curves([0.01, 1.0], [0.02, 1.0])
    fig = figs.beta_curves_plot(x, curves, curves_label="draws", fixed={"EB": curves[1]}, y_max=5)
    assert [t.name for t in fig.data] == ["draws", "EB"]
    assert fig.layout.yaxis.range == (0, 5)
    with pytest.raises(ValueError, match="columns"):
        figs.beta_curves_plot(x[:-1], curves, curves_label="draws")
    fig = figs.rates_histogram({"a": [0.1, 0.2], "b": [0.5]}, [0.0, 0.3], y_max=8.0)
    assert [t.type for t in fig.data] == ["histogram", "histogram", "scatter"]
    assert fig.layout.yaxis.range[1] == 8.0 and np.all(np.array(fig.data[-1].y) < 0)
    pmf = np.array([0.25, 0.5, 0.25])
    fig = figs.predictive_pmf_plot({"again": pmf}, observed_rate=0.5, observed_label="observed")
    bars = fig.data[0]
    np.testing.assert_allclose(bars.x, [0.0, 0.5, 1.0])
    np.testing.assert_allclose(np.sum(bars.y * bars.width), 1.0)  # a density: area 1
    assert fig.data[-1].name == "observed 0.500"
    with pytest.raises(ValueError, match="at least 2"):
        figs.predictive_pmf_plot({"x": [1.0]}, observed_rate=0.0, observed_label="o")
