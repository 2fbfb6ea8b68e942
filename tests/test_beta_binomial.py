"""The beta–binomial hierarchy: closed forms, BDA3's rat tumor numbers, and extreme inputs.

Every sampler here draws independently (grid cells, then conjugate Beta draws), so the effective
sample size is the number of draws, and each Monte Carlo tolerance is Z standard errors, sd/√N;
with Z = 4.5 a correct sampler fails a check with probability ~1e-5. Published numbers get the
rounding of their last printed digit on top.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import jax
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import optimize, special, stats

from hbviz import beta_binomial, datasets

Z = 4.5
DRAWS = 20_000  # for checks of published numbers
SMALL = 500  # for smoke tests of shapes and extreme inputs


def mc_tolerance(x: np.ndarray, rounding: float = 0.0) -> float:
    """Z standard errors of the mean of independent draws x, plus a published number's rounding."""
    return rounding + Z * float(np.std(x)) / np.sqrt(len(x))


@pytest.fixture(scope="module")
def rat_posterior(rats):
    y, n = rats
    return beta_binomial.sample_posterior(y, n, draws=DRAWS, seed=11)


# ---------------------------------------------------------------------------------------------
# Empirical Bayes (BDA3 §5.1)


def test_moment_estimate_reproduces_bda3(rats):
    y, n = rats
    alpha, beta = beta_binomial.moment_estimate(y[:-1], n[:-1])
    # BDA3 uses the sample sd (ddof=1) of the 70 historical rates: 0.103; ddof=0 would give
    # 0.1028 and (α, β) = (1.378, 8.752)
    assert alpha == pytest.approx(1.356, abs=5e-4)
    assert beta == pytest.approx(8.615, abs=5e-4)
    mean, sd = beta_binomial.beta_mean_sd(alpha, beta)
    assert mean == pytest.approx(0.136, abs=5e-4)
    assert sd == pytest.approx(0.103, abs=5e-4)


def test_current_experiment_under_the_moment_prior(rats):
    y, n = rats
    alpha, beta = beta_binomial.moment_estimate(y[:-1], n[:-1])
    a, b = beta_binomial.conjugate_posterior(alpha, beta, y[-1:], n[-1:])
    assert (a[0], b[0]) == pytest.approx((alpha + 4, beta + 10))
    mean, sd = beta_binomial.beta_mean_sd(a[0], b[0])
    assert mean == pytest.approx(0.223, abs=5e-4)
    assert sd == pytest.approx(0.083, abs=5e-4)


@pytest.mark.parametrize(
    ("y", "n", "match"),
    [
        ([3], [10], "at least 2 experiments"),
        ([1, 2, 3], [10, 20, 30], "sd 0"),
        ([0, 0], [5, 7], "mean 0"),
        ([5, 7], [5, 7], "mean 1"),
        ([0, 10, 0, 10], [10, 10, 10, 10], "more spread out"),
    ],
)
def test_moment_estimate_without_a_matching_beta_raises(y, n, match):
    with pytest.raises(ValueError, match=match):
        beta_binomial.moment_estimate(y, n)


# ---------------------------------------------------------------------------------------------
# Closed forms


def test_free_throws_with_uniform_priors():
    df = datasets.free_throws()
    a, b = beta_binomial.conjugate_posterior(1, 1, df["made"], df["attempts"])
    np.testing.assert_array_equal(a, [26, 42, 94, 80])
    np.testing.assert_array_equal(b, [22, 53, 84, 42])


def test_conjugate_posterior_is_prior_times_likelihood():
    alpha, beta, y, n = 2.5, 7.0, np.array([0, 3, 9]), np.array([4, 10, 9])
    a, b = beta_binomial.conjugate_posterior(alpha, beta, y, n)
    theta = np.linspace(0.05, 0.95, 7)
    for j in range(len(y)):
        unnormalised = stats.beta.pdf(theta, alpha, beta) * stats.binom.pmf(y[j], n[j], theta)
        ratio = stats.beta.pdf(theta, a[j], b[j]) / unnormalised
        np.testing.assert_allclose(ratio, ratio[0], rtol=1e-10)


