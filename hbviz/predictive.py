"""Prior and posterior predictive distributions of the lecture's two hierarchies.

A *prior predictive* check draws parameters from the prior and data from the model, before any
data are seen: what effects θ_j and estimates y_j (eight schools) or tumour rates (rat tumours)
does this prior think plausible? An improper prior has infinite total mass, so it is not a
probability distribution and nothing can be drawn from it: here it is cut to a bounded region
(said where) and renormalised, which makes it proper, and the picture then depends on the cut.

A *posterior predictive* distribution is that of a new observation given the data: from an
existing group (its θ_j drawn from p(θ_j | y)) or from a new group (θ̃ drawn from the
population, p(θ̃ | μ, τ) averaged over p(μ, τ | y)). The draws come from the exact samplers'
draws (:func:`hbviz.normal_normal.posterior_predictive`, summarised by :func:`predictive_table`); for counts the predictive is summed
in closed form over the draws of (α, β) (beta-binomial pmfs), with no binomial noise.

Samplers are jitted once at module level (eight schools) or vectorised NumPy (counts).
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from scipy import special, stats

from hbviz import _validate, beta_binomial, priors

__all__ = [
    "DEFAULT_CUTOFF",
    "HyperpriorDraws",
    "NormalPriorPredictive",
    "beta_curves",
    "beta_prior_draws",
    "binomial_predictive_pmf",
    "hyperprior_predictive",
    "normal_prior_predictive",
    "pmf_summary",
    "predictive_table",
    "prior_comparison",
    "rate_summary",
]

DEFAULT_CUTOFF = 100.0
"""Eight schools: an improper prior is cut to τ ∈ (0, B), μ ∈ (−B, B) with this B (points)."""
LEVELS = (0.025, 0.5, 0.975)


class NormalPriorPredictive(NamedTuple):
    """Draws from the prior and the prior predictive of the normal–normal hierarchy.

    Attributes
    ----------
    mu, tau : arrays, shape (draws,)
    theta : array, shape (draws, J)
        θ_j ~ N(μ, τ²).
    y : array, shape (draws, J)
        ỹ_j ~ N(θ_j, σ_j²): the estimates the prior expects, with the observed σ_j.
    cut : tuple of str
        The improper priors that were cut to (0, B) or (−B, B) before drawing ("τ", "μ").
    """

    mu: np.ndarray
    tau: np.ndarray
    theta: np.ndarray
    y: np.ndarray
    cut: tuple[str, ...]


def _tau_prior_draws(key, prior_code, tau_scale, cutoff, prior_names, draws):
    """τ from prior ``prior_names[prior_code]``: the code is traced, so one compiled program
    serves every prior (as in :mod:`hbviz.normal_normal`); an improper one is cut to (0, B)."""

    def branch(name):
        distribution = priors.TAU_PRIORS[name].distribution
        if distribution is None:
            return lambda k, scale, bound: bound * jax.random.uniform(k, (draws,))
        return lambda k, scale, bound: distribution(scale).sample(k, (draws,))

    branches = [branch(name) for name in prior_names]
    return jax.lax.switch(prior_code, branches, key, tau_scale, cutoff)


class _Settings(NamedTuple):
    """The checked prior settings of a prior predictive draw, the τ prior aside: one group that
    every τ prior of :func:`prior_comparison` shares (a pytree, traced under jit)."""

    tau_scale: float
    mu_flat: bool
    mu_mean: float
    mu_sd: float
    cutoff: float


def _settings(tau_scale, mu_prior, cutoff) -> _Settings:
    mu_flat = mu_prior is None
    mu_mean, mu_sd = (0.0, 1.0) if mu_flat else _validate.normal_prior(mu_prior, "mu_prior")
    return _Settings(
        tau_scale=_validate.positive_scalar(tau_scale, "tau_scale"),
        mu_flat=mu_flat,
        mu_mean=float(mu_mean),
        mu_sd=float(mu_sd),
        cutoff=_validate.positive_scalar(cutoff, "cutoff"),
    )


@partial(jax.jit, static_argnames=("prior_names", "draws"))
def _normal_prior_draws(key, sigma, prior_code, settings: _Settings, *, prior_names, draws):
    tau_scale, mu_flat, mu_mean, mu_sd, cutoff = settings
    key_tau, key_mu, key_theta, key_y = jax.random.split(key, 4)
    tau = _tau_prior_draws(key_tau, prior_code, tau_scale, cutoff, prior_names, draws)
    u = jax.random.uniform(key_mu, (draws,))
    # a flat prior on μ cut to (−B, B); else N(m, s²) by the inverse CDF of the same uniforms
    normal = mu_mean + mu_sd * jax.scipy.special.ndtri(u)
    mu = jnp.where(mu_flat, cutoff * (2.0 * u - 1.0), normal)
    theta = mu[:, None] + tau[:, None] * jax.random.normal(key_theta, (draws, sigma.shape[0]))
    y = theta + sigma[None, :] * jax.random.normal(key_y, theta.shape)
    return mu, tau, theta, y


def normal_prior_predictive(
    sigma,
    *,
    tau_prior: str = "uniform",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
    cutoff: float = DEFAULT_CUTOFF,
    draws: int = 4000,
    seed: int = 0,
) -> NormalPriorPredictive:
    """Draw (μ, τ, θ, ỹ) from the prior of the eight-schools model (BDA3 §5.4).

    Parameters
    ----------
    sigma : array, shape (J,)
        Standard errors of the groups' estimates (the ỹ_j are measured with them).
    tau_prior, tau_scale : as in :func:`hbviz.normal_normal.sample_posterior`
        A prior from :mod:`hbviz.priors` that the exact model offers; an improper one (uniform)
        is drawn as uniform on (0, ``cutoff``).
    mu_prior : None or (mean, sd)
        None is the flat prior on μ, drawn as uniform on (−``cutoff``, ``cutoff``).
    cutoff : float
        B, where improper priors are cut (> 0).
    draws, seed : int

    Returns
    -------
    NormalPriorPredictive
    """
    sigma_arr = _validate.as_vector(sigma, "sigma")
    _validate.positive(sigma_arr, "sigma")
    return _prior_draws(sigma_arr, tau_prior, _settings(tau_scale, mu_prior, cutoff), draws, seed)


def _prior_draws(sigma, tau_prior, settings: _Settings, draws, seed) -> NormalPriorPredictive:
    """:func:`normal_prior_predictive` of checked σ_j and prior settings."""
    prior = priors.check(tau_prior, "exact")
    offered = priors.names("exact")
    out = _normal_prior_draws(
        jax.random.PRNGKey(_validate.seed(seed)),
        jnp.asarray(sigma),
        offered.index(prior.name),
        settings,
        prior_names=offered,
        draws=_validate.draw_count(draws),
    )
    cut = (("τ", not prior.proper), ("μ", settings.mu_flat))
    return NormalPriorPredictive(*(np.asarray(a) for a in out), cut=tuple(n for n, c in cut if c))


def predictive_table(theta, y_rep, observed, names: Sequence[object]) -> pd.DataFrame:
    """Per group: quantiles of θ_j and of a replicated ỹ_j, and where the observed y_j falls.

    Used for the prior predictive (θ, ỹ drawn from the prior) and for the posterior predictive
    (θ_j | y and ỹ_j | y) alike.

    Parameters
    ----------
    theta, y_rep : arrays, shape (S, J)
    observed : array, shape (J,), or None
        The observed y_j; None for groups without one (a new group): ``y`` and ``Pr(ỹ ≤ y)``
        are then NaN.
    names : J group names

    Returns
    -------
    DataFrame indexed by group: ``y``, ``θ 2.5%``, ``θ 50%``, ``θ 97.5%``, ``ỹ 2.5%``,
    ``ỹ 50%``, ``ỹ 97.5%`` and ``Pr(ỹ ≤ y)``: near 0 or 1 when the observed value is one the
    distribution did not expect.
    """
    theta = np.asarray(theta, dtype=float)
    y_rep = np.asarray(y_rep, dtype=float)
    if observed is None:
        observed = np.full(theta.shape[-1] if theta.ndim == 2 else 0, np.nan)
    else:
        observed = _validate.as_vector(observed, "observed")
    if not (theta.ndim == 2 and theta.shape == y_rep.shape and theta.shape[1] == observed.size):
        raise ValueError(
            f"theta and y_rep must have shape (draws, {observed.size}); "
            f"got {theta.shape} and {y_rep.shape}"
        )
    index = pd.Index(_validate.group_names(names, observed.size), name="group")
    table = pd.DataFrame({"y": observed}, index=index)
    for symbol, draws in (("θ", theta), ("ỹ", y_rep)):
        for level, q in zip(LEVELS, np.quantile(draws, LEVELS, axis=0), strict=True):
            table[f"{symbol} {100 * level:g}%"] = q
    below = np.mean(y_rep <= observed[None, :], axis=0)
    table["Pr(ỹ ≤ y)"] = np.where(np.isnan(observed), np.nan, below)
    return table


def prior_comparison(
    y,
    sigma,
    *,
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
    cutoff: float = DEFAULT_CUTOFF,
    draws: int = 4000,
    seed: int = 0,
) -> pd.DataFrame:
    """Every τ prior the exact model offers, side by side: what each implies before the data.

    Returns
    -------
    DataFrame indexed by the priors' labels: ``τ 50%``, ``τ 97.5%``, ``ỹ_j 2.5%``, ``ỹ_j 97.5%``
    (all groups' draws together) and ``observed y_j inside`` (how many of the J observed y_j lie
    within their own central 95% prior predictive interval).
    """
    y_arr, sigma_arr = _validate.as_vector(y, "y"), _validate.as_vector(sigma, "sigma")
    _validate.same_length(y_arr, "y", sigma_arr, "sigma")
    _validate.positive(sigma_arr, "sigma")
    settings = _settings(tau_scale, mu_prior, cutoff)
    rows = {}
    for name in priors.names("exact"):
        pp = _prior_draws(sigma_arr, name, settings, draws, seed)
        lo, hi = np.quantile(pp.y, [0.025, 0.975], axis=0)
        inside = int(np.sum((lo <= y_arr) & (y_arr <= hi)))
        tau_mid, tau_hi = np.quantile(pp.tau, [0.5, 0.975])
        label = priors.label(name) + (" (cut at B)" if "τ" in pp.cut else "")
        rows[label] = {
            "τ 50%": tau_mid,
            "τ 97.5%": tau_hi,
            "ỹ_j 2.5%": np.quantile(pp.y, 0.025),
            "ỹ_j 97.5%": np.quantile(pp.y, 0.975),
            "observed y_j inside": f"{inside} of {y_arr.size}",
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "prior on τ"
    return table


# ---------------------------------------------------------------------------------------------
# Counts: the hyperprior p(α, β) ∝ (α+β)^(−5/2) and fixed Beta priors


class HyperpriorDraws(NamedTuple):
    """Draws of (α, β) from the cut hyperprior, and of a group's θ ~ Beta(α, β).

    Attributes
    ----------
    alpha, beta, theta : arrays, shape (draws,)
    box : (u_lo, u_hi, v_lo, v_hi)
        The region of (log(α/β), log(α+β)) the improper hyperprior was cut to.
    """

    alpha: np.ndarray
    beta: np.ndarray
    theta: np.ndarray
    box: tuple[float, float, float, float]


def _beta_draws_logit(rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """θ ~ Beta(a, b) as its logit, from log-gamma draws: finite even for a, b near 0, where
    ``Generator.beta`` returns 0/0. log G(a) = log G(a + 1) + log(U)/a (Marsaglia & Tsang)."""

    def log_gamma(shape):
        return np.log(rng.gamma(shape + 1.0)) + np.log(rng.random(shape.shape)) / shape

    return log_gamma(a) - log_gamma(b)


def hyperprior_predictive(
    *,
    log_size_min: float = beta_binomial.WIDE_LOG_SIZE[0],
    log_size_max: float = beta_binomial.WIDE_LOG_SIZE[1],
    logit_mean: tuple[float, float] = beta_binomial.WIDE_LOGIT_MEAN,
    draws: int = 4000,
    seed: int = 0,
) -> HyperpriorDraws:
    """Draws from p(α, β) ∝ (α+β)^(−5/2) cut to a box in (u, v) = (log(α/β), log(α+β)).

    The hyperprior is improper: in (u, v) its density is ∝ e^u/(1 + e^u)² · e^(−v/2), a logistic
    density in u (so α/(α+β) is uniform on (0, 1)) times e^(−v/2), whose integral diverges as
    v → −∞, i.e. as α + β → 0. Cut to v ∈ [``log_size_min``, ``log_size_max``] and u in
    ``logit_mean`` it is proper; the defaults are the box the exact sampler's widest grid
    covers (:data:`hbviz.beta_binomial.WIDE_LOG_SIZE`, ``WIDE_LOGIT_MEAN``). Both factors are
    drawn by their inverse CDFs; θ ~ Beta(α, β) from log-gamma draws, exact for tiny α, β.

    Returns
    -------
    HyperpriorDraws
    """
    v_lo = _validate.finite_scalar(log_size_min, "log_size_min")
    v_hi = _validate.finite_scalar(log_size_max, "log_size_max")
    u_lo, u_hi = (_validate.finite_scalar(u, "logit_mean") for u in logit_mean)
    if not (v_lo < v_hi and u_lo < u_hi):
        raise ValueError(
            f"the box must have lower < upper ends; got log(α+β) from {v_lo:g} to {v_hi:g}, "
            f"log(α/β) from {u_lo:g} to {u_hi:g}"
        )
    rng = np.random.default_rng(_validate.seed(seed))
    size = _validate.draw_count(draws)
    mean = rng.uniform(special.expit(u_lo), special.expit(u_hi), size)  # α/(α+β)
    # F(v) = (1 − e^{−(v − v_lo)/2}) / (1 − e^{−(v_hi − v_lo)/2}) on [v_lo, v_hi]
    v = v_lo - 2.0 * np.log1p(rng.random(size) * np.expm1(-(v_hi - v_lo) / 2.0))
    total = np.exp(v)
    alpha, beta = mean * total, (1.0 - mean) * total
    theta = special.expit(_beta_draws_logit(rng, alpha, beta))
    return HyperpriorDraws(alpha, beta, theta, (u_lo, u_hi, v_lo, v_hi))


def beta_prior_draws(alpha: float, beta: float, *, draws: int = 4000, seed: int = 0):
    """θ ~ Beta(α, β) for one fixed prior (an empirical-Bayes one), shape (draws,)."""
    a = _validate.positive_scalar(alpha, "alpha")
    b = _validate.positive_scalar(beta, "beta")
    rng = np.random.default_rng(_validate.seed(seed))
    size = _validate.draw_count(draws)
    return special.expit(_beta_draws_logit(rng, np.full(size, a), np.full(size, b)))


def beta_curves(alpha, beta, *, points: int = 301) -> tuple[np.ndarray, np.ndarray]:
    """Densities of Beta(α_k, β_k) for each pair, on one grid of (0, 1) without its ends.

    Returns
    -------
    x : array, shape (points,)
    density : array, shape (K, points)
    """
    a = np.atleast_1d(np.asarray(alpha, dtype=float))
    b = np.atleast_1d(np.asarray(beta, dtype=float))
    if a.shape != b.shape or not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError(f"alpha and beta must be positive and of one shape; got {a!r}, {b!r}")
    x = np.linspace(0.0, 1.0, points + 2)[1:-1]
    return x, stats.beta.pdf(x[None, :], a[:, None], b[:, None])


def rate_summary(theta: dict[str, np.ndarray], observed_rates) -> pd.DataFrame:
    """What each prior says of a group's rate θ, beside the observed rates.

    Parameters
    ----------
    theta : mapping of a prior's name to its draws of θ, shape (S,)
    observed_rates : array, shape (J,)

    Returns
    -------
    DataFrame indexed by prior: ``2.5%``, ``50%``, ``97.5%`` of θ, ``Pr(θ < 0.01 or > 0.99)``,
    and ``observed rates inside`` (how many observed rates lie in its central 95% interval).
    """
    rates = _validate.as_vector(observed_rates, "observed_rates")
    rows = {}
    for name, draws in theta.items():
        draws = np.asarray(draws, dtype=float)
        lo, mid, hi = np.quantile(draws, LEVELS)
        inside = int(np.sum((lo <= rates) & (rates <= hi)))
        rows[name] = {
            "2.5%": lo,
            "50%": mid,
            "97.5%": hi,
            "Pr(θ < 0.01 or > 0.99)": float(np.mean((draws < 0.01) | (draws > 0.99))),
            "observed rates inside": f"{inside} of {rates.size}",
        }
    table = pd.DataFrame.from_dict(rows, orient="index")
    table.index.name = "prior"
    return table


def binomial_predictive_pmf(alpha, beta, trials: int, *, successes: int = 0, failures: int = 0):
    """Pr(ỹ = k | y), k = 0…``trials``, of a new binomial count, summed exactly over draws.

    For each draw of (α, β), ỹ is beta-binomial with parameters (α + ``successes``,
    β + ``failures``): a new group (no data of its own: 0, 0), or one more experiment of an
    existing group with its y_j and n_j − y_j (θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j)).
    The pmf is the average of these over the draws: exact given the draws of (α, β), with no
    binomial noise.

    Parameters
    ----------
    alpha, beta : arrays, shape (S,)
        Posterior draws of the population parameters.
    trials : int
        Size ñ of the new experiment, ≥ 1.
    successes, failures : int
        The existing group's counts (0 for a new group).

    Returns
    -------
    array, shape (trials + 1,)
    """
    n = _validate.draw_count(trials, "trials")
    a = np.asarray(alpha, dtype=float).ravel() + float(successes)
    b = np.asarray(beta, dtype=float).ravel() + float(failures)
    if a.shape != b.shape or a.size == 0 or not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError("alpha and beta must be non-empty, positive and of one shape")
    k = np.arange(n + 1, dtype=float)
    # log C(n, k) + log B(k + a, n − k + b) − log B(a, b), from log-gamma functions: the
    # k-terms once, a (draws × k) block at a time; bounded work (about a million terms):
    # evenly spaced draws when there are more
    log_choose = special.gammaln(n + 1.0) - special.gammaln(k + 1.0) - special.gammaln(n - k + 1.0)
    keep = max(1, min(a.size, 1_000_000 // (n + 1)))
    pick = np.linspace(0, a.size - 1, keep).round().astype(int)
    a, b = a[pick, None], b[pick, None]
    log_pmf = (
        log_choose[None, :]
        + special.gammaln(k[None, :] + a)
        + special.gammaln(n - k[None, :] + b)
        - special.gammaln(n + a + b)
        - special.betaln(a, b)
    )
    pmf = np.exp(log_pmf).sum(axis=0)
    return pmf / pick.size


def pmf_summary(pmf, observed: int) -> dict[str, float]:
    """Mean, 2.5% and 97.5% points and Pr(ỹ ≥ observed) of a pmf on 0, 1, …, len(pmf) − 1."""
    p = np.asarray(pmf, dtype=float)
    k = np.arange(p.size)
    cdf = np.cumsum(p)
    return {
        "mean": float(k @ p),
        "2.5%": float(np.searchsorted(cdf, 0.025)),
        "97.5%": float(np.searchsorted(cdf, 0.975)),
        "Pr(ỹ ≥ y)": float(p[int(observed) :].sum()) if 0 <= observed < p.size else 0.0,
    }
