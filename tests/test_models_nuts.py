"""NumPyro models (hbviz.models) and the compiled NUTS runner (hbviz.nuts).

Fits use small counts (2 chains × 300 + 300) where only the wiring is checked, and compare against
quadrature with a tolerance of four Monte Carlo standard errors (sd / sqrt(n_eff)) where a number
is checked. Every fit shape is compiled once per test session; sizes are shared between tests so
that the compiles are few.
"""

from __future__ import annotations

import math
import threading
from functools import partial

import numpy as np
import pytest
from jax import random
from numpyro import handlers
from numpyro.infer import MCMC, NUTS, Predictive
from numpyro.infer.util import log_density
from scipy import stats
from scipy.special import gammaln

from hbviz import beta_binomial, models, nuts, priors
from tests.conftest import SUMMARY_COLUMNS

SMALL = {"num_chains": 2, "num_warmup": 300, "num_samples": 300}
POOLING_VALUES = np.array([10.0, 12.0, 9.0, 11.0, 8.0])
POOLING_GROUPS = np.array([0, 0, 1, 1, 2])


@pytest.fixture(scope="module")
def schools_fit(schools):
    y, sigma = schools
    return nuts.fit_normal_hierarchy(y, sigma, seed=1, **SMALL)


def mc_tolerance(fit: nuts.Fit, row: str) -> float:
    """Four Monte Carlo standard errors of the posterior mean of ``row``."""
    sd, n_eff = fit.summary.loc[row, ["sd", "n_eff"]]
    return 4.0 * sd / np.sqrt(n_eff)


# --- models, traced eagerly (no MCMC) ------------------------------------------------------------

ESTIMATES_MODELS = [
    models.estimates_no_pooling,
    models.estimates_complete_pooling,
    models.estimates_partial_pooling_centered,
    models.estimates_partial_pooling_noncentered,
]
RAW_MODELS = [
    models.raw_no_pooling,
    models.raw_complete_pooling,
    models.raw_partial_pooling_centered,
    models.raw_partial_pooling_noncentered,
]


def prior_trace(model, *args, **kwargs):
    return handlers.trace(handlers.seed(model, 0)).get_trace(*args, **kwargs)


@pytest.mark.parametrize("model", ESTIMATES_MODELS)
@pytest.mark.parametrize("tau_prior", priors.names("estimates"))
def test_estimates_model_without_y_is_its_prior_predictive(model, tau_prior, schools):
    _, sigma = schools
    trace = prior_trace(model, sigma, 0.0, 5.0, 5.0, None, tau_prior=tau_prior)
    assert trace["y"]["value"].shape == (8,)
    assert not trace["y"]["is_observed"]
    assert trace["theta"]["value"].shape == (8,)


@pytest.mark.parametrize("model", RAW_MODELS)
def test_raw_model_without_values_is_its_prior_predictive(model):
    trace = prior_trace(model, POOLING_GROUPS, 0.0, 10.0, 1.0, 5.0, None)
    assert trace["values"]["value"].shape == (5,)
    expected_mu = {"raw_no_pooling": (5,), "raw_complete_pooling": ()}.get(model.__name__, (3,))
    assert trace["mu"]["value"].shape == expected_mu


@pytest.mark.parametrize(
    "model", [models.counts_logit_normal_centered, models.counts_logit_normal_noncentered]
)
def test_logit_normal_model_without_y_is_its_prior_predictive(model):
    n = np.array([10, 20, 30])
    trace = prior_trace(model, n, 0.0, 2.5, 1.0, None)
    y = trace["y"]["value"]
    assert y.shape == (3,)
    assert np.all((y >= 0) & (y <= n))
    assert np.all((trace["theta"]["value"] > 0) & (trace["theta"]["value"] < 1))


def test_beta_binomial_posterior_predictive_draws_counts_within_trials():
    n = np.array([14, 20, 30])
    posterior = {
        "log_alpha_over_beta": np.array([-1.8, -1.5]),
        "log_alpha_plus_beta": np.array([2.5, 3.0]),
    }
    draws = Predictive(models.counts_beta_binomial, posterior_samples=posterior)(
        random.PRNGKey(0), n, 0.0, 1.0, 1.0
    )
    assert draws["y"].shape == (2, 3)
    assert np.all((draws["y"] >= 0) & (draws["y"] <= n))