def test_beta_mean_sd_matches_scipy():
    a = np.array([0.3, 1.0, 26.0, 1e6])
    b = np.array([0.7, 1.0, 22.0, 3.0])
    mean, sd = beta_binomial.beta_mean_sd(a, b)
    np.testing.assert_allclose(mean, stats.beta.mean(a, b), rtol=1e-12)
    np.testing.assert_allclose(sd, stats.beta.std(a, b), rtol=1e-9)
    with pytest.raises(ValueError, match="greater than 0"):
        beta_binomial.beta_mean_sd(0.0, 1.0)


def direct_log_posterior(u, v, y, n):
    alpha = np.exp(v) / (1 + np.exp(-u))
    beta = np.exp(v) / (1 + np.exp(u))
    return (
        np.log(alpha)
        + np.log(beta)
        - 2.5 * np.log(alpha + beta)
        + np.sum(special.betaln(alpha + y, beta + n - y) - special.betaln(alpha, beta))
    )


@pytest.mark.parametrize(
    "data",
    ["rats", "large counts", "all zero"],
)
def test_log_posterior_matches_direct_scipy_evaluation(rats, data):
    y, n = {
        "rats": rats,
        "large counts": (np.array([3, 400_000, 999_999]), np.array([7, 1_000_000, 1_000_000])),
        "all zero": (np.zeros(5, int), np.array([1, 2, 5, 20, 100])),
    }[data]
    u = np.array([-1.8, -1.0, 0.5, -15.0, 3.0])
    v = np.array([2.8, 0.0, 6.0, -7.0, 12.0])
    ours = beta_binomial.log_posterior(u, v, y, n)
    direct = np.array([direct_log_posterior(ui, vi, y, n) for ui, vi in zip(u, v, strict=True)])
    # the direct sum of betaln differences itself loses ~1e-16 of each |log B| to cancellation
    np.testing.assert_allclose(ours, direct, rtol=1e-11, atol=1e-8)
    assert beta_binomial.log_posterior([[0.0, 1.0]], [[1.0], [2.0]], y, n).shape == (2, 2)


@pytest.mark.parametrize(
    ("alpha", "beta", "y", "n"),
    [
        (2.4, 14.3, 4, 14),  # the current rat experiment
        (0.3, 0.7, 1, 1),  # a shape below 1: raised by one and corrected
        (0.02, 0.5, 0, 1),  # α + y far below 1
        (1.0, 1.0, 25, 46),  # a free-throw season
        (0.5, 0.5, 3, 1_000_000),  # a huge shape
    ],
)
def test_conditional_theta_draws_match_the_beta(alpha, beta, y, n):
    a, b = alpha + y, beta + n - y
    theta = beta_binomial.sample_conjugate(alpha, beta, [y, y], [n, n], draws=DRAWS, seed=5)
    assert theta.shape == (DRAWS, 2)
    mean, var = stats.beta.stats(a, b, moments="mv")
    for draws in theta.T:
        assert abs(draws.mean() - mean) < Z * np.sqrt(var / DRAWS)
        # sd of the sample variance: sqrt((μ4 − σ⁴)/N), μ4 from the Beta's kurtosis
        kurtosis = float(stats.beta.stats(a, b, moments="k")) + 3
        assert abs(draws.var() - var) < Z * np.sqrt((kurtosis - 1) * var**2 / DRAWS)
        assert stats.kstest(draws, stats.beta(a, b).cdf).pvalue > 1e-4
    # the two columns are independent draws, not copies
    assert not np.array_equal(theta[:, 0], theta[:, 1])


@pytest.mark.parametrize(("a", "b"), [(0.2, 0.6), (0.05, 0.9), (1.0, 1.0), (1.0 + 1e-12, 3.0)])
def test_beta_sampler_for_shapes_the_public_functions_cannot_reach(a, b):
    # both shapes below 1 (a new group's θ ~ Beta(α, β)) and the boundary of Cheng's algorithm
    theta = beta_binomial._beta_draws(jax.random.key(4), np.full(DRAWS, a), np.full(DRAWS, b))
    mean, var = stats.beta.stats(a, b, moments="mv")
    assert abs(theta.mean() - mean) < Z * np.sqrt(var / DRAWS)
    assert stats.kstest(theta, stats.beta(a, b).cdf).pvalue > 1e-4


