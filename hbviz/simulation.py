"""A known-truth simulation lab: why partial pooling wins, measured over many data sets.

The student sets the truth; R data sets are drawn from it; each is analysed three ways (no,
complete and partial pooling) and every estimate is compared with the θ_j that generated it.

Estimates (the eight-schools family, BDA3 §5.4–5.5)::

    θ_j ~ N(μ, τ²),   y_j ~ N(θ_j, σ_j²),   j = 1…J.

- **no pooling**: θ̂_j = y_j, interval y_j ± 1.96 σ_j;
- **complete pooling**: the precision-weighted mean of the y_j for every group, ± 1.96 its sd
  (:func:`hbviz.normal_normal.complete_pooling`);
- **partial pooling**: the full hierarchical posterior under the eight-schools page's default
  priors, uniform on τ and flat on μ (BDA3's choice): p(τ | y) on the adaptive grid of
  :mod:`hbviz.normal_normal`, and θ_j | τ, y normal. The estimate is E(θ_j | y) and the interval
  the central 95 % posterior interval; both are integrals over the τ grid (trapezoid rule) of the
  conditional normals, so no posterior draws are needed: the interval covers θ_j exactly when
  0.025 ≤ Pr(θ ≤ θ_j | y) ≤ 0.975.

Counts (the rat-tumor family, BDA3 §5.1–5.3)::

    logit θ_j has mean logit(base rate) and sd τ,   y_j ~ Bin(n_j, θ_j),

with θ_j from a Beta population (mean ``base_rate``, its (α, β) chosen so that the sd of logit θ
is τ) or a logit-normal one (logit θ_j ~ N(logit(base_rate), τ²), median ``base_rate``): τ means the
same on both, the spread of the log-odds.

- **no pooling**: each group alone under a uniform prior, θ_j | y ~ Beta(1 + y_j, 1 + n_j − y_j):
  its mean (y_j + 1)/(n_j + 2) and central 95 % interval (finite and inside (0, 1) even for 0 of n);
- **complete pooling**: one θ for all, Beta(1 + Σy, 1 + Σ(n − y));
- **partial pooling**: the beta–binomial hierarchy with p(α, β) ∝ (α+β)^(−5/2), on the adaptive
  (log(α/β), log(α+β)) grid of :mod:`hbviz.beta_binomial` (with a final grid of 32 × 32).
  E(θ_j | y) = Σ_cells p(cell | y) (α + y_j)/(α + β + n_j) uses every cell; the posterior CDF at
  the true θ_j is averaged over ``CDF_DRAWS`` cells drawn systematically by their mass (the Beta
  CDFs are the dear part). Under a logit-normal truth the hierarchy is misspecified, as in
  practice. Data sets whose hierarchical posterior is improper (every y_j = 0 or every y_j = n_j)
  are analysed on the grid's widest box, as on the lecture pages, and counted in the table's
  ``attrs["improper"]``.

Everything for one data set is a pure JAX function, vmapped over a batch of data sets and jitted
once at module level; R data sets run as R / 50 calls of that one program (no compile per R).
"""

from __future__ import annotations

from functools import partial
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd
from jax.scipy.special import ndtr
from scipy import optimize, special, stats

from hbviz import _validate, beta_binomial, estimate_tables, normal_normal, pooling

__all__ = [
    "CDF_DRAWS",
    "COVERAGE",
    "POPULATIONS",
    "CountsTruth",
    "ExampleDataSet",
    "beta_population",
    "curve_taus",
    "example_counts",
    "example_estimates",
    "group_sizes",
    "pooling_risk",
    "pooling_risk_counts",
    "risk_curve",
    "risk_curve_counts",
]

COVERAGE = 0.95
"""Probability of the central intervals whose coverage is measured."""
TAU_PRIOR = "uniform"
"""The eight-schools page's default τ prior, which partial pooling of estimates uses."""
POPULATIONS = ("beta", "logit_normal")
"""The populations counts' θ_j are drawn from."""
CDF_DRAWS = 32
"""Cells of the (α, β) grid, drawn by mass, over which a group's posterior CDF is averaged."""
MAX_TRIALS = 500
"""Largest group size for counts: the grid's likelihood costs a log() per trial and group size."""
MAX_REPLICATIONS = 20_000

