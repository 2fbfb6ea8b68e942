"""The two exact samplers written plainly in NumPy/SciPy, as the BDA3 Python demos write them.

These are the baselines of ``bench/run.py``: the grid methods of BDA3 chapter 5 in the style of
``avehtari/BDA_py_demos`` (``demos_ch5``): evaluate the log posterior of the hyperparameters on a
fixed grid with broadcasting, exponentiate, draw grid cells with ``Generator.choice``, jitter the
draws uniformly within their cell (BDA3 p. 76), then draw the lower levels from their conditionals.
No JAX, no jit, no adaptive grid. They compute the same posteriors as :mod:`hbviz.normal_normal`
and :mod:`hbviz.beta_binomial` (``tests/test_bench_plain.py`` checks it), so the timings compare
like with like.

The grids are wide enough that the mass they leave out is negligible for the lecture data
(eight schools: p(τ > 100 | y) ≈ 7e-6 under the uniform prior; rat tumors: the grid holds all
but about 1e-6 of p(log(α/β), log(α+β) | y)), which is the one adjustment made to the demos
(BDA3's first rat-tumor grid cut part of the mass off).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from scipy.special import expit, gammaln


class NormalDraws(NamedTuple):
    """mu (draws,), tau (draws,), theta (draws, J)."""

    mu: np.ndarray
    tau: np.ndarray
    theta: np.ndarray


class BetaBinomialDraws(NamedTuple):
    """alpha (draws,), beta (draws,), theta (draws, J)."""

    alpha: np.ndarray
    beta: np.ndarray
    theta: np.ndarray


def eight_schools_posterior(
    y: np.ndarray,
    sigma: np.ndarray,
    *,
    draws: int = 4000,
    rng: np.random.Generator,
    tau_max: float = 100.0,
    grid_size: int = 1000,
) -> NormalDraws:
    """Normal–normal hierarchy, uniform prior on τ, flat prior on μ (BDA3 §5.4, eq. 5.21).

    p(τ | y) on the midpoints of ``grid_size`` equal cells of (0, ``tau_max``); τ drawn by cell
    and jittered within it; then μ | τ, y and θ_j | μ, τ, y from their normal conditionals,
    evaluated at the drawn τ.
    """
    y = np.asarray(y, dtype=float)
    sigma2 = np.asarray(sigma, dtype=float) ** 2
    width = tau_max / grid_size
    tau = (np.arange(grid_size) + 0.5) * width

    # log p(τ | y) = ½ log V_μ − ½ Σ log(σ_j² + τ²) − ½ Σ (y_j − μ̂)² / (σ_j² + τ²)
    v = sigma2 + tau[:, None] ** 2
    prec = np.sum(1.0 / v, axis=1)
    mu_hat = np.sum(y / v, axis=1) / prec
    log_p = (
        -0.5 * np.log(prec)
        - 0.5 * np.sum(np.log(v), axis=1)
        - 0.5 * np.sum((y - mu_hat[:, None]) ** 2 / v, axis=1)
    )
    p = np.exp(log_p - log_p.max())

    cell = rng.choice(grid_size, size=draws, p=p / p.sum())
    tau_draws = tau[cell] + (rng.random(draws) - 0.5) * width

    # μ | τ, y ~ N(μ̂(τ), V_μ(τ)) at the drawn τ
    v = sigma2 + tau_draws[:, None] ** 2
    prec = np.sum(1.0 / v, axis=1)
    mu_hat = np.sum(y / v, axis=1) / prec
    mu = rng.normal(mu_hat, np.sqrt(1.0 / prec))

    # θ_j | μ, τ, y ~ N((y_j/σ_j² + μ/τ²) / (1/σ_j² + 1/τ²), 1 / (1/σ_j² + 1/τ²))
    tau2 = tau_draws[:, None] ** 2
    theta_var = 1.0 / (1.0 / sigma2 + 1.0 / tau2)
    theta_mean = theta_var * (y / sigma2 + mu[:, None] / tau2)
    theta = rng.normal(theta_mean, np.sqrt(theta_var))
    return NormalDraws(mu, tau_draws, theta)


def rat_tumor_posterior(
    y: np.ndarray,
    n: np.ndarray,
    *,
    draws: int = 4000,
    rng: np.random.Generator,
    log_ratio_range: tuple[float, float] = (-2.6, -1.0),
    log_total_range: tuple[float, float] = (1.0, 6.0),
    grid_shape: tuple[int, int] = (100, 100),
) -> BetaBinomialDraws:
    """Beta–binomial hierarchy with p(α, β) ∝ (α + β)^(-5/2) (BDA3 §5.3, eqs. 5.8–5.10).

    p(log(α/β), log(α+β) | y) on a ``grid_shape`` grid of cell midpoints (the Jacobian αβ of the
    change of variables included), cells drawn and jittered, then θ_j ~ Beta(α + y_j, β + n_j − y_j).
    """
    y = np.asarray(y, dtype=float)
    n = np.asarray(n, dtype=float)
    (u_lo, u_hi), (v_lo, v_hi) = log_ratio_range, log_total_range
    du = (u_hi - u_lo) / grid_shape[0]
    dv = (v_hi - v_lo) / grid_shape[1]
    u = u_lo + (np.arange(grid_shape[0]) + 0.5) * du  # log(α/β)
    v = v_lo + (np.arange(grid_shape[1]) + 0.5) * dv  # log(α+β)
    total = np.exp(v)[None, :]
    a = total * expit(u)[:, None]
    b = total * expit(-u)[:, None]

    # log p(α, β | y) + log |Jacobian| = log(αβ) − 5/2 log(α+β) + Σ_j log B(α+y_j, β+n_j−y_j)/B(α, β)
    log_p = np.log(a) + np.log(b) - 2.5 * np.log(a + b)
    log_p = log_p + np.sum(
        gammaln(a + b)
        - gammaln(a)
        - gammaln(b)
        + gammaln(a + y[:, None, None])
        + gammaln(b + (n - y)[:, None, None])
        - gammaln(a + b + n[:, None, None]),
        axis=0,
    )
    p = np.exp(log_p - log_p.max())

    cell = rng.choice(p.size, size=draws, p=p.ravel() / p.sum())
    i, j = np.unravel_index(cell, p.shape)
    u_draws = u[i] + (rng.random(draws) - 0.5) * du
    v_draws = v[j] + (rng.random(draws) - 0.5) * dv
    alpha = np.exp(v_draws) * expit(u_draws)
    beta = np.exp(v_draws) * expit(-u_draws)
    theta = rng.beta(alpha[:, None] + y, beta[:, None] + n - y)
    return BetaBinomialDraws(alpha, beta, theta)