# ---------------------------------------------------------------------------------------------
# Full Bayes on the rat tumors (BDA3 §5.3), all 71 experiments as BDA3 does


def test_grid_is_a_normalised_density_on_an_even_grid(rat_posterior):
    bb = rat_posterior
    du, dv = np.diff(bb.logit_mean), np.diff(bb.log_size)
    np.testing.assert_allclose(du, du[0], rtol=1e-9)
    np.testing.assert_allclose(dv, dv[0], rtol=1e-9)
    assert bb.density.shape == (len(bb.log_size), len(bb.logit_mean))
    assert bb.density.sum() * du[0] * dv[0] == pytest.approx(1.0, abs=1e-9)
    # the grid covers the mass: its border holds a negligible part of it
    cell = bb.density * du[0] * dv[0]
    assert cell.sum() - cell[1:-1, 1:-1].sum() < 1e-6
    assert not bb.truncated


def test_grid_density_is_the_log_posterior(rat_posterior, rats):
    bb = rat_posterior
    u, v = np.meshgrid(bb.logit_mean[::16], bb.log_size[::16])
    log_p = beta_binomial.log_posterior(u, v, *rats)
    expected = np.exp(log_p - log_p.max())
    got = bb.density[::16, ::16] / bb.density[::16, ::16].max()
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=1e-15)


def test_rat_posterior_mode(rat_posterior, rats):
    u_mode, v_mode = rat_posterior.grid_mode
    # BDA3 Fig. 5.3: (−1.75, 2.8); the optimum is at (−1.786, 2.742), the grid's highest cell
    # within a cell of it
    assert -1.80 <= u_mode <= -1.70
    assert 2.70 <= v_mode <= 2.85
    best = optimize.minimize(
        lambda p: -beta_binomial.log_posterior(p[0], p[1], *rats),
        x0=[-1.7, 2.8],
        method="Nelder-Mead",
    )
    assert -1.80 <= best.x[0] <= -1.75
    assert 2.70 <= best.x[1] <= 2.85
    du = rat_posterior.logit_mean[1] - rat_posterior.logit_mean[0]
    dv = rat_posterior.log_size[1] - rat_posterior.log_size[0]
    assert abs(u_mode - best.x[0]) <= 1.5 * du
    assert abs(v_mode - best.x[1]) <= 1.5 * dv


def test_rat_posterior_means_match_bda3(rat_posterior):
    bb = rat_posterior
    # E(α|y) is infinite under this hyperprior (p(v|y) ~ e^(-v/2) as v → ∞, α ~ e^v) but the
    # mass beyond v = 10 is ~1e-8, so on the grid and in any feasible number of draws the mean
    # is BDA3's
    tol_alpha = mc_tolerance(bb.alpha, rounding=0.05)
    tol_beta = mc_tolerance(bb.beta, rounding=0.05)
    assert tol_alpha <= 0.1 and tol_beta <= 0.5  # the brief's bounds, met with room
    assert abs(bb.alpha.mean() - 2.4) < tol_alpha
    assert abs(bb.beta.mean() - 14.3) < tol_beta
    population_mean = bb.alpha / (bb.alpha + bb.beta)
    assert abs(population_mean.mean() - 0.14) < mc_tolerance(population_mean, rounding=0.005)


def test_rat_grid_expectations_match_bda3(rat_posterior):
    bb = rat_posterior
    u, v = np.meshgrid(bb.logit_mean, bb.log_size)
    mass = bb.density / bb.density.sum()
    alpha = np.exp(v) * special.expit(u)
    beta = np.exp(v) * special.expit(-u)
    assert np.sum(mass * alpha) == pytest.approx(2.4, abs=0.05)
    assert np.sum(mass * beta) == pytest.approx(14.3, abs=0.05)