_BATCH = 50  # data sets per vmapped batch: R = 100, 250, …, 5000 need no padding
_TAIL = (1.0 - COVERAGE) / 2.0
_Z = float(stats.norm.ppf(1.0 - _TAIL))
# p(τ | y)'s grid for integrals over τ: (coarse, fine bulk, fine tail) points. The pages' grid
# (256, 768, 256) is sized for smooth draws; means and CDFs over τ need far fewer nodes
# (tests/test_simulation.py checks the posterior means against the pages' sampler).
_TAU_GRID = (96, 96, 32)
# p(α, β | y)'s grid: (coarse, final) points per axis. The pages' smallest is (24, 48); (16, 32)
# takes a third of the time and moves E(θ_j | y) by < 1e-4 (measured on 500 data sets).
_COUNT_GRID = (16, 32)


class ExampleDataSet(NamedTuple):
    """One simulated data set, for a shrinkage plot.

    Attributes
    ----------
    theta : array, shape (J,)
        The true group parameters.
    y : array, shape (J,)
        The observations (estimates, or successes).
    scale : array, shape (J,)
        σ_j for estimates, n_j for counts.
    table : DataFrame
        The three levels of pooling per group (:func:`hbviz.pooling.pooling_table`): ``group``,
        ``series``, ``estimate``, ``lower``, ``upper``, with ``truth`` added.
    complete_pooling : float
        The complete-pooling estimate.
    """

    theta: np.ndarray
    y: np.ndarray
    scale: np.ndarray
    table: pd.DataFrame
    complete_pooling: float


class CountsTruth(NamedTuple):
    """The truth count data are drawn from (the module docstring's Counts), all but τ: one bundle
    for the table, the example and the curve, which take τ (or the curve's τ values) on their own.

    Attributes
    ----------
    groups : int
        J, at least 3.
    sizes : int, or array of shape (J,)
        Trials n_j per group, 1 to ``MAX_TRIALS``.
    base_rate : float
        In (0, 1): the population's mean rate (beta) or median rate (logit-normal).
    population : {"beta", "logit_normal"}
    """

    groups: int
    sizes: int | np.ndarray
    base_rate: float
    population: str = "beta"


# ---------------------------------------------------------------------------------------------
# Estimates: one data set, then all of them


def _partial_pooling(y, sigma2, theta, prior_code, tau_scale, mu_mean, mu_prec, prior_names):
    """E(θ_j | y) and Pr(θ_j ≤ theta_j | y), shape (J,) each: integrals over p(τ | y)'s grid."""
    grid, density, mu_hat, log_var_mu = normal_normal._tau_posterior(
        y, sigma2, prior_code, tau_scale, mu_mean, mu_prec, prior_names, _TAU_GRID
    )
    # trapezoid weights of the grid's nodes
    cells = 0.5 * jnp.diff(grid)
    node = density * (jnp.pad(cells, (1, 0)) + jnp.pad(cells, (0, 1)))
    node = node / node.sum()
    # θ_j | τ, y ~ N(B μ̂ + (1 − B) y_j, σ² τ²/(σ² + τ²) + B² V_μ), B = σ²/(σ² + τ²)
    tau2 = grid[:, None] ** 2
    shrink = sigma2[None, :] / (sigma2[None, :] + tau2)
    mean = shrink * mu_hat[:, None] + (1.0 - shrink) * y[None, :]
    sd = jnp.sqrt(tau2 * shrink + shrink**2 * jnp.exp(log_var_mu)[:, None])
    return node @ mean, node @ ndtr((theta[None, :] - mean) / sd)


