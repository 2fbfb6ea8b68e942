"""The exact normal–normal sampler against closed forms, an independent grid, and BDA3 §5.5."""

from __future__ import annotations

import numpy as np
import pytest

from hbviz import normal_normal

# BDA3 Table 5.3: posterior quantiles of θ_j for the eight schools, uniform prior on τ, flat μ.
TABLE_5_3 = {
    "A": (-2, 7, 10, 16, 31),
    "B": (-5, 3, 8, 12, 23),
    "C": (-11, 2, 7, 11, 19),
    "D": (-7, 4, 8, 11, 21),
    "E": (-9, 1, 5, 10, 18),
    "F": (-7, 2, 6, 10, 28),
    "G": (-1, 7, 10, 15, 26),
    "H": (-6, 3, 8, 13, 33),
}
LEVELS = (2.5, 25, 50, 75, 97.5)


@pytest.fixture(scope="module")
def bda3_posterior(schools):
    y, sigma = schools
    return normal_normal.sample_posterior(y, sigma, draws=40_000, seed=1)


def reference_tau_density(y, sigma, tau, *, tau_prior="uniform", tau_scale=5.0, mu_prior=None):
    """BDA3 eq. 5.21 written out directly in NumPy, as an independent check on the sampler."""
    v = sigma[None, :] ** 2 + tau[:, None] ** 2
    prec = np.sum(1 / v, axis=1)
    num = np.sum(y / v, axis=1)
    if mu_prior is not None:
        m0, s0 = mu_prior
        prec += 1 / s0**2
        num += m0 / s0**2
    mu_hat = num / prec
    log_p = -0.5 * np.log(prec) - 0.5 * np.sum(np.log(v), axis=1)
    log_p -= 0.5 * np.sum((y - mu_hat[:, None]) ** 2 / v, axis=1)
    if mu_prior is not None:
        log_p -= 0.5 * (mu_hat - m0) ** 2 / s0**2
    if tau_prior == "half_cauchy":
        log_p -= np.log1p((tau / tau_scale) ** 2)
    elif tau_prior == "half_normal":
        log_p -= 0.5 * (tau / tau_scale) ** 2
    density = np.exp(log_p - log_p.max())
    return density / np.trapezoid(density, tau)


def test_complete_pooling_is_bda3s_7_7_with_sd_4_1(schools):
    mean, sd = normal_normal.complete_pooling(*schools)
    assert round(mean, 1) == 7.7
    assert round(sd, 1) == 4.1
    assert round(sd**2, 1) == 16.6


def test_quantiles_match_bda3_table_5_3(schools, bda3_posterior):
    theta = bda3_posterior.theta
    ours = np.percentile(theta, LEVELS, axis=0).T  # (J, 5)
    for j, (school, published) in enumerate(TABLE_5_3.items()):
        # Quartiles and medians: BDA3 rounds to whole numbers from 200 draws; ±1.5 allows both.
        np.testing.assert_allclose(ours[j, 1:4], published[1:4], atol=1.5, err_msg=school)

    # The tails of Table 5.3 are 2.5% and 97.5% points of only 200 joint draws: each is about the
    # fifth most extreme draw, and all schools share the same few large-τ draws, so BDA3's tails
    # are noisy together. Every printed tail is within ±3 of ours except two 97.5% points:
    # - H's 33 is a value a 200-draw estimate from this posterior plausibly gives: it lies inside
    #   the central 99.8% of 2,000 such estimates (about 19 to 34);
    # - F's 28 is not: 200-draw estimates of F's 97.5% point stay below about 23 (y_F = 1 with
    #   σ_F = 11; B, C and D, with larger or similar estimates, are printed at 19 to 23). We take
    #   it as an error of the printed table, not of the model, and check that it is out of reach.
    rng = np.random.default_rng(5)
    subsets = rng.integers(0, theta.shape[0], size=(2000, 200))
    off = []
    for j, (school, published) in enumerate(TABLE_5_3.items()):
        for level_index in (0, 4):
            if abs(ours[j, level_index] - published[level_index]) > 3:
                off.append(f"{school} {LEVELS[level_index]}%")
    assert off == ["F 97.5%", "H 97.5%"], off

    def small_sample_range(j):
        estimates = np.percentile(theta[subsets, j], 97.5, axis=1)
        return np.percentile(estimates, [0.1, 99.9])

    lo, hi = small_sample_range(7)
    assert lo <= TABLE_5_3["H"][4] <= hi, (lo, hi)
    lo, hi = small_sample_range(5)
    assert TABLE_5_3["F"][4] > hi, (lo, hi)


def test_pr_theta_a_at_least_28_is_under_ten_percent(bda3_posterior):
    draws = bda3_posterior.theta[:, 0]
    p = np.mean(draws >= 28)
    mc_sd = np.sqrt(p * (1 - p) / draws.size)
    assert p + 4 * mc_sd < 0.10