def test_beta_binomial_hyperprior_is_bda3_eq_5_10():
    # On (log(α/β), log(α+β)) the density is αβ(α+β)^(-5/2) (BDA3 §5.3); θ is integrated out, so
    # the model's log density minus the beta–binomial pmf must equal the hyperprior's log.
    n, y = np.array([14]), np.array([4])
    alpha, beta = 2.0, 7.0
    params = {
        "log_alpha_over_beta": np.log(alpha / beta),
        "log_alpha_plus_beta": np.log(alpha + beta),
    }
    total, _ = log_density(models.counts_beta_binomial, (n, 0.0, 1.0, 1.0, y), {}, params)
    log_pmf = stats.betabinom.logpmf(4, 14, alpha, beta)
    hyperprior = np.log(alpha * beta * (alpha + beta) ** -2.5)
    np.testing.assert_allclose(total - log_pmf, hyperprior, rtol=1e-12)


@pytest.mark.parametrize("x", [1e-8, 0.3, 9.999, 10.0, 37.5, 1e4, 3e9, 2e17])
@pytest.mark.parametrize("m", [0, 1, 7, 45, 300])
def test_log_rising_factorial_is_exact_at_any_scale(x, m):
    # log Γ(x + m) − log Γ(x) = Σ_{k<m} log(x + k) for whole m; fsum makes the reference exact
    expected = math.fsum(math.log(x + k) for k in range(m))
    got = float(models.log_rising_factorial(x, float(m)))
    assert abs(got - expected) <= 1e-12 * max(1.0, abs(expected))


def test_beta_binomial_log_density_is_the_exact_samplers_far_into_the_tail():
    # NumPyro's own BetaBinomial.log_prob is off by thousands at α+β ≈ e^40 (cancellation in
    # betaln), which let NUTS wander there on the baseball data. The model must differ from the
    # exact sampler's log density by one constant (the binomial coefficients) everywhere.
    y, n = np.array([18, 12, 7, 0]), np.array([45, 45, 45, 20])
    points = [(-1.0, -6.0), (-1.0, 4.0), (0.5, 15.0), (-1.0, 30.0), (-2.0, 45.0), (3.0, 60.0)]
    differences = [
        float(
            log_density(
                models.counts_beta_binomial,
                (n, 0.0, 1.0, 1.0, y),
                {},
                {"log_alpha_over_beta": u, "log_alpha_plus_beta": v},
            )[0]
        )
        - float(beta_binomial.log_posterior(u, v, y, n))
        for u, v in points
    ]
    np.testing.assert_allclose(differences, differences[0], atol=1e-8)


def test_tau_distribution_rejects_an_unknown_family():
    with pytest.raises(ValueError, match="tau_prior must be"):
        models.tau_distribution("uniform", 1.0)


# --- the runner ----------------------------------------------------------------------------------


def test_warm_refit_with_new_values_and_prior_scales_does_not_recompile(schools, schools_fit):
    y, sigma = schools
    compiled = nuts.runner_cache_size()
    refit = nuts.fit_normal_hierarchy(
        y[::-1] + 3.0, sigma * 1.5, tau_scale=2.0, mu_prior=(1.0, 20.0), seed=7, **SMALL
    )
    assert nuts.runner_cache_size() == compiled
    assert not np.array_equal(refit.samples["mu"], schools_fit.samples["mu"])


def test_fit_shapes_and_summary_columns(schools_fit):
    samples = schools_fit.samples
    assert samples["mu"].shape == (2, 300)
    assert samples["tau"].shape == (2, 300)
    assert samples["theta"].shape == (2, 300, 8)
    assert all(isinstance(draws, np.ndarray) for draws in samples.values())
    assert schools_fit.diverging.shape == (2, 300)
    assert isinstance(schools_fit.divergences, int)
    summary = schools_fit.summary
    assert list(summary.columns) == SUMMARY_COLUMNS
    assert {"mu", "tau", "theta[0]", "theta[7]"} <= set(summary.index)
    theta0 = samples["theta"][..., 0].ravel()
    np.testing.assert_allclose(summary.loc["theta[0]", "mean"], theta0.mean())
    np.testing.assert_allclose(summary.loc["theta[0]", "5%"], np.quantile(theta0, 0.05))
    assert np.all(samples["tau"] > 0)