def _estimates_one(key, mu, tau, sigma, prior_code, tau_scale, mu_mean, mu_prec, prior_names):
    """Squared errors and coverage indicators, shape (3, J): no, complete, partial pooling."""
    key_theta, key_y = jax.random.split(key)
    groups = sigma.shape[0]
    theta = mu + tau * jax.random.normal(key_theta, (groups,))
    y = theta + sigma * jax.random.normal(key_y, (groups,))
    sigma2 = sigma**2

    w = 1.0 / sigma2
    pooled = jnp.sum(w * y) / jnp.sum(w)
    pooled_sd = 1.0 / jnp.sqrt(jnp.sum(w))

    partial_mean, cdf = _partial_pooling(
        y, sigma2, theta, prior_code, tau_scale, mu_mean, mu_prec, prior_names
    )

    estimate = jnp.stack([y, jnp.full(groups, pooled), partial_mean])
    covered = jnp.stack(
        [
            jnp.abs(y - theta) <= _Z * sigma,
            jnp.abs(pooled - theta) <= _Z * pooled_sd,
            (cdf >= _TAIL) & (cdf <= 1.0 - _TAIL),
        ]
    )
    return (estimate - theta) ** 2, covered.astype(jnp.float64)


@partial(jax.jit, static_argnames=("prior_names",))
def _estimates_batch(keys, mu, tau, sigma, prior_code, tau_scale, mu_mean, mu_prec, prior_names):
    one = partial(_estimates_one, prior_names=prior_names)
    return jax.vmap(one, in_axes=(0, 0, 0, *[None] * 5))(
        keys, mu, tau, sigma, prior_code, tau_scale, mu_mean, mu_prec
    )


def _in_batches(kernel, keys, *per_data_set, **constants) -> tuple[np.ndarray, ...]:
    """``kernel`` (a jitted vmap over one batch) over every data set, ``_BATCH`` at a time.

    The last batch is padded by repeating the first data set, and the padding dropped: the
    compiled program's shape is the batch's, so every R reuses it (no compile per R), and the
    (batch × grid × J) temporaries stay small.
    """
    total = keys.shape[0]
    index = np.concatenate([np.arange(total), np.zeros(-total % _BATCH, dtype=int)])
    parts = []
    for start in range(0, index.size, _BATCH):
        take = index[start : start + _BATCH]
        out = kernel(keys[take], *(np.asarray(a)[take] for a in per_data_set), **constants)
        parts.append([np.asarray(a) for a in out])
    return tuple(np.concatenate(arrays)[:total] for arrays in zip(*parts, strict=True))


# ---------------------------------------------------------------------------------------------
# Checks and the risk table


def _per_replication(value, name: str, replications: int, *, minimum: float) -> np.ndarray:
    """A truth parameter as one value per replication (a scalar is repeated)."""
    arr = _validate.as_vector(value, name)
    if arr.size == 1:
        arr = np.full(replications, arr[0])
    if arr.size != replications:
        raise ValueError(
            f"{name} must be one number or one per replication ({replications}); got {arr.size}"
        )
    bad = np.flatnonzero(arr < minimum)
    if bad.size:
        raise ValueError(f"{name} is {arr[bad[0]]:g}; it must be at least {minimum:g}")
    return arr


def _groups(groups) -> int:
    if isinstance(groups, bool) or not isinstance(groups, int | np.integer) or groups < 3:
        raise ValueError(f"groups must be a whole number of at least 3; got {groups!r}")
    return int(groups)


def _replications(replications) -> int:
    replications = _validate.draw_count(replications, "replications")
    if replications > MAX_REPLICATIONS:
        raise ValueError(f"replications must be at most {MAX_REPLICATIONS:,}; got {replications}")
    return replications


def _keys(seed, replications: int):
    return jax.random.split(jax.random.key(_validate.seed(seed)), replications)