def test_posterior_mode_of_tau_is_zero(schools):
    grid, density = normal_normal.tau_posterior(*schools)
    assert grid[0] == 0.0
    assert grid[np.argmax(density)] == 0.0
    assert np.all(np.diff(density[grid < 40]) <= 1e-12)  # decreasing from the mode


@pytest.mark.parametrize(
    ("tau_prior", "mu_prior"),
    [("uniform", None), ("half_cauchy", None), ("half_normal", (0.0, 5.0)), ("uniform", (5, 20))],
)
def test_tau_density_matches_direct_evaluation(schools, tau_prior, mu_prior):
    y, sigma = schools
    grid, density = normal_normal.tau_posterior(
        y, sigma, tau_prior=tau_prior, tau_scale=5.0, mu_prior=mu_prior
    )
    assert np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    # An independent uniform grid far into the tail must agree on the density and its moments.
    wide = np.linspace(0, 2000, 400_001)
    ref = reference_tau_density(y, sigma, wide, tau_prior=tau_prior, mu_prior=mu_prior)
    np.testing.assert_allclose(density, np.interp(grid, wide, ref), rtol=1e-6, atol=1e-9)
    assert np.trapezoid(density * grid, grid) == pytest.approx(
        np.trapezoid(ref * wide, wide), rel=1e-3
    )


def test_tau_draws_follow_the_grid_density(schools, bda3_posterior):
    grid, density = bda3_posterior.tau_grid, bda3_posterior.tau_density
    tau = bda3_posterior.tau
    cdf = np.concatenate([[0], np.cumsum(np.diff(grid) * (density[1:] + density[:-1]) / 2)])
    for q in (5.0, 10.0, 25.0):
        p = np.interp(q, grid, cdf)
        assert np.mean(tau <= q) == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / tau.size))
    # Draws lie between grid points, not on them.
    assert np.unique(tau).size > 0.99 * tau.size


def test_posterior_means_integrate_the_conditional_means(schools, bda3_posterior):
    y, sigma = schools
    grid, density = bda3_posterior.tau_grid, bda3_posterior.tau_density
    cond = normal_normal.conditional_posterior(y, sigma, grid)
    weights = density[:, None]
    mean = np.trapezoid(cond.theta_mean * weights, grid, axis=0)
    second = np.trapezoid((cond.theta_sd**2 + cond.theta_mean**2) * weights, grid, axis=0)
    sd = np.sqrt(second - mean**2)
    theta = bda3_posterior.theta
    np.testing.assert_allclose(theta.mean(0), mean, atol=4 * sd.max() / np.sqrt(theta.shape[0]))
    mu_mean = np.trapezoid(cond.mu_mean * density, grid)
    assert bda3_posterior.mu.mean() == pytest.approx(mu_mean, abs=4 * 6 / np.sqrt(theta.shape[0]))