def test_divergences_are_counted_and_few_in_the_noncentered_form(schools, schools_fit):
    y, sigma = schools
    centered = nuts.fit_normal_hierarchy(y, sigma, centered=True, seed=1, **SMALL)
    assert centered.model == "estimates_partial_pooling_centered"
    assert isinstance(centered.divergences, int)
    # the centered funnel often diverges; how often depends on the seed, so only the count is checked
    assert centered.divergences == int(centered.diverging.sum())
    assert schools_fit.divergences == int(schools_fit.diverging.sum())
    assert schools_fit.divergences <= 0.02 * schools_fit.diverging.size


def test_complete_pooling_mean_matches_quadrature():
    # μ ~ N(0, 10²), σ ~ Exponential(1), v_i ~ N(μ, σ²). Given σ, μ is normal with mean
    # n v̄ s0² / (σ² + n s0²); p(σ | v) comes from v | σ ~ N(0, σ² I + s0² 11ᵀ), on a fine grid.
    v, s0 = POOLING_VALUES, 10.0
    n, v_bar = v.size, v.mean()
    ss = np.sum((v - v_bar) ** 2)
    sigma = np.linspace(1e-3, 40.0, 400_001)
    log_post = (
        -sigma
        - (n - 1) * np.log(sigma)
        - 0.5 * np.log(sigma**2 + n * s0**2)
        - ss / (2 * sigma**2)
        - n * v_bar**2 / (2 * (sigma**2 + n * s0**2))
    )
    weights = np.exp(log_post - log_post.max())
    exact_mean = np.sum(weights * n * v_bar * s0**2 / (sigma**2 + n * s0**2)) / weights.sum()

    fit = nuts.fit_pooling(
        POOLING_VALUES, POOLING_GROUPS, regime="complete", num_chains=2, num_warmup=500,
        num_samples=1000, seed=3,
    )  # fmt: skip
    assert fit.samples["mu"].shape == (2, 1000)
    assert abs(fit.summary.loc["mu", "mean"] - exact_mean) < mc_tolerance(fit, "mu")
    assert abs(exact_mean - 10.0) < 0.1  # the N(0, 10²) prior barely moves μ from v̄ = 10


def test_no_pooling_runs_and_reports_its_divergences():
    fit = nuts.fit_pooling(POOLING_VALUES, POOLING_GROUPS, regime="no", seed=4, **SMALL)
    assert fit.model == "raw_no_pooling"
    assert fit.samples["mu"].shape == (2, 300, 5)
    assert fit.samples["sigma"].shape == (2, 300, 5)
    assert isinstance(fit.divergences, int)
    assert fit.divergences == int(fit.diverging.sum())


def test_beta_binomial_hyperparameters_match_quadrature(rats):
    # p(log(α/β), log(α+β) | y) ∝ αβ(α+β)^(-5/2) Π B(α+y_j, β+n_j-y_j) / B(α, β) on a grid that
    # holds the mass (BDA3 eq. 5.8 and Fig. 5.3, widened).
    y, n = rats
    x, z = np.meshgrid(np.linspace(-3.0, -0.5, 301), np.linspace(0.0, 8.0, 401), indexing="ij")
    alpha = np.exp(z) / (1.0 + np.exp(-x))
    beta = np.exp(z) / (1.0 + np.exp(x))

    def log_beta_fn(a, b):
        return gammaln(a) + gammaln(b) - gammaln(a + b)

    log_post = np.log(alpha) + np.log(beta) - 2.5 * z
    for y_j, n_j in zip(y, n, strict=True):
        log_post += np.asarray(
            log_beta_fn(alpha + y_j, beta + n_j - y_j) - log_beta_fn(alpha, beta)
        )
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    assert weights[:, -1].sum() < 1e-6 and weights[:, 0].sum() < 1e-6  # grid holds the mass

    fit = nuts.fit_binomial_hierarchy(y, n, seed=5, **SMALL)
    assert fit.samples["theta"].shape == (2, 300, 71)
    for site, grid in (("log_alpha_over_beta", x), ("log_alpha_plus_beta", z)):
        exact_mean = np.sum(weights * grid)
        assert abs(fit.summary.loc[site, "mean"] - exact_mean) < mc_tolerance(fit, site)