def _risk_table(squared_errors: np.ndarray, covered: np.ndarray) -> pd.DataFrame:
    """RMSE and coverage per level, with their Monte Carlo standard errors.

    ``squared_errors`` and ``covered`` have shape (R, 3, J). Data sets are independent, groups
    within one are not: the standard errors come from the R per-data-set averages.
    """
    replications = squared_errors.shape[0]
    mse_r = squared_errors.mean(axis=2)  # (R, 3)
    cover_r = covered.mean(axis=2)
    mse = mse_r.mean(axis=0)
    rmse = np.sqrt(mse)
    spread = np.std(mse_r, axis=0, ddof=1) if replications > 1 else np.full(3, np.nan)
    cover_spread = np.std(cover_r, axis=0, ddof=1) if replications > 1 else np.full(3, np.nan)
    with np.errstate(divide="ignore", invalid="ignore"):
        rmse_se = spread / np.sqrt(replications) / (2.0 * rmse)  # delta method: d√m = dm/(2√m)
    return pd.DataFrame(
        {
            "rmse": rmse,
            "coverage": cover_r.mean(axis=0),
            "rmse_se": rmse_se,
            "coverage_se": cover_spread / np.sqrt(replications),
        },
        index=pd.Index(pooling.POOLING_SERIES, name="method"),
    )


def _sigma(sigma, groups: int) -> np.ndarray:
    arr = _validate.as_vector(sigma, "sigma")
    if arr.size == 1:
        arr = np.full(groups, arr[0])
    if arr.size != groups:
        raise ValueError(f"sigma must be one number or one per group ({groups}); got {arr.size}")
    _validate.positive(arr, "sigma")
    return arr


def pooling_risk(
    *,
    groups: int,
    mu,
    tau,
    sigma,
    replications: int = 1000,
    seed: int = 0,
    tau_prior: str = TAU_PRIOR,
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
) -> pd.DataFrame:
    """RMSE and 95 % interval coverage of no, complete and partial pooling against a known truth.

    Draws ``replications`` data sets θ_j ~ N(μ, τ²), y_j ~ N(θ_j, σ_j²), j = 1…J, and analyses
    each as the module docstring says. Partial pooling is the exact hierarchical posterior under
    ``tau_prior`` (by default uniform, the eight-schools page's default) and ``mu_prior`` (by
    default flat).

    Parameters
    ----------
    groups : int
        J, at least 3 (the uniform prior on τ needs 3 for a proper posterior).
    mu, tau : float, or array of shape (replications,)
        The truth: one value for every data set, or one per data set (e.g. drawn from a prior;
        when drawn from the model's own proper prior, the hierarchical posterior's intervals
        cover exactly 95 % on average).
    sigma : float, or array of shape (J,)
        Standard errors of the estimates.
    replications : int
        R, the number of data sets (at most ``MAX_REPLICATIONS``).
    seed : int
        The same inputs and seed give the same table.
    tau_prior, tau_scale, mu_prior
        The hierarchical model's priors, as in :func:`hbviz.normal_normal.sample_posterior`.

    Returns
    -------
    DataFrame indexed by "no pooling", "complete pooling", "partial pooling" (``method``), with
    ``rmse`` (root mean squared error of the estimates of θ_j over groups and data sets),
    ``coverage`` (fraction of central 95 % intervals containing θ_j), and their Monte Carlo
    standard errors ``rmse_se`` and ``coverage_se``.
    """
    groups = _groups(groups)
    replications = _replications(replications)
    mu_arr = _per_replication(mu, "mu", replications, minimum=-np.inf)
    tau_arr = _per_replication(tau, "tau", replications, minimum=0.0)
    priors = dict(tau_prior=tau_prior, tau_scale=tau_scale, mu_prior=mu_prior)
    errors = _estimate_errors(_keys(seed, replications), mu_arr, tau_arr, sigma, groups, **priors)
    return _risk_table(*errors)


def _estimate_errors(keys, mu, tau, sigma, groups, *, tau_prior, tau_scale, mu_prior):
    """Squared errors and coverage indicators, each (data sets, 3, J), one data set per key."""
    sigma_arr = _sigma(sigma, groups)
    mu_mean, mu_prec = normal_normal._check_mu_prior(mu_prior)
    code, tau_scale, names = normal_normal._check_tau_prior(tau_prior, tau_scale, groups, mu_prec)
    constants = dict(sigma=sigma_arr, prior_code=code, tau_scale=tau_scale, mu_mean=mu_mean)
    return _in_batches(
        _estimates_batch, keys, mu, tau, mu_prec=mu_prec, prior_names=names, **constants
    )