@pytest.mark.parametrize("tau", [0.5, 4.0, 20.0])
@pytest.mark.parametrize("mu_prior", [None, (3.0, 2.0)])
def test_conditional_posterior_is_the_gaussian_conditional(schools, tau, mu_prior):
    """Given τ, (θ, y) is jointly normal: compare with the textbook conditioning formula."""
    y, sigma = schools
    J = y.size
    if mu_prior is None:
        # A flat μ integrated out of N(μ1, τ²I) leaves the (improper) prior precision (I − 11ᵀ/J)/τ².
        prior_precision = (np.eye(J) - np.ones((J, J)) / J) / tau**2
        prior_shift = np.zeros(J)
    else:
        m0, s0 = mu_prior
        prior_precision = np.linalg.inv(tau**2 * np.eye(J) + s0**2 * np.ones((J, J)))
        prior_shift = prior_precision @ np.full(J, m0)
    post_cov = np.linalg.inv(prior_precision + np.diag(1 / sigma**2))
    post_mean = post_cov @ (prior_shift + y / sigma**2)
    cond = normal_normal.conditional_posterior(y, sigma, tau, mu_prior=mu_prior)
    np.testing.assert_allclose(cond.theta_mean[0], post_mean, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(cond.theta_sd[0], np.sqrt(np.diag(post_cov)), rtol=1e-6)
    np.testing.assert_allclose(
        cond.shrinkage[0], normal_normal.shrinkage_factor(sigma, tau)[0], rtol=1e-12
    )


def test_limits_complete_pooling_at_zero_and_no_pooling_at_infinity(schools):
    y, sigma = schools
    pooled, pooled_sd = normal_normal.complete_pooling(y, sigma)
    cond = normal_normal.conditional_posterior(y, sigma, [0.0, 1e-6, 1e7, np.inf])
    np.testing.assert_allclose(cond.theta_mean[:2], pooled, rtol=1e-9)
    np.testing.assert_allclose(cond.theta_sd[:2], pooled_sd, rtol=1e-6)
    np.testing.assert_allclose(cond.theta_mean[2:], np.broadcast_to(y, (2, y.size)), atol=1e-6)
    np.testing.assert_allclose(cond.theta_sd[2:], np.broadcast_to(sigma, (2, y.size)), rtol=1e-9)
    np.testing.assert_allclose(cond.shrinkage[[0, 3]], [np.ones(8), np.zeros(8)])


def test_every_estimate_lies_between_its_raw_value_and_the_pooled_mean(schools, bda3_posterior):
    y, sigma = schools
    cond = normal_normal.conditional_posterior(y, sigma, np.geomspace(1e-3, 1e3, 60))
    lo = np.minimum(y, cond.mu_mean[:, None]) - 1e-9
    hi = np.maximum(y, cond.mu_mean[:, None]) + 1e-9
    assert np.all((lo <= cond.theta_mean) & (cond.theta_mean <= hi))
    # Shrinkage is monotone: a larger τ pools less.
    assert np.all(np.diff(cond.shrinkage, axis=0) < 0)
    # Averaged over τ, E(θ_j | y) mixes y_j with μ̂(τ), which runs from the precision-weighted mean
    # (τ = 0) to the plain mean of y (τ → ∞): it must lie between y_j and that range.
    mu_range = (normal_normal.complete_pooling(y, sigma)[0], y.mean())
    post_mean = bda3_posterior.theta.mean(axis=0)
    mc = 4 * bda3_posterior.theta.std(axis=0) / np.sqrt(bda3_posterior.theta.shape[0])
    assert np.all(post_mean >= np.minimum(y, min(mu_range)) - mc)
    assert np.all(post_mean <= np.maximum(y, max(mu_range)) + mc)


def test_posterior_predictive_adds_the_sampling_noise(schools, bda3_posterior):
    sigma = schools[1]
    pred = normal_normal.posterior_predictive(bda3_posterior, sigma, sigma_new=10.0, seed=3)
    n = bda3_posterior.mu.size
    expected_var = bda3_posterior.theta.var(axis=0) + sigma**2
    np.testing.assert_allclose(pred.y_existing.var(axis=0), expected_var, rtol=6 / np.sqrt(n))
    new_var = bda3_posterior.mu.var() + np.mean(bda3_posterior.tau**2)
    assert pred.theta_new.var() == pytest.approx(new_var, rel=6 / np.sqrt(n))
    assert pred.y_new.var() == pytest.approx(new_var + 100, rel=6 / np.sqrt(n))


def test_same_seed_same_draws_and_a_new_seed_new_draws(schools):
    a = normal_normal.sample_posterior(*schools, draws=500, seed=7)
    b = normal_normal.sample_posterior(*schools, draws=500, seed=7)
    c = normal_normal.sample_posterior(*schools, draws=500, seed=8)
    for field in ("mu", "tau", "theta"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
        assert not np.array_equal(getattr(a, field), getattr(c, field))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"y": [1, 2, 3], "sigma": [1, -1, 1]}, r"sigma\[1\] is -1.0; it must be greater than 0"),
        ({"y": [1, np.nan, 3], "sigma": [1, 1, 1]}, r"y\[1\] is nan; every value must be finite"),
        ({"y": [1, 2, 3], "sigma": [1, 1, np.inf]}, r"sigma\[2\] is inf"),
        ({"y": [], "sigma": []}, "y must hold at least 1 value"),
        ({"y": [1, 2, 3], "sigma": [1, 1]}, "same length; got 3 and 2"),
        ({"y": [1, 2], "sigma": [1, 1]}, "uniform prior on tau needs at least 3 groups"),
        ({"y": [1, 2, 3], "sigma": [1, 1, 1], "tau_prior": "gamma"}, "tau_prior must be one of"),
        ({"y": [1, 2, 3], "sigma": [1, 1, 1], "tau_scale": 0}, "tau_scale must be a finite"),
        ({"y": [1, 2, 3], "sigma": [1, 1, 1], "mu_prior": (0, -1)}, "mu_prior sd"),
        ({"y": [1, 2, 3], "sigma": [1, 1, 1], "draws": 0}, "draws must be a whole number"),
        ({"y": [1, 2, 3], "sigma": [1, 1, 1], "seed": -1}, "seed must be a whole number"),
    ],
)
def test_bad_arguments_raise_a_value_error_naming_the_problem(kwargs, message):
    with pytest.raises(ValueError, match=message):
        normal_normal.sample_posterior(**kwargs)


@pytest.mark.parametrize(
    ("y", "sigma"),
    [
        ([1e6, -1e6, 3.0, 0.0], [1e-3, 1e4, 1.0, 5.0]),
        ([0.0], [1.0]),
        (np.linspace(-5, 5, 10_000), np.full(10_000, 2.0)),
    ],
    ids=["extreme-scales", "one-group", "ten-thousand-groups"],
)
def test_extreme_but_valid_inputs_give_finite_draws(y, sigma):
    post = normal_normal.sample_posterior(
        y, sigma, tau_prior="half_cauchy", tau_scale=5.0, draws=200, seed=0
    )
    for field in post:
        assert np.all(np.isfinite(field))
    assert post.theta.shape == (200, len(y))
    assert np.all(post.tau >= 0)