def test_theta_draws_are_conditionally_beta(rat_posterior, rats):
    y, n = rats
    bb = rat_posterior
    assert bb.theta.shape == (DRAWS, 71)
    # Rao–Blackwell: E(θ_j|y) = E[(α + y_j)/(α + β + n_j) | y]; the difference of the two
    # estimates has a smaller sd than θ_j itself, so this tolerance is conservative
    conditional_mean = (bb.alpha[:, None] + y) / ((bb.alpha + bb.beta)[:, None] + n)
    gap = bb.theta - conditional_mean
    se = gap.std(axis=0) / np.sqrt(DRAWS)
    assert np.all(np.abs(gap.mean(axis=0)) < Z * se)
    # BDA3 Fig. 5.4: the current experiment's 4/14 is pulled towards the population mean
    current = bb.theta[:, -1].mean()
    assert (bb.alpha / (bb.alpha + bb.beta)).mean() < current < 4 / 14


def test_posterior_predictive(rat_posterior):
    bb = rat_posterior
    new = beta_binomial.posterior_predictive(bb, 20, seed=2)
    assert new.shape == (DRAWS,) and new.dtype.kind == "i"
    assert new.min() >= 0 and new.max() <= 20
    expected = 20 * bb.alpha / (bb.alpha + bb.beta)
    assert abs(new.mean() - expected.mean()) < mc_tolerance(new - expected)
    replicate = beta_binomial.posterior_predictive(bb, 14, 2, group=70)
    expected = 14 * bb.theta[:, 70]
    assert abs(replicate.mean() - expected.mean()) < mc_tolerance(replicate - expected)
    for bad, match in ((71, "between 0 and 70"), (-1, "between 0 and 70"), (1.5, "whole")):
        with pytest.raises(ValueError, match=match):
            beta_binomial.posterior_predictive(bb, 14, group=bad)
    with pytest.raises(ValueError, match="n_new"):
        beta_binomial.posterior_predictive(bb, 0)


@pytest.mark.parametrize(
    ("groups", "trials", "final_size"),
    [
        (3000, (20, 200), 128),
        # a thousand distinct trial counts near 10^6 make each grid point dear: a smaller grid
        (1000, (100_000, 1_000_000), 64),
    ],
)
def test_a_narrow_posterior_is_found_and_covered(groups, trials, final_size):
    # the posterior of (u, v) is a few hundredths wide, far below a cell of the widest grid
    rng = np.random.default_rng(3)
    n = rng.integers(*trials, size=groups)
    y = rng.binomial(n, rng.beta(3.0, 12.0, size=groups))
    bb = beta_binomial.sample_posterior(y, n, draws=SMALL, seed=1)
    assert len(bb.logit_mean) == len(bb.log_size) == final_size
    u_draws, v_draws = bb.draws_logit_mean, bb.draws_log_size
    # the truth lies within a few posterior sds of the posterior mean
    assert abs(u_draws.mean() - np.log(3 / 12)) < Z * u_draws.std()
    assert abs(v_draws.mean() - np.log(15)) < Z * v_draws.std()
    cell = bb.density / bb.density.sum()
    assert cell.sum() - cell[1:-1, 1:-1].sum() < 1e-6
    assert not bb.truncated
    # the grid resolves the posterior: many cells across it in each direction
    du = bb.logit_mean[1] - bb.logit_mean[0]
    dv = bb.log_size[1] - bb.log_size[0]
    assert u_draws.std() > 5 * du and v_draws.std() > 5 * dv


# ---------------------------------------------------------------------------------------------
# Extreme inputs, seeds and bad arguments


@pytest.mark.parametrize(
    ("y", "n"),
    [
        ([0, 0, 0, 0, 0], [10, 3, 50, 1, 7]),  # all zero: improper posterior, truncated
        ([10, 3, 50, 1, 7], [10, 3, 50, 1, 7]),  # y = n
        ([0, 1, 1, 0, 1], [1, 1, 1, 1, 1]),  # n = 1
        ([3, 500_000, 999_999, 1, 250_000], [10**6] * 5),  # n = 1e6
        ([4], [14]),  # a single group
    ],
    ids=["all-zero", "y=n", "n=1", "n=1e6", "one-group"],
)
def test_extreme_inputs_give_finite_draws(y, n):
    bb = beta_binomial.sample_posterior(y, n, draws=SMALL, seed=0)
    assert bb.theta.shape == (SMALL, len(y))
    for x in (bb.alpha, bb.beta, bb.theta, bb.density, bb.logit_mean, bb.log_size):
        assert np.all(np.isfinite(x))
    assert np.all((bb.theta >= 0) & (bb.theta <= 1))
    assert np.all(bb.alpha > 0) and np.all(bb.beta > 0)
    assert 0.0 <= bb.edge_mass <= 1.0
    assert bb.density.sum() > 0


