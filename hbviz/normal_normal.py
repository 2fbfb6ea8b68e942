"""Exact posterior of the normal–normal hierarchy (eight schools; BDA3 §5.4–5.5).

Model::

    y_j ~ N(θ_j, σ_j²)   (σ_j known)
    θ_j ~ N(μ, τ²)
    μ   ~ flat, or N(m₀, s₀²)
    τ   ~ one of the priors that hbviz.priors offers to the "exact" model

The posterior factorises as p(τ | y) p(μ | τ, y) p(θ | μ, τ, y). Given τ, μ is normal with

    V_μ⁻¹ = p₀ + Σ_j 1/(σ_j² + τ²),   μ̂ = V_μ (p₀ m₀ + Σ_j y_j/(σ_j² + τ²)),

where p₀ = 1/s₀² is the prior precision of μ (0 for a flat prior: a normal prior acts as one more
observation m₀ with standard error s₀). The marginal p(τ | y) is BDA3 eq. 5.21, with the prior term
added when μ has one. It is one-dimensional, so it is computed on a grid and sampled exactly; μ and θ
then come from their normal conditionals.
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from hbviz import _validate, priors

# Grid sizes. The coarse grid is geometric over twelve decades around the data's scale and only
# locates the mass; the fine grid is linear over the bulk (up to the 99.9% point) and geometric
# over the tail (up to the 1 − 1e-9 point), so heavy tails are covered without thinning the bulk.
_COARSE = 256
_FINE_BULK = 768
_FINE_TAIL = 256
# Cap on the size of a (grid points × groups) block, so that 100,000 groups do not need a
# gigabyte-sized temporary array.
_BLOCK_ELEMENTS = 1 << 21


class NormalPosterior(NamedTuple):
    """Draws from the exact posterior, and the grid that p(τ | y) was computed on.

    Attributes
    ----------
    mu : array, shape (draws,)
    tau : array, shape (draws,)
    theta : array, shape (draws, J)
    tau_grid : array, shape (G,)
        Increasing grid of τ values covering the posterior mass.
    tau_density : array, shape (G,)
        p(τ | y) on ``tau_grid``, normalised to integrate to 1 (trapezoid rule).
    """

    mu: np.ndarray
    tau: np.ndarray
    theta: np.ndarray
    tau_grid: np.ndarray
    tau_density: np.ndarray


class ConditionalPosterior(NamedTuple):
    """Closed-form posterior moments given τ, one row per τ value (BDA3 Figs. 5.6–5.7).

    Attributes
    ----------
    tau : array, shape (T,)
    mu_mean, mu_sd : array, shape (T,)
        E(μ | τ, y) and sd(μ | τ, y).
    theta_mean, theta_sd : array, shape (T, J)
        E(θ_j | τ, y) and sd(θ_j | τ, y), with μ integrated out.
    shrinkage : array, shape (T, J)
        The shrinkage factor B_j = σ_j² / (σ_j² + τ²): the weight of the population mean in
        E(θ_j | τ, y) = B_j μ̂ + (1 − B_j) y_j. 1 is complete pooling, 0 is no pooling.
    """

    tau: np.ndarray
    mu_mean: np.ndarray
    mu_sd: np.ndarray
    theta_mean: np.ndarray
    theta_sd: np.ndarray
    shrinkage: np.ndarray


class PosteriorPredictive(NamedTuple):
    """Posterior predictive draws.

    Attributes
    ----------
    y_existing : array, shape (draws, J)
        A replicated estimate for each existing group, ỹ_j ~ N(θ_j, σ_j²).
    theta_new : array, shape (draws,)
        The effect in a new group, θ̃ ~ N(μ, τ²).
    y_new : array, shape (draws,)
        A new group's estimate measured with standard error ``sigma_new``, ỹ ~ N(θ̃, σ̃²).
    """

    y_existing: np.ndarray
    theta_new: np.ndarray
    y_new: np.ndarray


# ---------------------------------------------------------------------------------------------
# JAX kernels: pure functions of arrays, jitted once below.


def _log_prior_tau(tau, prior_code, tau_scale, prior_names):
    """log p(τ) of prior ``prior_names[prior_code]``: the code is traced, so one compiled program
    serves every prior; the names are static and change only when the registry does."""
    branches = [priors.TAU_PRIORS[name].log_density for name in prior_names]
    return jax.lax.switch(prior_code, branches, tau, tau_scale)


def _mu_given_tau_block(tau, y, sigma2, mu_mean, mu_prec):
    """μ̂(τ), log V_μ(τ) and log p(y | τ) up to a constant, for a block of τ values."""
    v = sigma2[None, :] + tau[:, None] ** 2  # (B, J)
    w = 1.0 / v
    prec = mu_prec + w.sum(axis=1)
    mu_hat = (mu_prec * mu_mean + (w * y[None, :]).sum(axis=1)) / prec
    resid = y[None, :] - mu_hat[:, None]
    log_lik = (
        -0.5 * jnp.log(prec)
        - 0.5 * jnp.log(v).sum(axis=1)
        - 0.5 * (w * resid**2).sum(axis=1)
        - 0.5 * mu_prec * (mu_hat - mu_mean) ** 2
    )
    return mu_hat, -jnp.log(prec), log_lik


def _mu_given_tau(tau, y, sigma2, mu_mean, mu_prec):
    """As `_mu_given_tau_block`, in blocks of τ values that keep the (τ × J) temporaries small."""
    batch = max(1, min(tau.shape[0], _BLOCK_ELEMENTS // y.shape[0]))
    mu_hat, log_var_mu, log_lik = jax.lax.map(
        lambda t: _mu_given_tau_block(t[None], y, sigma2, mu_mean, mu_prec),
        tau,
        batch_size=batch,
    )
    return mu_hat[:, 0], log_var_mu[:, 0], log_lik[:, 0]


def _trapezoid_cells(grid, density):
    """Mass of each grid cell under the trapezoid rule, shape (G - 1,)."""
    return 0.5 * (density[1:] + density[:-1]) * jnp.diff(grid)


def _quantile(levels, grid, density):
    cells = _trapezoid_cells(grid, density)
    cdf = jnp.concatenate([jnp.zeros(1), jnp.cumsum(cells)]) / cells.sum()
    return jnp.interp(levels, cdf, grid)


_GRID_SIZES = (_COARSE, _FINE_BULK, _FINE_TAIL)


def _tau_grid(y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, prior_names, sizes=_GRID_SIZES):
    """A τ grid fitted to where p(τ | y) has its mass, with the log density on it.

    ``sizes`` = (coarse, fine bulk, fine tail) points; smaller grids serve integrals over τ
    (hbviz.simulation), the default serves smooth draws."""
    n_coarse, n_bulk, n_tail = sizes
    ref = jnp.std(y) + jnp.sqrt(jnp.mean(sigma2))
    coarse = jnp.concatenate([jnp.zeros(1), ref * jnp.geomspace(1e-6, 1e6, n_coarse - 1)])
    log_p = _mu_given_tau(coarse, y, sigma2, mu_mean, mu_prec)[2]
    log_p = log_p + _log_prior_tau(coarse, prior_code, tau_scale, prior_names)
    density = jnp.exp(log_p - log_p.max())
    lo, bulk, hi = _quantile(jnp.array([1e-9, 0.999, 1.0 - 1e-9]), coarse, density)
    # Keep τ = 0 in the grid whenever the mass reaches near it: the mode is often there.
    lo = jnp.where(lo < 0.05 * bulk, 0.0, lo)
    hi = jnp.maximum(hi, bulk * 1.01)
    bulk_part = jnp.linspace(lo, bulk, n_bulk, endpoint=False)
    tail_part = jnp.geomspace(bulk, hi, n_tail)
    return jnp.concatenate([bulk_part, tail_part])


@partial(jax.jit, static_argnames=("prior_names", "sizes"))
def _tau_posterior(
    y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, prior_names, sizes=_GRID_SIZES
):
    grid = _tau_grid(y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, prior_names, sizes)
    mu_hat, log_var_mu, log_lik = _mu_given_tau(grid, y, sigma2, mu_mean, mu_prec)
    log_p = log_lik + _log_prior_tau(grid, prior_code, tau_scale, prior_names)
    density = jnp.exp(log_p - log_p.max())
    density = density / _trapezoid_cells(grid, density).sum()
    return grid, density, mu_hat, log_var_mu


@partial(jax.jit, static_argnames=("draws", "prior_names"))
def _sample(key, y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, *, draws, prior_names):
    grid, density, mu_hat, log_var_mu = _tau_posterior(
        y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, prior_names
    )
    key_tau, key_mu, key_theta = jax.random.split(key, 3)

    # τ by the inverse CDF of the density interpolated linearly between grid points: find the
    # cell, then solve for the position within it, so draws are smooth rather than stacked on
    # grid points. (jax.random.categorical would draw a Gumbel per draw and cell: 50× slower.)
    cells = _trapezoid_cells(grid, density)
    cdf = jnp.cumsum(cells)
    u = jax.random.uniform(key_tau, (draws,)) * cdf[-1]
    k = jnp.clip(jnp.searchsorted(cdf, u), 0, cells.shape[0] - 1)
    width = grid[k + 1] - grid[k]
    p0, p1 = density[k], density[k + 1]
    target = jnp.clip(u - (cdf[k] - cells[k]), 0.0, cells[k])
    # Root of p0·x + (p1 − p0)·x²/(2·width) = target, in the form that stays stable as p1 → p0.
    offset = (
        2.0 * target / (p0 + jnp.sqrt(jnp.maximum(p0**2 + 2.0 * (p1 - p0) * target / width, 0)))
    )
    offset = jnp.clip(offset, 0.0, width)
    tau = grid[k] + offset

    # μ | τ, y: its mean and log variance vary smoothly in τ; interpolate within the cell.
    frac = offset / width
    mu_mean_draw = mu_hat[k] + frac * (mu_hat[k + 1] - mu_hat[k])
    mu_var_draw = jnp.exp(log_var_mu[k] + frac * (log_var_mu[k + 1] - log_var_mu[k]))
    mu = mu_mean_draw + jnp.sqrt(mu_var_draw) * jax.random.normal(key_mu, (draws,))

    # θ_j | μ, τ, y, written so that τ = 0 (complete pooling) needs no special case.
    tau2 = tau[:, None] ** 2
    total = sigma2[None, :] + tau2
    theta_mean = (tau2 * y[None, :] + sigma2[None, :] * mu[:, None]) / total
    theta_sd = jnp.sqrt(sigma2[None, :] * tau2 / total)
    theta = theta_mean + theta_sd * jax.random.normal(key_theta, (draws, y.shape[0]))
    return mu, tau, theta, grid, density


@jax.jit
def _conditional(tau, y, sigma2, mu_mean, mu_prec):
    mu_hat, log_var_mu, _ = _mu_given_tau(tau, y, sigma2, mu_mean, mu_prec)
    var_mu = jnp.exp(log_var_mu)
    tau2 = tau[:, None] ** 2
    total = sigma2[None, :] + tau2
    shrinkage = sigma2[None, :] / total
    theta_mean = shrinkage * mu_hat[:, None] + (1.0 - shrinkage) * y[None, :]
    theta_var = sigma2[None, :] * tau2 / total + shrinkage**2 * var_mu[:, None]
    return mu_hat, jnp.sqrt(var_mu), theta_mean, jnp.sqrt(theta_var), shrinkage


# ---------------------------------------------------------------------------------------------
# Public API: validates, converts, calls the kernels, returns NumPy.


def _check_data(y, sigma) -> tuple[np.ndarray, np.ndarray]:
    y_arr = _validate.as_vector(y, "y")
    sigma_arr = _validate.as_vector(sigma, "sigma")
    _validate.same_length(y_arr, "y", sigma_arr, "sigma")
    _validate.positive(sigma_arr, "sigma")
    return y_arr, sigma_arr


def _check_mu_prior(mu_prior) -> tuple[float, float]:
    """(mean, precision) of the normal prior on μ; precision 0 stands for the flat prior."""
    if mu_prior is None:
        return 0.0, 0.0
    try:
        mean, sd = mu_prior
    except (TypeError, ValueError) as err:
        raise ValueError(f"mu_prior must be None or a pair (mean, sd); got {mu_prior!r}") from err
    mean = _validate.finite_scalar(mean, "mu_prior mean")
    sd = _validate.positive_scalar(sd, "mu_prior sd")
    return mean, 1.0 / sd**2


def _check_tau_prior(tau_prior: str, tau_scale: float, n_groups: int, mu_prec: float):
    """(code, scale, names): the prior's index among the names the exact model offers."""
    prior = priors.check(tau_prior, "exact")
    offered = priors.names("exact")
    tau_scale = _validate.positive_scalar(tau_scale, "tau_scale")
    # Under a uniform prior, p(τ | y) falls off like τ^-(J-1) with a flat prior on μ (τ^-J with a
    # normal one): it does not integrate unless that power exceeds 1.
    needed = 2 if mu_prec > 0 else 3
    if not prior.proper and n_groups < needed:
        raise ValueError(
            f"a {prior.label} prior on tau needs at least {needed} groups "
            f"{'with a normal prior on mu' if mu_prec > 0 else 'with a flat prior on mu'}; "
            f"with {n_groups} the posterior is improper. Choose a proper prior on tau "
            f"({', '.join(priors.label(n) for n in offered if priors.TAU_PRIORS[n].proper)})."
        )
    return offered.index(tau_prior), tau_scale, offered