def _tau_values(taus) -> np.ndarray:
    arr = _validate.as_vector(taus, "taus")
    bad = np.flatnonzero(arr < 0)
    if bad.size:
        raise ValueError(f"taus[{bad[0]}] is {arr[bad[0]]:g}; every τ must be at least 0")
    return arr


def _curve_table(taus: np.ndarray, squared_errors: np.ndarray) -> pd.DataFrame:
    """One row per τ: the three RMSEs (columns named by :data:`hbviz.pooling.POOLING_SERIES`).

    ``squared_errors`` has shape (T · R, 3, J), the R data sets of each τ in turn."""
    rmse = np.sqrt(
        squared_errors.reshape(taus.size, -1, *squared_errors.shape[1:]).mean(axis=(1, 3))
    )
    return pd.DataFrame(
        rmse, columns=list(pooling.POOLING_SERIES), index=pd.Index(taus, name="tau")
    )


def risk_curve(*, groups: int, sigma, taus, replications: int = 250, seed: int = 0) -> pd.DataFrame:
    """The three RMSEs of :func:`pooling_risk` as the true τ moves (James–Stein's lesson).

    The RMSEs do not depend on μ (every estimate moves with the data under a flat prior on μ),
    so the truth is drawn at μ = 0. All T · R data sets run in one vmapped call, and every τ
    reuses the same random numbers (``seed``), so the curves are smooth in τ.

    Parameters
    ----------
    taus : array, shape (T,)
        True population sds, each ≥ 0.
    groups, sigma, replications, seed
        As in :func:`pooling_risk`; ``replications`` data sets per τ.

    Returns
    -------
    DataFrame indexed by ``tau`` (T rows), one column per level of pooling, holding its RMSE.
    """
    groups = _groups(groups)
    replications = _replications(replications)
    taus = _tau_values(taus)
    if taus.size * replications > MAX_REPLICATIONS:
        raise ValueError(
            f"len(taus) × replications must be at most {MAX_REPLICATIONS:,}; "
            f"got {taus.size} × {replications}"
        )
    keys = _keys(seed, replications)[np.tile(np.arange(replications), taus.size)]
    tau_arr = np.repeat(taus, replications)
    priors = dict(tau_prior=TAU_PRIOR, tau_scale=5.0, mu_prior=None)
    squared_errors, _ = _estimate_errors(
        keys, np.zeros_like(tau_arr), tau_arr, sigma, groups, **priors
    )
    return _curve_table(taus, squared_errors)


def curve_taus(tau: float, *, scale: float, points: int) -> np.ndarray:
    """``points`` true τ values from 0 to 3 ``scale`` (σ, or 1 on the log-odds scale), stretched
    to hold ``tau`` with room to spare: the x axis of :func:`risk_curve`."""
    tau = _per_replication(tau, "tau", 1, minimum=0.0)[0]
    scale = _validate.positive_scalar(scale, "scale")
    return np.linspace(0.0, max(3.0 * scale, 1.2 * tau), _validate.draw_count(points, "points"))


def example_estimates(
    *, groups: int, mu: float, tau: float, sigma, seed: int = 0
) -> ExampleDataSet:
    """One data set drawn from the truth, analysed three ways, for a shrinkage plot.

    The partial-pooling row holds the median and central 95 % interval of 4,000 exact posterior
    draws (:func:`hbviz.normal_normal.sample_posterior`, uniform τ prior, flat μ).
    """
    groups = _groups(groups)
    mu = _validate.finite_scalar(mu, "mu")
    tau = _per_replication(tau, "tau", 1, minimum=0.0)[0]
    sigma_arr = _sigma(sigma, groups)
    rng = np.random.default_rng(_validate.seed(seed))
    theta = mu + tau * rng.standard_normal(groups)
    y = theta + sigma_arr * rng.standard_normal(groups)
    post = normal_normal.sample_posterior(y, sigma_arr, tau_prior=TAU_PRIOR, seed=seed)
    names = [str(j + 1) for j in range(groups)]
    table = estimate_tables.pooling_intervals(names, y, sigma_arr, post.theta, interval=COVERAGE)
    table["truth"] = np.tile(theta, 3)
    pooled, _ = normal_normal.complete_pooling(y, sigma_arr)
    return ExampleDataSet(theta, y, sigma_arr, table, pooled)