def test_improper_posterior_is_reported_as_truncated(rats):
    all_zero = beta_binomial.sample_posterior([0, 0, 0, 0, 0], [10, 3, 50, 1, 7], draws=SMALL)
    assert all_zero.truncated and all_zero.edge_mass > 0.01
    # the mass piles up at the widest grid's bottom edge, α + β → 0
    dv = all_zero.log_size[1] - all_zero.log_size[0]
    assert all_zero.log_size[0] - dv / 2 == pytest.approx(beta_binomial.WIDE_LOG_SIZE[0])
    assert not beta_binomial.sample_posterior(*rats, draws=SMALL).truncated


def test_same_seed_same_draws_and_different_seed_different(rats):
    first = beta_binomial.sample_posterior(*rats, draws=SMALL, seed=7)
    again = beta_binomial.sample_posterior(*rats, draws=SMALL, seed=7)
    other = beta_binomial.sample_posterior(*rats, draws=SMALL, seed=8)
    for name in ("alpha", "beta", "theta", "density"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.array_equal(first.alpha, other.alpha)
    assert not np.array_equal(first.theta, other.theta)
    np.testing.assert_array_equal(first.density, other.density)  # the grid does not depend on it


@pytest.mark.parametrize(
    ("y", "n", "kwargs", "match"),
    [
        ([5, 2], [4, 9], {}, "y cannot exceed n"),
        ([-1, 2], [4, 9], {}, "cannot be negative"),
        ([1.5, 2], [4, 9], {}, "whole numbers"),
        ([1, 2], [4.2, 9], {}, "whole numbers"),
        ([np.nan, 2], [4, 9], {}, "finite"),
        ([1, 2], [np.inf, 9], {}, "finite"),
        ([], [], {}, "at least 1"),
        ([1, 2], [4], {}, "same length"),
        ([1, 2], [0, 9], {}, "at least 1 trial"),
        (["a", 2], [4, 9], {}, "numbers"),
        ([1, 2], [4, 9], {"draws": 0}, "draws"),
        ([1, 2], [4, 9], {"draws": 10.0}, "draws"),
        ([1, 2], [4, 9], {"seed": -1}, "seed"),
    ],
)
def test_bad_arguments_raise(y, n, kwargs, match):
    with pytest.raises(ValueError, match=match):
        beta_binomial.sample_posterior(y, n, **kwargs)


def test_other_functions_validate_too():
    with pytest.raises(ValueError, match="y cannot exceed n"):
        beta_binomial.moment_estimate([5, 1], [4, 9])
    with pytest.raises(ValueError, match="alpha"):
        beta_binomial.conjugate_posterior(0, 1, [1], [2])
    with pytest.raises(ValueError, match="beta"):
        beta_binomial.conjugate_posterior(1, -2, [1], [2])
    with pytest.raises(ValueError, match="finite"):
        beta_binomial.log_posterior(np.nan, 1.0, [1], [2])
    with pytest.raises(ValueError, match="broadcast"):
        beta_binomial.log_posterior([1.0, 2.0], [1.0, 2.0, 3.0], [1], [2])


# ---------------------------------------------------------------------------------------------
# Summaries that exist and one that does not


def test_posterior_mean_of_alpha_plus_beta_is_infinite(rats):
    # p(v | y) falls off exactly like e^(-v/2) as v = log(α+β) → ∞ (the likelihood tends to a
    # constant), so p(α+β | y) ~ s^(-3/2) and E(α+β | y) = ∫ e^v p(v | y) dv diverges: a grid's
    # mean of α+β grows like e^(V/2) with its top edge V, while E(log(α+β) | y) stays put.
    y, n = rats
    u = np.linspace(-4.0, 1.0, 201)

    def log_marginal(v):
        return special.logsumexp(beta_binomial.log_posterior(u[None, :], v[:, None], y, n), axis=1)

    slope = np.diff(log_marginal(np.array([30.0, 40.0])))[0] / 10.0
    assert slope == pytest.approx(-0.5, abs=1e-6)
    means, log_means = [], []
    for top in (30.0, 40.0, 50.0):
        v = np.arange(-2.0, top + 1e-9, 0.025)
        weight = np.exp(log_marginal(v) - special.logsumexp(log_marginal(v)))
        means.append(np.sum(weight * np.exp(v)))
        log_means.append(np.sum(weight * v))
    assert means[1] > 20 * means[0] and means[2] > 100 * means[1]
    np.testing.assert_allclose(log_means, log_means[0], rtol=1e-8)


def test_hyperparameter_summary_gives_finite_numbers_only(rat_posterior):
    table = beta_binomial.hyperparameter_summary(rat_posterior)
    assert list(table.index) == ["alpha", "beta", "population_mean", "log_size"]
    assert table.loc[["alpha", "beta"], ["mean", "sd"]].isna().all().all()
    assert np.isfinite(table[["median", "5%", "95%"]].to_numpy()).all()
    rate = rat_posterior.alpha / (rat_posterior.alpha + rat_posterior.beta)
    # E(α/(α+β) | y) from the grid, against the draws' mean; BDA3 gives 0.14
    assert table.loc["population_mean", "mean"] == pytest.approx(
        rate.mean(), abs=mc_tolerance(rate)
    )
    assert table.loc["population_mean", "mean"] == pytest.approx(0.14, abs=0.005)
    assert table.loc["alpha", "median"] == pytest.approx(np.median(rat_posterior.alpha))


@pytest.mark.parametrize(
    ("y", "n", "proper"),
    [
        ([0, 3], [5, 5], True),
        ([0, 0], [5, 5], False),
        ([5, 4], [5, 4], False),
        ([1, 0], [1, 1], False),
    ],
)
def test_posterior_is_proper_when_some_experiment_is_mixed(y, n, proper):
    assert beta_binomial.posterior_is_proper(y, n) is proper


def test_theta_given_hyperparameters_is_the_conditional_beta(rats):
    y, n = rats
    alpha, beta = np.full(20_000, 2.0), np.full(20_000, 14.0)
    theta = beta_binomial.theta_given_hyperparameters(alpha, beta, y[:3], n[:3], seed=2)
    assert theta.shape == (20_000, 3)
    mean, sd = beta_binomial.beta_mean_sd(2.0 + y[:3], 14.0 + n[:3] - y[:3])
    np.testing.assert_allclose(theta.mean(axis=0), mean, atol=Z * sd.max() / np.sqrt(20_000))
    with pytest.raises(ValueError, match=r"alpha\[1\] is -1;"):
        beta_binomial.theta_given_hyperparameters([1.0, -1.0], [1.0, 1.0], y[:3], n[:3])


# ---------------------------------------------------------------------------------------------
# θ | α, β in chunks of groups on threads (issue 14) equals plain Generator.beta calls
#
# The chunked, threaded, blocked path is checked draw for draw (no Monte Carlo tolerance needed)
# against the plain calls it stands for: per chunk of groups, one Generator.beta call over the
# chunk's whole (groups, draws) array of shapes, from an SFC64 generator seeded by the key's words
# with spawn key (chunk,). Against the single PCG64 call used before (a different stream) it
# agrees within Monte Carlo error.


def plain_theta(key, alpha, beta, y, n, chunk_groups):
    words = np.asarray(jax.random.key_data(key)).ravel().tolist()
    parts = []
    for c, lo in enumerate(range(0, len(y), chunk_groups)):
        rng = np.random.Generator(np.random.SFC64(np.random.SeedSequence(words, spawn_key=(c,))))
        rows = slice(lo, lo + chunk_groups)
        parts.append(rng.beta(y[rows, None] + alpha[None, :], (n - y)[rows, None] + beta[None, :]))
    return np.concatenate(parts).T


@pytest.fixture
def small_chunks(monkeypatch):
    """Chunks of 5 groups and blocks of 3 draws' worth, so that small data cross both."""
    monkeypatch.setattr(beta_binomial, "_CHUNK_GROUPS", 5)
    monkeypatch.setattr(beta_binomial, "_BLOCK_SIZE", 3)
    return 5


def test_theta_agrees_with_the_former_single_pcg64_call(rat_posterior, rats):
    # Both are draws of θ_j given the same (α_s, β_s), one per s. The sd of the difference of the
    # two means is √(Var(θ_j | α, β)·2/N) averaged over s; the draws' own variances also hold the
    # spread of E(θ_j | α_s, β_s) over s, so √((v_new + v_old)/N) is conservative. Z = 4.5 for
    # each of the 71 groups: a correct sampler fails with probability ~71 × 7e-6 = 5e-4.
    y, n = (x.astype(np.float64) for x in rats)
    draws = 2000
    post = beta_binomial.sample_posterior(y, n, draws=draws, seed=3)
    before = (
        np.random.default_rng(3)
        .beta(y[:, None] + post.alpha, n[:, None] - y[:, None] + post.beta)
        .T
    )
    se = np.sqrt((post.theta.var(axis=0) + before.var(axis=0)) / draws)
    assert np.all(np.abs(post.theta.mean(axis=0) - before.mean(axis=0)) < Z * se)


@pytest.mark.parametrize("workers", [1, 3])
def test_theta_in_chunks_on_threads_equals_the_plain_calls(
    rats, small_chunks, monkeypatch, workers
):
    y, n = (x.astype(np.float64) for x in rats)
    with ThreadPoolExecutor(workers) as pool:
        monkeypatch.setattr(beta_binomial, "_POOL", pool)
        post = beta_binomial.sample_posterior(y, n, draws=SMALL, seed=3)
    _, key_theta = jax.random.split(jax.random.key(3))
    expected = plain_theta(key_theta, post.alpha, post.beta, y, n, small_chunks)
    np.testing.assert_array_equal(post.theta, expected)


@settings(max_examples=25, derandomize=True)
@given(
    groups=st.integers(1, 23),
    draws=st.integers(1, 9),
    chunk=st.integers(1, 7),
    block=st.integers(1, 40),
    seed=st.integers(0, 2**31 - 1),
)
def test_theta_equals_the_plain_calls_for_any_chunk_and_block(groups, draws, chunk, block, seed):
    rng = np.random.default_rng(seed)
    n = rng.integers(1, 30, size=groups).astype(np.float64)
    y = rng.binomial(n.astype(int), 0.3).astype(np.float64)
    alpha, beta = rng.uniform(0.05, 5.0, size=(2, draws))  # shapes below 1 take Jöhnk's path
    key = jax.random.key(seed)
    saved = beta_binomial._CHUNK_GROUPS, beta_binomial._BLOCK_SIZE
    try:
        beta_binomial._CHUNK_GROUPS, beta_binomial._BLOCK_SIZE = chunk, block
        theta = beta_binomial._theta_given_hyper(key, alpha, beta, y, n - y)
    finally:
        beta_binomial._CHUNK_GROUPS, beta_binomial._BLOCK_SIZE = saved
    np.testing.assert_array_equal(theta, plain_theta(key, alpha, beta, y, n, chunk))


def test_chunks_draw_independent_streams(small_chunks):
    # 40 identical groups in 8 chunks: a chunk reusing another's stream (or an overlapping one)
    # would repeat or correlate the columns. Under independence the sample correlation of two
    # columns has sd 1/√draws; 7 chunks' first columns against chunk 0's, Bonferroni-bounded.
    draws = 4000
    alpha, beta = np.full(draws, 2.0), np.full(draws, 5.0)
    theta = beta_binomial.theta_given_hyperparameters(alpha, beta, [3] * 40, [10] * 40, seed=1)
    firsts = theta[:, ::small_chunks]
    r = np.corrcoef(firsts.T)[0, 1:]
    assert np.all(np.abs(r) < Z / np.sqrt(draws))
    assert stats.kstest(theta.ravel(), stats.beta(5.0, 12.0).cdf).pvalue > 1e-4