def test_the_runner_takes_numpyros_transitions_and_sizes_never_compile(schools):
    y, sigma = schools
    tiny = {"num_warmup": 15, "num_samples": 15, "seed": 6}
    fractions = []
    fit = nuts.fit_normal_hierarchy(y, sigma, num_chains=4, progress=fractions.append, **tiny)
    # Chain i is NumPyro's own MCMC from fold_in(key, i): the same transitions, chunk by chunk.
    # Two compiled programs differ in rounding only, and over 30 iterations that stays far
    # below 1e-6.
    for chain in (0, 3):
        mcmc = MCMC(
            NUTS(models.estimates_partial_pooling_noncentered),
            num_warmup=15,
            num_samples=15,
            progress_bar=False,
        )
        key = random.fold_in(random.PRNGKey(6), chain)
        mcmc.run(key, sigma, 0.0, 5.0, 5.0, y, extra_fields=("diverging",))
        for site, draws in mcmc.get_samples().items():
            np.testing.assert_allclose(fit.samples[site][chain], draws, rtol=1e-6, atol=1e-9)
        diverging = mcmc.get_extra_fields()["diverging"]
        np.testing.assert_array_equal(fit.diverging[chain], diverging)
    assert fractions[0] == 0.0 and fractions[-1] == 1.0
    assert np.all(np.diff(fractions) > 0)

    # fewer chains are the first ones, from the same program; more draws are more calls of it;
    # without progress, the same draws
    compiled = nuts.runner_cache_size()
    two = nuts.fit_normal_hierarchy(y, sigma, num_chains=2, **tiny)
    for site, draws in two.samples.items():
        np.testing.assert_array_equal(draws, fit.samples[site][:2])
    longer = nuts.fit_normal_hierarchy(y, sigma, num_chains=1, **dict(tiny, num_samples=250))
    np.testing.assert_array_equal(longer.samples["mu"][:, :15], fit.samples["mu"][:1])
    assert longer.samples["theta"].shape == (1, 250, 8)
    nuts.fit_normal_hierarchy(y + 1.0, sigma, tau_scale=3.0, num_chains=3, **tiny)
    assert nuts.runner_cache_size() == compiled


# --- argument checks -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"sigma": [15.0, -1.0, 16.0]}, r"sigma\[1\] is -1.0; it must be greater than 0"),
        ({"sigma": [15.0, 10.0]}, "y and sigma must have the same length; got 3 and 2"),
        ({"y": [28.0, np.nan, -3.0]}, r"y\[1\] is nan; every value must be finite"),
        ({"y": [], "sigma": []}, "y must hold at least 1 value"),
        ({"regime": "some"}, "regime must be one of 'no', 'complete', 'partial'; got 'some'"),
        ({"tau_prior": "uniform"}, "tau_prior must be one of 'half_cauchy', 'half_normal'"),
        ({"tau_scale": 0.0}, "tau_scale must be a finite number greater than 0"),
        ({"mu_prior": (0.0, -5.0)}, "mu_prior sd must be a finite number greater than 0"),
        ({"mu_prior": 5.0}, r"mu_prior must be a pair \(mean, sd\)"),
        ({"centered": "yes"}, "centered must be True or False"),
        ({"num_samples": 3}, "num_samples must be at least 4"),
        ({"num_chains": 0}, "num_chains must be a whole number of at least 1"),
        ({"seed": -1}, "seed must be a whole number from 0"),
        ({"seed": 2**64}, "seed must be a whole number from 0"),
        ({"progress": 0.5}, "progress must be a callable"),
    ],
)
def test_fit_normal_hierarchy_rejects_bad_arguments(kwargs, message):
    args = {"y": [28.0, 8.0, -3.0], "sigma": [15.0, 10.0, 16.0], **kwargs}
    with pytest.raises(ValueError, match=message):
        nuts.fit_normal_hierarchy(args.pop("y"), args.pop("sigma"), **args)


