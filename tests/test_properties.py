"""Property tests (hypothesis) of the exact samplers, and the named extreme cases that the
sampler tests (test_normal_normal.py, test_beta_binomial.py) do not already cover.

Examples are few and group counts come from a short list, so that JAX compiles each sampler for
only a handful of shapes; ``deadline=None`` because the first example of a shape compiles.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hbviz import beta_binomial, estimate_tables, normal_normal

DRAWS = 64
FEW = settings(
    max_examples=15,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
GROUPS = st.sampled_from([1, 3, 8])
COUNT_GROUPS = st.sampled_from([1, 4])

estimates = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)
std_errors = st.floats(1e-3, 1e4, allow_nan=False, allow_infinity=False)


@st.composite
def normal_data(draw, groups=GROUPS):
    j = draw(groups)
    y = np.array(draw(st.lists(estimates, min_size=j, max_size=j)))
    sigma = np.array(draw(st.lists(std_errors, min_size=j, max_size=j)))
    return y, sigma


@st.composite
def count_data(draw, groups=COUNT_GROUPS):
    j = draw(groups)
    n = np.array(draw(st.lists(st.integers(1, 10**6), min_size=j, max_size=j)))
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=j, max_size=j)))
    return np.round(frac * n).astype(np.int64), n


def assert_finite(*arrays) -> None:
    for a in arrays:
        assert np.all(np.isfinite(a)), a


# ---------------------------------------------------------------------------------------------
# Any valid input gives finite draws


@FEW
@given(
    data=normal_data(),
    prior=st.sampled_from(["uniform", "half_cauchy", "half_normal"]),
    scale=st.floats(0.5, 50.0),
    mu_on=st.booleans(),
)
def test_normal_sampler_gives_finite_draws_for_any_valid_input(data, prior, scale, mu_on):
    y, sigma = data
    mu_prior = (0.0, 5.0) if mu_on else None
    if prior == "uniform" and y.size < (2 if mu_on else 3):
        with pytest.raises(ValueError, match="improper"):
            normal_normal.sample_posterior(y, sigma, mu_prior=mu_prior, draws=DRAWS)
        return
    post = normal_normal.sample_posterior(
        y, sigma, tau_prior=prior, tau_scale=scale, mu_prior=mu_prior, draws=DRAWS
    )
    assert_finite(*post)
    assert np.all(post.tau >= 0) and post.theta.shape == (DRAWS, y.size)
    # the page's τ slider runs from 0 to this limit: it must be a finite, positive number
    assert np.isfinite(estimate_tables.tau_axis_limit(post.tau))


@settings(FEW, max_examples=10)
@given(data=count_data())
def test_beta_binomial_sampler_gives_finite_draws_for_any_valid_counts(data):
    y, n = data
    bb = beta_binomial.sample_posterior(y, n, draws=DRAWS)
    assert_finite(bb.alpha, bb.beta, bb.theta, bb.density)
    assert np.all((bb.theta >= 0) & (bb.theta <= 1))
    assert 0.0 <= bb.edge_mass <= 1.0


# ---------------------------------------------------------------------------------------------
# Shrinkage goes toward the pooled mean, never past it; more data shrinks less


@FEW
@given(data=normal_data(st.sampled_from([2, 5])), tau=st.floats(0, 1e5))
def test_conditional_estimates_lie_between_the_raw_value_and_the_pooled_mean(data, tau):
    y, sigma = data
    cond = normal_normal.conditional_posterior(y, sigma, tau)
    mean, mu_hat = cond.theta_mean[0], cond.mu_mean[0]
    lo, hi = np.minimum(y, mu_hat), np.maximum(y, mu_hat)
    slack = 1e-9 * (1.0 + np.abs(y) + abs(mu_hat))
    assert np.all(mean >= lo - slack) and np.all(mean <= hi + slack)
    assert np.all((cond.shrinkage >= 0) & (cond.shrinkage <= 1))


@FEW
@given(
    data=normal_data(st.sampled_from([3, 5])),
    tau=st.floats(1e-2, 1e3),
    factor=st.floats(1.5, 100.0),
)
def test_a_more_precise_estimate_is_shrunk_less(data, tau, factor):
    y, sigma = data
    sharper = sigma.copy()
    sharper[0] /= factor
    b_before = normal_normal.conditional_posterior(y, sigma, tau).shrinkage[0, 0]
    b_after = normal_normal.conditional_posterior(y, sharper, tau).shrinkage[0, 0]
    assert b_after <= b_before


@settings(FEW, max_examples=50)
@given(
    alpha=st.floats(0.1, 100.0),
    beta=st.floats(0.1, 100.0),
    y=st.integers(0, 50),
    extra=st.integers(0, 50),
    scale=st.integers(2, 1000),
)
def test_beta_binomial_more_trials_at_the_same_rate_shrink_less(alpha, beta, y, extra, scale):
    n = y + extra + 1
    prior_mean, rate = alpha / (alpha + beta), y / n
    means = []
    for k in (1, scale):
        a, b = beta_binomial.conjugate_posterior(alpha, beta, [k * y], [k * n])
        means.append(float(a[0] / (a[0] + b[0])))
    # between the raw rate and the prior mean, and closer to the raw rate with more data
    for m in means:
        assert min(rate, prior_mean) - 1e-12 <= m <= max(rate, prior_mean) + 1e-12
    assert abs(means[1] - rate) <= abs(means[0] - rate) + 1e-12


# ---------------------------------------------------------------------------------------------
# Named extreme cases not covered by the sampler tests


@pytest.mark.parametrize("prior", ["uniform", "half_normal"])
def test_standard_errors_from_1e_minus_3_to_1e4_and_estimates_of_a_million(prior):
    y = np.array([1e6, -1e6, 3.0, 0.0, 5e5])
    sigma = np.array([1e-3, 1e4, 1.0, 5.0, 1e-3])
    post = normal_normal.sample_posterior(y, sigma, tau_prior=prior, tau_scale=50.0, draws=DRAWS)
    assert_finite(*post)
    # a group measured to ±0.001 keeps its own estimate whatever τ turns out to be
    np.testing.assert_allclose(post.theta[:, 0], 1e6, atol=0.1)


def test_the_tau_slider_at_both_ends(schools):
    y, sigma = schools
    post = normal_normal.sample_posterior(y, sigma, draws=2000)
    top = estimate_tables.tau_axis_limit(post.tau)
    ends = normal_normal.conditional_posterior(y, sigma, [0.0, top])
    assert_finite(ends.theta_mean, ends.theta_sd, ends.mu_mean, ends.mu_sd)
    pooled, _ = normal_normal.complete_pooling(y, sigma)
    np.testing.assert_allclose(ends.theta_mean[0], pooled)  # τ = 0: complete pooling
    assert np.all(ends.shrinkage[1] < 0.3)  # the top end (τ = 30): mostly no pooling


def test_one_group_under_the_uniform_prior_is_refused_with_a_message():
    with pytest.raises(ValueError, match="improper"):
        normal_normal.sample_posterior([3.0], [1.0])
    post = normal_normal.sample_posterior([3.0], [1.0], tau_prior="half_cauchy", draws=DRAWS)
    assert_finite(*post)


@pytest.mark.parametrize(
    ("y", "n"),
    [([7, 3, 12], [7, 3, 12]), ([0, 0, 0], [7, 3, 12]), ([1, 0, 1], [1, 1, 1])],
    ids=["all-successes", "all-failures", "n=1"],
)
def test_improper_count_posteriors_say_so_and_stay_finite(y, n):
    bb = beta_binomial.sample_posterior(y, n, draws=DRAWS)
    assert_finite(bb.alpha, bb.beta, bb.theta)
    if y in ([7, 3, 12], [0, 0, 0]):
        assert bb.truncated  # pages warn on this flag


def test_ten_thousand_count_groups():
    rng = np.random.default_rng(0)
    n = 5 + rng.poisson(40, 10_000)
    y = rng.binomial(n, rng.beta(4, 16, 10_000))
    bb = beta_binomial.sample_posterior(y, n, draws=DRAWS)
    assert bb.theta.shape == (DRAWS, 10_000)
    assert_finite(bb.alpha, bb.beta, bb.theta)
    assert not bb.truncated


def test_ten_thousand_estimate_groups_under_the_uniform_prior():
    rng = np.random.default_rng(1)
    sigma = rng.uniform(1e-3, 1e4, 10_000)
    y = rng.normal(0, 1e3, 10_000)
    post = normal_normal.sample_posterior(y, sigma, draws=DRAWS)
    assert_finite(*post)