def sample_posterior(
    y,
    sigma,
    *,
    tau_prior: str = "uniform",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> NormalPosterior:
    """Draw from the exact posterior of the normal–normal hierarchy (BDA3 §5.4).

    Parameters
    ----------
    y : array, shape (J,)
        Estimated effect in each group.
    sigma : array, shape (J,)
        Standard error of each estimate (known, > 0).
    tau_prior : {"uniform", "half_cauchy", "half_normal"}
        Prior on the population sd τ, one that :func:`hbviz.priors.names` lists for "exact".
        "uniform" is BDA3's choice (improper, flat on τ > 0).
    tau_scale : float
        Scale of the half-Cauchy or half-normal prior (ignored by "uniform").
    mu_prior : None or (mean, sd)
        None for a flat prior on μ (BDA3), else a normal prior.
    draws : int
        Number of joint draws of (μ, τ, θ).
    seed : int
        The same seed and inputs give the same draws.

    Returns
    -------
    NormalPosterior
        ``mu`` (draws,), ``tau`` (draws,), ``theta`` (draws, J), and p(τ | y) on its grid.

    Raises
    ------
    ValueError
        On non-finite or mismatched inputs, σ ≤ 0, an unknown prior, or an improper posterior.
    """
    y_arr, sigma_arr = _check_data(y, sigma)
    mu_mean, mu_prec = _check_mu_prior(mu_prior)
    code, tau_scale, names = _check_tau_prior(tau_prior, tau_scale, y_arr.size, mu_prec)
    draws = _validate.draw_count(draws)
    key = jax.random.PRNGKey(_validate.seed(seed))
    out = _sample(
        key, y_arr, sigma_arr**2, code, tau_scale, mu_mean, mu_prec, draws=draws, prior_names=names
    )
    return NormalPosterior(*(np.asarray(a) for a in out))


def tau_posterior(
    y,
    sigma,
    *,
    tau_prior: str = "uniform",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """The marginal posterior density p(τ | y) (BDA3 eq. 5.21, Fig. 5.5) on an adaptive grid.

    Returns
    -------
    tau_grid : array, shape (G,)
    density : array, shape (G,)
        Normalised so that the trapezoid rule over ``tau_grid`` gives 1.
    """
    y_arr, sigma_arr = _check_data(y, sigma)
    mu_mean, mu_prec = _check_mu_prior(mu_prior)
    code, tau_scale, names = _check_tau_prior(tau_prior, tau_scale, y_arr.size, mu_prec)
    grid, density, _, _ = _tau_posterior(
        y_arr, sigma_arr**2, code, tau_scale, mu_mean, mu_prec, prior_names=names
    )
    return np.asarray(grid), np.asarray(density)


def conditional_posterior(
    y, sigma, tau, *, mu_prior: tuple[float, float] | None = None
) -> ConditionalPosterior:
    """Posterior moments of μ and θ given τ, for one τ or an array of them (BDA3 Figs. 5.6–5.7).

    Parameters
    ----------
    y, sigma : array, shape (J,)
    tau : float or array, shape (T,)
        Values of τ ≥ 0; ``np.inf`` gives no pooling (θ_j | y ~ N(y_j, σ_j²)).
    mu_prior : None or (mean, sd)

    Returns
    -------
    ConditionalPosterior
        Arrays with one row per τ value.
    """
    y_arr, sigma_arr = _check_data(y, sigma)
    mu_mean, mu_prec = _check_mu_prior(mu_prior)
    tau_arr = np.atleast_1d(np.asarray(tau, dtype=np.float64))
    if tau_arr.ndim != 1 or np.any(np.isnan(tau_arr)) or np.any(tau_arr < 0):
        raise ValueError(f"tau must be numbers of at least 0; got {tau!r}")
    infinite = np.isinf(tau_arr)
    mu_hat, mu_sd, theta_mean, theta_sd, shrinkage = (
        np.array(a)
        for a in _conditional(
            np.where(infinite, 0.0, tau_arr), y_arr, sigma_arr**2, mu_mean, mu_prec
        )
    )
    # τ = ∞ is the no-pooling limit: each θ_j is its own estimate and μ is left to its prior.
    theta_mean[infinite] = y_arr
    theta_sd[infinite] = sigma_arr
    shrinkage[infinite] = 0.0
    mu_hat[infinite] = mu_mean if mu_prec > 0 else np.nan
    mu_sd[infinite] = 1.0 / np.sqrt(mu_prec) if mu_prec > 0 else np.inf
    return ConditionalPosterior(tau_arr, mu_hat, mu_sd, theta_mean, theta_sd, shrinkage)


def shrinkage_factor(sigma, tau) -> np.ndarray:
    """B_j = σ_j² / (σ_j² + τ²), shape (T, J) for τ of shape (T,): the weight on the population mean."""
    sigma_arr = _validate.as_vector(sigma, "sigma")
    _validate.positive(sigma_arr, "sigma")
    tau_arr = np.atleast_1d(np.asarray(tau, dtype=np.float64))
    s2 = sigma_arr[None, :] ** 2
    with np.errstate(invalid="ignore"):
        out = s2 / (s2 + tau_arr[:, None] ** 2)
    return np.where(np.isinf(tau_arr)[:, None], 0.0, out)


def complete_pooling(y, sigma) -> tuple[float, float]:
    """The complete-pooling estimate (τ = 0, flat μ): precision-weighted mean and its sd.

    For eight schools this is 7.7 with sd 4.1 (BDA3 §5.5).
    """
    y_arr, sigma_arr = _check_data(y, sigma)
    w = 1.0 / sigma_arr**2
    return float((w * y_arr).sum() / w.sum()), float(1.0 / np.sqrt(w.sum()))


def posterior_predictive(
    post: NormalPosterior, sigma, *, sigma_new: float | None = None, seed: int = 0
) -> PosteriorPredictive:
    """Posterior predictive draws for the existing groups and for a new group.

    Parameters
    ----------
    post : NormalPosterior
    sigma : array, shape (J,)
        Standard errors of the existing groups' estimates.
    sigma_new : float, optional
        Standard error of a new group's estimate; by default the root mean square of ``sigma``.
    seed : int
    """
    sigma_arr = _validate.as_vector(sigma, "sigma")
    _validate.positive(sigma_arr, "sigma")
    if sigma_arr.size != post.theta.shape[1]:
        raise ValueError(
            f"sigma has {sigma_arr.size} values but the posterior has {post.theta.shape[1]} groups"
        )
    if sigma_new is None:
        sigma_new = float(np.sqrt(np.mean(sigma_arr**2)))
    sigma_new = _validate.positive_scalar(sigma_new, "sigma_new")
    rng = np.random.default_rng(_validate.seed(seed))
    draws = post.mu.shape[0]
    y_existing = post.theta + sigma_arr[None, :] * rng.standard_normal(post.theta.shape)
    theta_new = post.mu + post.tau * rng.standard_normal(draws)
    y_new = theta_new + sigma_new * rng.standard_normal(draws)
    return PosteriorPredictive(y_existing, theta_new, y_new)
