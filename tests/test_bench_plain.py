"""The benchmark's plain NumPy/SciPy samplers (bench/plain.py) draw from the same posteriors as
hbviz's, so that bench/run.py compares like with like.

Both sides are exact samplers with independent draws, so each difference of means (or of sds) has a
Monte Carlo standard error we can compute from the draws; the tolerance is 4.5 of them, which a
correct pair of samplers exceeds with probability ~1e-5 per comparison.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bench import plain
from hbviz import normal_normal

DRAWS = 20_000
Z = 4.5


def moment_errors(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """|difference| / standard error, of the means and of the sds, column by column."""
    a, b = np.atleast_2d(a.T).T, np.atleast_2d(b.T).T
    z_mean = np.abs(a.mean(0) - b.mean(0)) / np.sqrt(a.var(0) / len(a) + b.var(0) / len(b))

    def sd_and_se(x):
        sd = x.std(0)
        # delta method: var(s²) ≈ (m4 − s⁴)/N, and d s = d s² / (2 s)
        m4 = np.mean((x - x.mean(0)) ** 4, axis=0)
        return sd, np.sqrt((m4 - sd**4) / len(x)) / (2 * sd)

    (sa, ea), (sb, eb) = sd_and_se(a), sd_and_se(b)
    z_sd = np.abs(sa - sb) / np.sqrt(ea**2 + eb**2)
    return z_mean, z_sd


def assert_same_distribution(a, b, name):
    z_mean, z_sd = moment_errors(a, b)
    assert z_mean.max() < Z, f"{name}: means differ by {z_mean.max():.1f} standard errors"
    assert z_sd.max() < Z, f"{name}: sds differ by {z_sd.max():.1f} standard errors"
    if np.ndim(a) == 1:
        # the whole distribution, not only two moments (KS is exact for independent draws)
        assert stats.ks_2samp(a, b).pvalue > 1e-4, f"{name}: KS test rejects"


def test_plain_eight_schools_matches_hbviz(schools):
    y, sigma = schools
    ours = normal_normal.sample_posterior(y, sigma, draws=DRAWS, seed=3)
    base = plain.eight_schools_posterior(y, sigma, draws=DRAWS, rng=np.random.default_rng(3))
    assert base.theta.shape == ours.theta.shape == (DRAWS, len(y))
    assert_same_distribution(base.tau, ours.tau, "tau")
    assert_same_distribution(base.mu, ours.mu, "mu")
    assert_same_distribution(base.theta, ours.theta, "theta")


def test_plain_rat_tumor_matches_hbviz(rats):
    beta_binomial = pytest.importorskip("hbviz.beta_binomial")
    y, n = rats
    ours = beta_binomial.sample_posterior(y, n, draws=DRAWS, seed=3)
    base = plain.rat_tumor_posterior(y, n, draws=DRAWS, rng=np.random.default_rng(3))
    assert base.theta.shape == ours.theta.shape == (DRAWS, len(y))
    # α and β have heavy right tails (E α is infinite under this hyperprior), so compare them on
    # the scale the grid is laid out in
    for name, f in (
        ("log(alpha/beta)", lambda d: np.log(d.alpha / d.beta)),
        ("log(alpha+beta)", lambda d: np.log(d.alpha + d.beta)),
    ):
        assert_same_distribution(f(base), f(ours), name)
    assert_same_distribution(base.theta, ours.theta, "theta")