# ---------------------------------------------------------------------------------------------
# Counts


def beta_population(base_rate: float, tau: float) -> tuple[float, float]:
    """The Beta(α, β) with mean ``base_rate`` whose log-odds have sd ``tau``.

    α = p s and β = (1 − p) s, with s solving ψ′(α) + ψ′(β) = τ² (ψ′ the trigamma function: the
    variance of logit θ under Beta(α, β)); the left side falls from ∞ to 0 as s grows, so the
    root is unique.

    Raises
    ------
    ValueError
        If ``base_rate`` is not in (0, 1) or ``tau`` is not > 0.
    """
    rate = _base_rate(base_rate)
    tau = _validate.positive_scalar(tau, "tau")

    def excess(log_size):
        size = np.exp(log_size)
        return np.log(special.polygamma(1, rate * size) + special.polygamma(1, (1 - rate) * size))

    log_size = optimize.brentq(lambda s: excess(s) - 2.0 * np.log(tau), -40.0, 80.0, xtol=1e-12)
    size = float(np.exp(log_size))
    return rate * size, (1.0 - rate) * size


def _base_rate(base_rate) -> float:
    rate = _validate.finite_scalar(base_rate, "base_rate")
    if not 0.0 < rate < 1.0:
        raise ValueError(f"base_rate must be between 0 and 1 (exclusive); got {base_rate!r}")
    return rate


def group_sizes(groups: int, smallest: int, largest: int) -> np.ndarray:
    """J group sizes spread geometrically from ``smallest`` to ``largest`` (whole numbers)."""
    groups = _groups(groups)
    low = _validate.draw_count(smallest, "smallest")
    high = _validate.draw_count(largest, "largest")
    if high < low:
        raise ValueError(f"largest ({high}) must be at least smallest ({low})")
    return np.round(np.geomspace(low, high, groups)).astype(np.int64)


def _count_tables(y, n, trials):
    """beta_binomial's likelihood tables for one data set, in a shape shared by all data sets.

    Every count is below the cutoff ``trials`` (the largest n_j), so each log rising factorial is
    the sum Σ_k c_k log(x + k), k < trials, and the Stirling part is empty; see
    :func:`hbviz.beta_binomial._count_tables` for the layout.
    """
    k = jnp.arange(trials, dtype=jnp.float64)
    exceed = [jnp.sum(m[:, None] > k[None, :], axis=0) for m in (y, n - y, n)]
    weight = jnp.concatenate([exceed[0], exceed[1], -exceed[2]]).astype(jnp.float64)
    row = jnp.repeat(jnp.arange(3, dtype=jnp.int32), trials)
    empty = jnp.zeros((3, 0))
    return row, jnp.tile(k, 3), weight, empty, empty, jnp.asarray(float(trials))