@pytest.mark.parametrize(
    ("values", "group", "kwargs", "message"),
    [
        ([10.0, 12.0], [0, 0, 1], {}, "values and group must have the same length; got 2 and 3"),
        ([10.0, np.inf], [0, 1], {}, r"values\[1\] is inf"),
        ([], [], {}, "values must hold at least 1 value"),
        ([10.0, 12.0], [0, 1.5], {}, r"group\[1\] is 1.5; group ids must be whole numbers"),
        ([10.0, 12.0], [0, 2], {}, "group 1 has no values"),
        ([10.0, 12.0], [0, 1], {"regime": "full"}, "regime must be one of"),
        ([10.0, 12.0], [0, 1], {"tau_prior": "half_cauchy"}, "tau_prior must be one of"),
        ([10.0, 12.0], [0, 1], {"sigma_rate": -1.0}, "sigma_rate must be a finite number"),
    ],
)
def test_fit_pooling_rejects_bad_arguments(values, group, kwargs, message):
    with pytest.raises(ValueError, match=message):
        nuts.fit_pooling(values, group, **kwargs)


@pytest.mark.parametrize(
    ("y", "n", "kwargs", "message"),
    [
        ([4, 15], [14, 14], {}, r"y\[1\] is 15 but n\[1\] is 14"),
        ([4, 1], [14], {}, "y and n must have the same length"),
        ([4, 1], [14, 10], {"hierarchy": "gamma"}, "hierarchy must be one of 'beta'"),
        ([0, 0], [14, 10], {}, "improper for these counts"),
        ([1, 0, 1], [1, 1, 1], {}, "improper for these counts"),
    ],
)
def test_fit_binomial_hierarchy_rejects_bad_arguments(y, n, kwargs, message):
    with pytest.raises(ValueError, match=message):
        nuts.fit_binomial_hierarchy(y, n, **kwargs)


def test_a_progress_callback_that_interrupts_stops_every_chain(schools):
    """Streamlit stops a session's run by raising from inside its callbacks when a control
    moves: the fit raises that, its chain threads stop at their next chunk, and the same fit
    asked again runs whole."""
    y, sigma = schools
    sizes = {"num_chains": 3, "num_warmup": 300, "num_samples": 300, "seed": 8}

    class Interrupted(Exception):
        pass

    def interrupt(fraction):
        if fraction > 0.1:
            raise Interrupted

    with pytest.raises(Interrupted):
        nuts.fit_normal_hierarchy(y, sigma, progress=interrupt, **sizes)
    assert not [t for t in threading.enumerate() if t.name.startswith("hbviz-chain")]
    fit = nuts.fit_normal_hierarchy(y, sigma, **sizes)
    assert fit.samples["mu"].shape == (3, 300)


def test_fits_together_give_each_fits_own_draws_and_one_progress_in_the_callers_thread():
    """The Levels page's three fits at once: the same draws as one after another, one mean
    fraction reported in the caller's thread, rising to 1."""
    regimes = ("no", "complete", "partial")
    fits = [
        partial(nuts.fit_pooling, POOLING_VALUES, POOLING_GROUPS, regime=r, seed=6, **SMALL)
        for r in regimes
    ]
    seen, threads = [], set()

    def progress(fraction):
        seen.append(fraction)
        threads.add(threading.current_thread().name)

    together = nuts.fit_together(fits, progress=progress)
    for fit, regime in zip(together, regimes, strict=True):
        alone = nuts.fit_pooling(POOLING_VALUES, POOLING_GROUPS, regime=regime, seed=6, **SMALL)
        assert fit.model == alone.model
        for site in alone.samples:
            np.testing.assert_array_equal(fit.samples[site], alone.samples[site], err_msg=site)
    assert threads == {threading.current_thread().name}
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3


def test_fits_together_stop_when_the_caller_is_interrupted():
    class Interrupted(Exception):
        pass

    def interrupt(fraction):
        if fraction > 0.1:
            raise Interrupted

    fits = [
        partial(nuts.fit_pooling, POOLING_VALUES, POOLING_GROUPS, regime=r, seed=9, **SMALL)
        for r in ("no", "partial")
    ]
    with pytest.raises(Interrupted):
        nuts.fit_together(fits, progress=interrupt)
    left = [
        t.name for t in threading.enumerate() if t.name.startswith(("hbviz-chain", "hbviz-fit"))
    ]
    assert not left


@pytest.mark.parametrize("fits", [[], [1, 2], "fit_pooling"])
def test_fits_together_names_bad_fits(fits):
    with pytest.raises(ValueError, match="fits must be a non-empty sequence of callables"):
        nuts.fit_together(fits)