def _counts_one(key, alpha_pop, beta_pop, logit_mean, tau, n, population, trials):
    """Squared errors (3, J), the Beta parameters for the partial-pooling CDF (2, S, J), the no-
    and complete-pooling Beta parameters (2, 2, J), θ (J,) and whether p(α, β | y) is improper."""
    key_theta, key_y, key_cells = jax.random.split(key, 3)
    groups = n.shape[0]
    if population == "beta":
        theta = jax.random.beta(key_theta, alpha_pop, beta_pop, (groups,))
    else:
        theta = jax.nn.sigmoid(logit_mean + tau * jax.random.normal(key_theta, (groups,)))
    y = jax.random.binomial(key_y, n, theta)
    fail = n - y

    no = (1.0 + y, 1.0 + fail)
    complete = (jnp.full(groups, 1.0 + y.sum()), jnp.full(groups, 1.0 + fail.sum()))

    tables = _count_tables(y, n, trials)
    _, u, v, log_mass, _ = beta_binomial._posterior_grid(tables, sizes=_COUNT_GRID)
    mass = jnp.exp(log_mass).ravel()
    alpha = jnp.exp(v[:, None] + jax.nn.log_sigmoid(u)[None, :]).ravel()
    beta = jnp.exp(v[:, None] + jax.nn.log_sigmoid(-u)[None, :]).ravel()
    partial_mean = mass @ ((alpha[:, None] + y) / (alpha[:, None] + beta[:, None] + n))
    # CDF_DRAWS cells by systematic sampling of their mass: one uniform, evenly spaced positions
    cdf = jnp.cumsum(mass)
    positions = (jnp.arange(CDF_DRAWS) + jax.random.uniform(key_cells)) / CDF_DRAWS * cdf[-1]
    cell = jnp.minimum(jnp.searchsorted(cdf, positions, side="right"), mass.size - 1)
    cells = jnp.stack([alpha[cell][:, None] + y[None, :], beta[cell][:, None] + fail[None, :]])

    estimate = jnp.stack([no[0] / (no[0] + no[1]), complete[0] / (complete[0] + complete[1])])
    estimate = jnp.concatenate([estimate, partial_mean[None, :]])
    improper = ~jnp.any((y > 0) & (y < n))
    fixed = jnp.stack([jnp.stack(no), jnp.stack(complete)])
    return (estimate - theta) ** 2, cells, fixed, theta, improper


@partial(jax.jit, static_argnames=("population", "trials"))
def _counts_batch(keys, alpha_pop, beta_pop, logit_mean, tau, n, *, population, trials):
    def one(key):
        return _counts_one(key, alpha_pop, beta_pop, logit_mean, tau, n, population, trials)

    return jax.vmap(one)(keys)


def _inside(cdf: np.ndarray) -> np.ndarray:
    return ((cdf >= _TAIL) & (cdf <= 1.0 - _TAIL)).astype(np.float64)


def _checked(truth: CountsTruth, tau) -> tuple[int, np.ndarray, float, float, str]:
    """J, the n_j as an array of shape (J,), the rate, τ and the population, checked."""
    groups = _groups(truth.groups)
    n = _validate.as_vector(truth.sizes, "sizes")
    if n.size == 1:
        n = np.full(groups, n[0])
    if n.size != groups:
        raise ValueError(f"sizes must be one number or one per group ({groups}); got {n.size}")
    _validate.counts(np.zeros_like(n), n)
    if n.max() > MAX_TRIALS:
        raise ValueError(f"sizes must be at most {MAX_TRIALS}; got {n.max():g}")
    rate = _base_rate(truth.base_rate)
    tau = _per_replication(tau, "tau", 1, minimum=0.0)[0]
    _validate.choice(truth.population, "population", POPULATIONS)
    return groups, n, rate, float(tau), truth.population


def _count_errors(keys, truth: CountsTruth, tau):
    """Squared errors and coverage indicators (data sets, 3, J), and the improper posteriors."""
    _, n, rate, tau, population = _checked(truth, tau)
    if tau == 0.0:  # every θ_j is the base rate: both populations are that point
        population, (alpha_pop, beta_pop) = "logit_normal", (1.0, 1.0)
    elif population == "beta":
        alpha_pop, beta_pop = beta_population(rate, tau)
    else:
        alpha_pop, beta_pop = 1.0, 1.0
    # the shape of the likelihood tables: one compiled program per size bucket, not per size
    trials = beta_binomial._bucket(int(n.max()), 16)
    squared_errors, cells, fixed, theta, improper = _in_batches(
        _counts_batch,
        keys,
        alpha_pop=alpha_pop,
        beta_pop=beta_pop,
        logit_mean=float(special.logit(rate)),
        tau=tau,
        n=n,
        population=population,
        trials=trials,
    )
    # Beta CDFs in SciPy: jax.scipy.special.betainc costs ~10 µs each here, SciPy's ~20× less
    fixed_cdf = special.betainc(fixed[:, :, 0], fixed[:, :, 1], theta[:, None, :])  # (R, 2, J)
    partial_cdf = special.betainc(cells[:, 0], cells[:, 1], theta[:, None, :]).mean(axis=1)
    covered = _inside(np.concatenate([fixed_cdf, partial_cdf[:, None, :]], axis=1))
    return squared_errors, covered, int(improper.sum())


def pooling_risk_counts(
    truth: CountsTruth, *, tau: float, replications: int = 1000, seed: int = 0
) -> pd.DataFrame:
    """RMSE and 95 % interval coverage of no, complete and partial pooling of binomial counts.

    Draws ``replications`` data sets: θ_j from the population (module docstring: ``"beta"`` or
    ``"logit_normal"``, log-odds with sd ``tau``), y_j ~ Bin(n_j, θ_j); no pooling is
    Beta(1 + y_j, 1 + n_j − y_j), complete pooling Beta(1 + Σy, 1 + Σ(n − y)), partial pooling
    the beta–binomial hierarchy with p(α, β) ∝ (α+β)^(−5/2) (the drug-trial and free-throws pages').

    Parameters
    ----------
    truth : CountsTruth
        J, the n_j, the base rate and the population.
    tau : float
        The sd of logit θ_j in the population, ≥ 0.
    replications, seed
        As in :func:`pooling_risk`.

    Returns
    -------
    DataFrame as :func:`pooling_risk`'s (``rmse`` on the probability scale), with
    ``attrs["improper"]``: how many data sets had every y_j = 0 or every y_j = n_j, whose
    hierarchical posterior is improper and truncated at the widest grid.
    """
    replications = _replications(replications)
    squared_errors, covered, improper = _count_errors(_keys(seed, replications), truth, tau)
    table = _risk_table(squared_errors, covered)
    table.attrs["improper"] = improper
    return table


def risk_curve_counts(
    truth: CountsTruth, *, taus, replications: int = 250, seed: int = 0
) -> pd.DataFrame:
    """The three RMSEs of :func:`pooling_risk_counts` as the population's τ moves.

    Every τ reuses the same random keys (``seed``). Returns a DataFrame indexed by ``tau``, one
    column per level of pooling.
    """
    replications = _replications(replications)
    taus = _tau_values(taus)
    keys = _keys(seed, replications)
    squared_errors = np.concatenate([_count_errors(keys, truth, t)[0] for t in taus], axis=0)
    return _curve_table(taus, squared_errors)


def example_counts(truth: CountsTruth, *, tau: float, seed: int = 0) -> ExampleDataSet:
    """One count data set drawn from the truth, analysed three ways, for a shrinkage plot.

    The partial-pooling row holds the median and central 95 % interval of 4,000 exact draws of
    :func:`hbviz.beta_binomial.sample_posterior`; no and complete pooling are the Beta posteriors
    under a uniform prior.
    """
    groups, n, rate, tau, population = _checked(truth, tau)
    rng = np.random.default_rng(_validate.seed(seed))
    if tau == 0.0:
        theta = np.full(groups, rate)
    elif population == "beta":
        theta = rng.beta(*beta_population(rate, tau), size=groups)
    else:
        theta = special.expit(special.logit(rate) + tau * rng.standard_normal(groups))
    y = rng.binomial(n.astype(np.int64), theta).astype(np.float64)
    _validate.counts(y, n)
    post = beta_binomial.sample_posterior(y, n, seed=seed)
    a_no, b_no = 1.0 + y, 1.0 + n - y
    a_all, b_all = 1.0 + y.sum(), 1.0 + (n - y).sum()
    ones = np.ones(groups)
    interval = [_TAIL, 1.0 - _TAIL]
    no = (a_no / (a_no + b_no), *stats.beta.ppf(np.array(interval)[:, None], a_no, b_no))
    complete_low, complete_high = stats.beta.ppf(interval, a_all, b_all)
    pooled = a_all / (a_all + b_all)
    complete = (pooled * ones, complete_low * ones, complete_high * ones)
    names = [str(j + 1) for j in range(groups)]
    table = pooling.pooling_table(
        names, no=no, complete=complete, theta_draws=post.theta, interval=COVERAGE
    )
    table["truth"] = np.tile(theta, 3)
    return ExampleDataSet(theta, y, n, table, float(pooled))
