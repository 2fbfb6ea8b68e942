"""Exact posterior of the beta–binomial hierarchy (BDA3 §5.1–5.3), and empirical Bayes beside it.

The model, for experiments j = 1…J::

    y_j ~ Bin(n_j, θ_j),    θ_j ~ Beta(α, β),    p(α, β) ∝ (α + β)^(-5/2).

``sample_posterior`` draws (α, β) from p(α, β | y) evaluated on a grid in
u = log(α/β) and v = log(α+β) (BDA3 eq. 5.8–5.10, with the Jacobian αβ), then
θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j). The grid starts wide (``WIDE_LOGIT_MEAN`` ×
``WIDE_LOG_SIZE``), zooms twice onto the box where the log density is within
``LOG_DENSITY_DROP`` of its maximum, trims sides that hold less than 1e-7 of the mass, and lays
the final 128 × 128 grid there (smaller when thousands of distinct large counts make each point
dear), so that, unlike BDA3's first grid, it covers the mass wherever it sits. Posteriors that are improper under this hyperprior (all y_j = 0, all y_j = n_j, all
n_j = 1) are truncated by the widest grid, and ``edge_mass`` says so. ``moment_estimate`` is the
empirical-Bayes prior of BDA3 §5.1 and ``conjugate_posterior`` the Beta posterior under any
fixed Beta prior.

Everything is computed in log space: Σ_j log B(α + y_j, β + n_j − y_j) − log B(α, β) is a sum of
log rising factorials, evaluated as Σ_k c_k log(x + k) for small counts and by a cancellation-free
Stirling difference for large ones, so counts of 0, n_j = 1 and n_j = 10^6 all stay finite.
The grid and the (α, β) draws are jitted once, at module level; new data reuse the compiled
programs for counts of a similar range. The θ_j draws, J × draws Beta variates and nearly all of a
large call's time, are NumPy's ``Generator.beta``, run in chunks of groups on threads.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import pandas as pd

from hbviz import _validate

__all__ = [
    "EDGE_MASS_WARNING",
    "LOG_DENSITY_DROP",
    "WIDE_LOGIT_MEAN",
    "WIDE_LOG_SIZE",
    "BetaBinomialPosterior",
    "beta_mean_sd",
    "conjugate_posterior",
    "hyperparameter_summary",
    "log_posterior",
    "moment_estimate",
    "posterior_is_proper",
    "posterior_predictive",
    "sample_conjugate",
    "sample_posterior",
    "theta_given_hyperparameters",
]

WIDE_LOGIT_MEAN = (-20.0, 20.0)
"""Range of u = log(α/β) searched by the first, widest grid."""
WIDE_LOG_SIZE = (-8.0, 25.0)
"""Range of v = log(α+β) searched by the first, widest grid."""
LOG_DENSITY_DROP = 25.0
"""Each zoom keeps the box where the log density is within this of its maximum (e^-25 ≈ 1e-11)."""
EDGE_MASS_WARNING = 1e-3
"""``edge_mass`` above this means the posterior leaks out of the widest grid (see ``truncated``)."""

# Points per axis of the coarse grids (wide, then two zooms) and of the final grid, finest first.
# Many groups with many distinct large counts make each point dear (a Stirling difference per
# count); the grid then shrinks so that the work stays near _GRID_WORK log()s. Such posteriors
# are narrow and the zooms still resolve them.
_GRID_SIZES = ((48, 128), (40, 96), (32, 64), (24, 48))
_GRID_WORK = 5e7
_STIRLING_COST = 2  # a Stirling difference costs about two log()s
_COARSE_STAGES = 3
_POINT_BLOCK = 512  # grid points per block of the likelihood sums
_TAIL_MASS = 1e-7  # mass the final grid may leave out beyond each side
# a final-grid edge row or column holding this much means a zoom missed part of a narrow ridge
_HOT_EDGE_MASS = 1e-4
_MAX_EDGE_EXPANSIONS = 4


class BetaBinomialPosterior(NamedTuple):
    """Draws from p(α, β, θ | y) and the final grid of p(u, v | y), u = log(α/β), v = log(α+β).

    Attributes
    ----------
    alpha, beta : arrays, shape (draws,)
        Draws of the population parameters.
    theta : array, shape (draws, J)
        Draws of each experiment's probability θ_j.
    logit_mean : array, shape (Gu,)
        Centres of the final grid's cells in u = log(α/β), evenly spaced.
    log_size : array, shape (Gv,)
        Centres of the final grid's cells in v = log(α+β), evenly spaced.
    density : array, shape (Gv, Gu)
        Posterior density p(u, v | y) at those centres (rows are v, columns u), normalised so
        that ``density.sum() * du * dv == 1`` with du, dv the cell widths: a density, not a mass
        per cell, so contours keep their meaning when the grid changes.
    edge_mass : float
        Posterior mass in the outermost cells of the widest grid (u in ``WIDE_LOGIT_MEAN``,
        v in ``WIDE_LOG_SIZE``). Near 0 for a proper posterior; large when the posterior is
        improper and was truncated there, e.g. all y_j = 0 (mass piles up as α + β → 0).
    """

    alpha: np.ndarray
    beta: np.ndarray
    theta: np.ndarray
    logit_mean: np.ndarray
    log_size: np.ndarray
    density: np.ndarray
    edge_mass: float

    @property
    def truncated(self) -> bool:
        """True when more than ``EDGE_MASS_WARNING`` of the mass sat on the widest grid's edge."""
        return bool(self.edge_mass > EDGE_MASS_WARNING)

    @property
    def grid_mode(self) -> tuple[float, float]:
        """(u, v) of the final grid's highest cell: the posterior mode to within a cell."""
        iv, iu = np.unravel_index(np.argmax(self.density), self.density.shape)
        return float(self.logit_mean[iu]), float(self.log_size[iv])

    @property
    def draws_logit_mean(self) -> np.ndarray:
        """Draws of u = log(α/β), shape (draws,), for plotting over the grid's contours."""
        return np.log(self.alpha) - np.log(self.beta)

    @property
    def draws_log_size(self) -> np.ndarray:
        """Draws of v = log(α+β), shape (draws,)."""
        return np.log(self.alpha + self.beta)


# --------------------------------------------------------------------------------------------
# The likelihood in log space
#
# log B(α + y, β + n − y) − log B(α, β) is a sum of three log rising factorials
# log Γ(x + m) − log Γ(x), for (x, m) = (α, y), (β, n − y) and (α + β, n), the last with a minus
# sign. As differences of log Γ they lose ~1e-4 each to cancellation at the top of the grid
# (x ≈ e^25), and log Γ costs about ten log()s on the CPU, so each is split at a cutoff K:
#
#     log Γ(x + m) − log Γ(x) = Σ_{k < min(m, K)} log(x + k) + [log Γ(x + m) − log Γ(x + K)]⁺,
#
# summed over groups as Σ_k c_k log(x + k) with c_k = #{j : m_j > k}, plus, for the distinct
# counts above K, a Stirling-series difference, accurate to ~1e-13 since its arguments exceed
# K ≥ 64, that never subtracts two large numbers.


def _bucket(size: int, minimum: int = 8) -> int:
    """Smallest of 4·2^k, 5·2^k, 6·2^k, 7·2^k that holds ``size``: few compiled shapes, ≤25% waste."""
    size = max(int(size), minimum)
    octave = 1 << max(size.bit_length() - 3, 0)
    return -(-size // octave) * octave


def _count_tables(y: np.ndarray, n: np.ndarray) -> tuple[np.ndarray, ...]:
    """Summarise the counts for the likelihood's three log rising factorials.

    Row t = 0, 1, 2 stands for (x, m) = (α, y_j), (β, n_j − y_j), (α + β, n_j), with signs
    +, +, −. Below a cutoff K the sums are Σ_k c_tk log(x_t + k), c_tk = #{j : m_tj > k}, kept
    as one flat list of entries (row, k, ±c_tk) for the nonzero c_tk only. The distinct counts
    above K, with ±(number of groups) as weights, fill a (3, W) table, one row per t. Both are
    padded with zero weights to a few sizes (few compiled shapes), and K is chosen to minimise
    the work per grid point: a log() per entry of the list, about two per cell of the table.

    Returns ``small_row``, ``small_k``, ``small_weight`` (L,), ``big_count``, ``big_weight``
    (3, W) and ``cutoff`` (K, as a 0-d array).
    """
    rows = [np.asarray(m, dtype=np.int64) for m in (y, n - y, n)]
    signs = (1.0, 1.0, -1.0)
    distinct = [np.unique(r, return_counts=True) for r in rows]

    def sizes(cutoff: int) -> tuple[int, int]:
        small = sum(min(cutoff, int(r.max())) for r in rows)
        big = max(int(np.sum(values > cutoff)) for values, _ in distinct)
        # small data sets (the lecture's, most uploads) all share one compiled shape
        return _bucket(small, 128), 0 if big == 0 else _bucket(big, 8)

    def work(cutoff: int) -> tuple[int, int]:
        small, big = sizes(cutoff)
        return small + _STIRLING_COST * 3 * big, cutoff

    cutoff = min((1 << p for p in range(6, 13)), key=work)
    small_size, big_size = sizes(cutoff)
    small = np.zeros((3, small_size))  # row, k, weight
    big_count = np.full((3, big_size), float(cutoff))  # padding: log Γ(x+K) − log Γ(x+K) = 0
    big_weight = np.zeros((3, big_size))
    at = 0
    for t, (r, (values, counts)) in enumerate(zip(rows, distinct, strict=True)):
        top = min(cutoff, int(r.max()))
        exceed = len(r) - np.cumsum(np.bincount(np.minimum(r, cutoff), minlength=cutoff + 1))
        small[:, at : at + top] = [np.full(top, t), np.arange(top), signs[t] * exceed[:top]]
        at += top
        above = values > cutoff
        big_count[t, : np.sum(above)] = values[above]
        big_weight[t, : np.sum(above)] = signs[t] * counts[above]
    return (
        small[0].astype(np.int32),
        small[1],
        small[2],
        big_count,
        big_weight,
        np.asarray(float(cutoff)),
    )


def _grid_sizes(tables) -> tuple[int, int]:
    """The finest grid whose likelihood evaluations stay within _GRID_WORK log()s."""
    per_point = tables[0].size + _STIRLING_COST * tables[3].size
    for coarse, final in _GRID_SIZES:
        if (_COARSE_STAGES * coarse**2 + final**2) * per_point <= _GRID_WORK:
            return coarse, final
    return _GRID_SIZES[-1]


def _stirling_tail(z):
    # log Γ(z) − [(z − ½) log z − z + ½ log 2π], asymptotic series; error < 1e-13 for z ≥ 64
    r = 1.0 / z
    r2 = r * r
    return r * (1.0 / 12.0 - r2 * (1.0 / 360.0 - r2 / 1260.0))


def _log_likelihood_block(x, small_row, small_k, small_weight, big_count, big_weight, cutoff):
    small = jnp.sum(small_weight[:, None] * jnp.log(x[small_row] + small_k[:, None]), axis=0)
    # log Γ(z + d) − log Γ(z) = (z + d − ½) log1p(d/z) + d (log z − 1) + S(z + d) − S(z),
    # with z = x + K ≥ 64: no two large numbers are subtracted, one log per count
    z = x + cutoff
    d = (big_count - cutoff)[:, :, None]
    diff = (
        (z[:, None, :] + d - 0.5) * jnp.log1p(d * (1.0 / z)[:, None, :])
        + d * (jnp.log(z) - 1.0)[:, None, :]
        + _stirling_tail(z[:, None, :] + d)
    )
    big = jnp.sum(big_weight[:, :, None] * diff, axis=(0, 1))
    return small + big - jnp.sum(big_weight, axis=1) @ _stirling_tail(z)


def _log_likelihood(x, tables):
    """Σ_j log B(α + y_j, β + n_j − y_j) − log B(α, β), for x = (α, β, α + β) of shape (3, P)."""
    # in blocks of points, so that the (entries, points) terms stay in cache
    points = x.shape[1]
    block = min(_POINT_BLOCK, points)
    blocks = -(-points // block)
    x = jnp.pad(x, ((0, 0), (0, blocks * block - points)), constant_values=1.0)
    x = x.reshape(3, blocks, block).transpose(1, 0, 2)
    out = jax.lax.map(lambda xb: _log_likelihood_block(xb, *tables), x)
    return out.reshape(blocks * block)[:points]


def _log_density(u, v, tables):
    """log p(u, v | y) up to a constant, for flat arrays u, v of shape (P,)."""
    log_p_a = jax.nn.log_sigmoid(u)  # log(α/(α+β))
    log_p_b = jax.nn.log_sigmoid(-u)
    x = jnp.exp(jnp.stack([v + log_p_a, v + log_p_b, v]))  # α, β, α + β
    # hyperprior (α+β)^(-5/2) times the Jacobian αβ = e^{2v} p_a p_b
    return -0.5 * v + log_p_a + log_p_b + _log_likelihood(x, tables)


# --------------------------------------------------------------------------------------------
# The adaptive grid


# the bounds each side of a box (u_lo, u_hi, v_lo, v_hi) is clipped to, as indices into the box
_LOWER = np.array([0, 0, 2, 2])
_UPPER = np.array([1, 1, 3, 3])


def _grid(box, size):
    """Cell centres of a size × size grid over box = (u_lo, u_hi, v_lo, v_hi)."""
    t = (jnp.arange(size) + 0.5) / size
    return box[0] + t * (box[1] - box[0]), box[2] + t * (box[3] - box[2])


def _evaluate(box, size, tables):
    u, v = _grid(box, size)
    uu, vv = jnp.meshgrid(u, v)
    return u, v, _log_density(uu.ravel(), vv.ravel(), tables).reshape(size, size)


def _first_last(mask):
    idx = jnp.arange(mask.shape[0])
    return jnp.min(jnp.where(mask, idx, mask.shape[0])), jnp.max(jnp.where(mask, idx, -1))


def _box_around(box, size, keep_u, keep_v, wide):
    """The box spanning the kept columns and rows, grown by one cell each side, inside wide."""
    iu_lo, iu_hi = _first_last(keep_u)
    iv_lo, iv_hi = _first_last(keep_v)
    du = (box[1] - box[0]) / size
    dv = (box[3] - box[2]) / size
    new = jnp.stack(
        [
            box[0] + (iu_lo - 1) * du,
            box[0] + (iu_hi + 2) * du,
            box[2] + (iv_lo - 1) * dv,
            box[2] + (iv_hi + 2) * dv,
        ]
    )
    return jnp.clip(new, wide[_LOWER], wide[_UPPER])


def _zoom(box, size, log_p, wide):
    """The box where the log density is within LOG_DENSITY_DROP of its maximum."""
    keep = log_p >= jnp.max(log_p) - LOG_DENSITY_DROP
    return _box_around(box, size, jnp.any(keep, axis=0), jnp.any(keep, axis=1), wide)


def _marginal_masses(log_p):
    mass = jax.nn.softmax(log_p.ravel()).reshape(log_p.shape)
    return jnp.sum(mass, axis=0), jnp.sum(mass, axis=1)


def _trim(box, size, log_p, wide):
    """The box left after cutting, from each side, rows or columns holding ≤ _TAIL_MASS in all."""
    mass_u, mass_v = _marginal_masses(log_p)

    def kept(m):
        return (jnp.cumsum(m) > _TAIL_MASS) & (jnp.cumsum(m[::-1])[::-1] > _TAIL_MASS)

    return _box_around(box, size, kept(mass_u), kept(mass_v), wide)


def _hot_edges(box, log_p, wide):
    """Which sides (u_lo, u_hi, v_lo, v_hi) of the final grid cut off mass and could move out."""
    mass_u, mass_v = _marginal_masses(log_p)
    edge = jnp.stack([mass_u[0], mass_u[-1], mass_v[0], mass_v[-1]])
    inside = jnp.array([box[0] > wide[0], box[1] < wide[1], box[2] > wide[2], box[3] < wide[3]])
    return (edge > _HOT_EDGE_MASS) & inside


def _posterior_grid(tables, *, sizes):
    """The final grid of log p(u, v | y): (box, u (Gu,), v (Gv,), log mass per cell, edge_mass)."""
    wide = jnp.array([*WIDE_LOGIT_MEAN, *WIDE_LOG_SIZE])
    coarse_size, final_size = sizes

    # Coarse stages share one compiled body: the wide grid (whose border mass is reported),
    # a zoom onto the box within LOG_DENSITY_DROP of the maximum, and a zoom that trims by mass:
    # the density rule alone would spend most of the final grid on this hyperprior's e^(-v/2)
    # tail in v (for the rat data, v up to 22 for 1e-8 of the mass).
    def coarse(stage, carry):
        box, edge_mass = carry
        _, _, log_p = _evaluate(box, coarse_size, tables)
        mass = jax.nn.softmax(log_p.ravel()).reshape(log_p.shape)
        border = jnp.sum(mass) - jnp.sum(mass[1:-1, 1:-1])
        edge_mass = jnp.where(stage == 0, border, edge_mass)
        last = stage == _COARSE_STAGES - 1
        box = jnp.where(
            last, _trim(box, coarse_size, log_p, wide), _zoom(box, coarse_size, log_p, wide)
        )
        return box, edge_mass

    box, edge_mass = jax.lax.fori_loop(0, _COARSE_STAGES, coarse, (wide, jnp.zeros(())))

    # The final grid, widened on any side that still cuts off mass (a zoom can miss part of a
    # narrow ridge lying between the coarse points); the first pass always runs.
    def unfinished(state):
        box, log_p, passes = state
        hot = jnp.any(_hot_edges(box, log_p, wide))
        return (passes == 0) | (hot & (passes <= _MAX_EDGE_EXPANSIONS))

    def evaluate_final(state):
        box, log_p, passes = state
        hot = _hot_edges(box, log_p, wide) & (passes > 0)
        width = jnp.repeat(jnp.stack([box[1] - box[0], box[3] - box[2]]), 2)
        step = jnp.where(hot, width, 0.0) * jnp.array([-1.0, 1.0, -1.0, 1.0])
        box = jnp.clip(box + step, wide[_LOWER], wide[_UPPER])
        _, _, log_p = _evaluate(box, final_size, tables)
        return box, log_p, passes + 1

    start = (box, jnp.zeros((final_size, final_size)), 0)
    box, log_p, _ = jax.lax.while_loop(unfinished, evaluate_final, start)
    u, v = _grid(box, final_size)
    return box, u, v, log_p - jax.scipy.special.logsumexp(log_p), edge_mass


def _hyper_draws(key, box, log_mass, *, draws):
    """Draws of (α, β): a cell by its mass, then a uniform point within it (BDA3 §5.3)."""
    rows, cols = log_mass.shape
    u, v = _grid(box, cols)
    du = (box[1] - box[0]) / cols
    dv = (box[3] - box[2]) / rows
    key_cell, key_jitter = jax.random.split(key)
    cdf = jnp.cumsum(jnp.exp(log_mass).ravel())
    cell = jnp.searchsorted(cdf, jax.random.uniform(key_cell, (draws,)) * cdf[-1], side="right")
    iv, iu = jnp.divmod(jnp.minimum(cell, cdf.size - 1), cols)
    # jittered so that draws do not sit on the grid's lines
    jitter = jax.random.uniform(key_jitter, (2, draws), minval=-0.5, maxval=0.5)
    draw_u = u[iu] + jitter[0] * du
    draw_v = v[iv] + jitter[1] * dv
    alpha = jnp.exp(draw_v + jax.nn.log_sigmoid(draw_u))
    beta = jnp.exp(draw_v + jax.nn.log_sigmoid(-draw_u))
    return alpha, beta


_posterior_grid_jit = jax.jit(_posterior_grid, static_argnames=("sizes",))
_hyper_draws_jit = jax.jit(_hyper_draws, static_argnames=("draws",))
_log_density_jit = jax.jit(_log_density)


# --------------------------------------------------------------------------------------------
# Beta draws
#
# NumPy's Generator.beta, seeded by the JAX key of the step. Measured inside this sampler's real
# use (bench/beta_sampler.py: the rats' 71 groups × 4000 draws, 100,000 groups × 1000 draws, the
# same (α, β) draws, interleaved in one process) it took half the time of the compiled Cheng
# (1978) BB sampler with its own counter-based RNG that this module used to carry (190 lines),
# and 1/40 to 1/100 of jax.random.beta's, a while-loop of gamma draws per element on the CPU.
#
# θ is J × draws Beta variates (10^8 for 100,000 groups × 1000 draws, 99% of the call's time), so
# they are drawn in chunks of _CHUNK_GROUPS groups, each chunk from a generator of its own, on
# threads (Generator.beta releases the GIL), and in blocks of _BLOCK_SIZE, so that the shapes
# α_s + y_j and β_s + n_j − y_j are formed in cache instead of as two J × draws arrays. A chunk's
# generator depends on the seed and the chunk's index only, so the draws do not depend on the
# number of threads. The bit generator is SFC64: Generator.beta on it took 11–13% less CPU time
# than on NumPy's default PCG64 (37 vs 41 ns a variate, 40 vs 46 under load); both pass
# PractRand and TestU01's BigCrush (NumPy's documentation of its bit generators).

_CHUNK_GROUPS = 1024
_BLOCK_SIZE = 1 << 16
_WORKERS = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
_POOL = ThreadPoolExecutor(max_workers=_WORKERS or 1, thread_name_prefix="hbviz-beta")


def _rng(key, chunk: int = 0) -> np.random.Generator:
    """A NumPy generator seeded by a JAX key's words and a chunk's index: a function of the seed."""
    seed = np.random.SeedSequence(
        np.asarray(jax.random.key_data(key)).ravel().tolist(), spawn_key=(chunk,)
    )
    return np.random.Generator(np.random.SFC64(seed))


def _beta_draws(key, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """θ ~ Beta(a, b) elementwise for NumPy arrays a, b of one shape."""
    return _rng(key).beta(a, b)


def _beta_rows(rng, a_group, a_draw, b_group, b_draw, out) -> None:
    """out[j, s] ~ Beta(a_group[j] + a_draw[s], b_group[j] + b_draw[s]), row blocks in order."""
    rows = max(1, _BLOCK_SIZE // out.shape[1])
    for lo in range(0, out.shape[0], rows):
        group = slice(lo, lo + rows)
        out[group] = rng.beta(a_group[group, None] + a_draw, b_group[group, None] + b_draw)


def _theta_given_hyper(key, alpha, beta, successes, failures) -> np.ndarray:
    """θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j) for draws of (α, β); shape (draws, J)."""
    groups = len(successes)
    # group by group, so each group's draws are contiguous in a Fortran-ordered result
    theta = np.empty((groups, len(alpha)))

    def chunk(index: int) -> None:
        part = slice(index * _CHUNK_GROUPS, (index + 1) * _CHUNK_GROUPS)
        rng = _rng(key, index)
        _beta_rows(rng, successes[part], alpha, failures[part], beta, theta[part])

    chunks = range(-(-groups // _CHUNK_GROUPS))
    if len(chunks) == 1:
        chunk(0)
    else:
        list(_POOL.map(chunk, chunks))  # list(): re-raises a chunk's exception here
    return theta.T


def _binomial(key, trials, theta):
    return jax.random.binomial(key, trials, theta)


_binomial_jit = jax.jit(_binomial)


# --------------------------------------------------------------------------------------------
# Public API


def sample_posterior(y, n, *, draws: int = 4000, seed: int = 0) -> BetaBinomialPosterior:
    """Exact draws from the beta–binomial hierarchy with p(α, β) ∝ (α+β)^(-5/2) (BDA3 §5.3).

    Parameters
    ----------
    y : array_like, shape (J,)
        Successes in each experiment (whole numbers, 0 ≤ y_j ≤ n_j).
    n : array_like, shape (J,)
        Trials in each experiment (whole numbers ≥ 1).
    draws : int
        Number of joint draws of (α, β, θ).
    seed : int
        Seed of the random draws; the same data and seed give the same draws.

    Returns
    -------
    BetaBinomialPosterior
        ``alpha``, ``beta`` (draws,), ``theta`` (draws, J), the final grid ``logit_mean`` (Gu,),
        ``log_size`` (Gv,) and ``density`` (Gv, Gu), and ``edge_mass``.

    Raises
    ------
    ValueError
        If the counts are not whole numbers with 0 ≤ y_j ≤ n_j, n_j ≥ 1, or are empty; or if
        ``draws`` or ``seed`` is not a whole number (≥ 1 and ≥ 0).
    """
    y, n = _validate.counts(y, n)
    draws = _validate.draw_count(draws)
    key_hyper, key_theta = jax.random.split(jax.random.key(_validate.seed(seed)))
    tables = _count_tables(y, n)
    box, u, v, log_mass, edge_mass = _posterior_grid_jit(tables, sizes=_grid_sizes(tables))
    alpha, beta = _hyper_draws_jit(key_hyper, box, log_mass, draws=draws)
    u_lo, u_hi, v_lo, v_hi = np.asarray(box)
    cell_area = (u_hi - u_lo) / len(u) * (v_hi - v_lo) / len(v)
    alpha, beta = np.array(alpha), np.array(beta)
    theta = _theta_given_hyper(key_theta, alpha, beta, y, n - y)
    return BetaBinomialPosterior(
        alpha=alpha,
        beta=beta,
        theta=theta,
        logit_mean=np.array(u),
        log_size=np.array(v),
        density=np.exp(np.asarray(log_mass)) / cell_area,
        edge_mass=float(edge_mass),
    )


def theta_given_hyperparameters(alpha, beta, y, n, *, seed: int = 0) -> np.ndarray:
    """θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j), one draw of every θ_j per draw of (α, β).

    The last step of :func:`sample_posterior`, for draws of (α, β) from elsewhere (NUTS in
    :func:`hbviz.nuts.fit_binomial_hierarchy`). The random stream differs from the one the
    hyperparameters of ``sample_posterior(..., seed=seed)`` use.

    Parameters
    ----------
    alpha, beta : arrays, shape (draws,)
        Draws of the population parameters, > 0.
    y, n : array_like, shape (J,)
        Successes and trials.
    seed : int
        Seed of the random draws.

    Returns
    -------
    array, shape (draws, J)
    """
    y, n = _validate.counts(y, n)
    alpha = np.asarray(alpha, dtype=np.float64).ravel()
    beta = np.asarray(beta, dtype=np.float64).ravel()
    for arr, name in ((alpha, "alpha"), (beta, "beta")):
        bad = np.flatnonzero(~(np.isfinite(arr) & (arr > 0)))
        if bad.size:
            raise ValueError(f"{name}[{bad[0]}] is {arr[bad[0]]:g}; it must be finite and > 0")
    if alpha.shape != beta.shape:
        raise ValueError(f"alpha and beta must have one shape; got {alpha.shape}, {beta.shape}")
    _, key_theta = jax.random.split(jax.random.key(_validate.seed(seed)))
    return _theta_given_hyper(key_theta, alpha, beta, y, n - y)


def posterior_is_proper(y, n) -> bool:
    """Whether p(α, β | y) under p(α, β) ∝ (α+β)^(-5/2) is a proper distribution.

    It is exactly when some experiment has 0 < y_j < n_j. As α + β → 0 the Beta(α, β) puts its
    mass at 0 and 1; each such experiment's likelihood then falls like α + β, which beats the
    prior's (α+β)^(-1/2) on the (u, v) scale; experiments with y_j = 0 or y_j = n_j keep a
    likelihood near a constant there, so without one of the former the mass piles up at
    v = log(α+β) → −∞. The other directions are bounded for any data: the prior's e^{-v/2} as
    α + β → ∞ and the Jacobian α/(α+β) · β/(α+β) as α/β → 0 or ∞.
    """
    y, n = _validate.counts(y, n)
    return bool(np.any((y > 0) & (y < n)))


def hyperparameter_summary(post: BetaBinomialPosterior) -> pd.DataFrame:
    """Finite summaries of the population parameters: medians and quantiles, E(α/(α+β) | y).

    E(α | y), E(β | y) and E(α + β | y) do not exist under p(α, β) ∝ (α+β)^(-5/2): the
    marginal posterior of s = α + β falls off like s^(-3/2) (the prior's s^(-5/2) times the
    Jacobian s of (α, β) → (α/(α+β), s), while the likelihood tends to a constant), so the mean of
    α computed on a grid or from draws grows with the grid's edge or the number of draws (the
    draws' mean for the baseball data reached 1.3 million). Medians, quantiles and the moments of
    the population mean α/(α+β) and of log(α+β) are finite.

    Parameters
    ----------
    post : BetaBinomialPosterior

    Returns
    -------
    DataFrame indexed by ``alpha``, ``beta``, ``population_mean`` (α/(α+β)), ``log_size``
    (log(α+β)), with columns ``median``, ``5%``, ``95%``, ``mean`` (NaN for α and β: infinite)
    and ``sd`` (likewise). ``mean`` of ``population_mean`` is E(α/(α+β) | y), summed over the
    grid (no Monte Carlo error); the rest come from the draws.
    """
    u = np.asarray(post.logit_mean)[None, :]
    weight = np.asarray(post.density, dtype=np.float64)
    weight = weight / weight.sum()
    rate = 1.0 / (1.0 + np.exp(-u))
    grid_mean = float(np.sum(weight * rate))
    grid_sd = float(np.sqrt(max(np.sum(weight * rate**2) - grid_mean**2, 0.0)))
    draws = {
        "alpha": post.alpha,
        "beta": post.beta,
        "population_mean": post.alpha / (post.alpha + post.beta),
        "log_size": post.draws_log_size,
    }
    rows = {}
    for name, x in draws.items():
        median, low, high = np.quantile(x, [0.5, 0.05, 0.95])
        finite = name in ("population_mean", "log_size")
        mean, sd = (float(np.mean(x)), float(np.std(x, ddof=1))) if finite else (np.nan, np.nan)
        if name == "population_mean":
            mean, sd = grid_mean, grid_sd
        rows[name] = {"median": median, "5%": low, "95%": high, "mean": mean, "sd": sd}
    return pd.DataFrame.from_dict(rows, orient="index")


def log_posterior(u, v, y, n) -> np.ndarray:
    """Log posterior density of u = log(α/β), v = log(α+β) (BDA3 eq. 5.8–5.10), unnormalised.

    Returns, with α = e^v/(1 + e^-u) and β = e^v/(1 + e^u),

        log α + log β − (5/2) log(α+β) + Σ_j [log B(α + y_j, β + n_j − y_j) − log B(α, β)],

    i.e. the hyperprior, the Jacobian αβ and the likelihood with the binomial coefficients left
    out. This is exactly the function the grid of ``sample_posterior`` is laid on.

    Parameters
    ----------
    u, v : array_like
        Points at which to evaluate; broadcast against each other.
    y, n : array_like, shape (J,)
        Successes and trials, as in ``sample_posterior``.

    Returns
    -------
    array with the broadcast shape of ``u`` and ``v``.
    """
    y, n = _validate.counts(y, n)
    try:
        uu, vv = np.broadcast_arrays(
            np.asarray(u, dtype=np.float64), np.asarray(v, dtype=np.float64)
        )
    except ValueError as err:
        raise ValueError(
            f"u and v must broadcast together; got shapes {np.shape(u)}, {np.shape(v)}"
        ) from err
    if not (np.isfinite(uu).all() and np.isfinite(vv).all()):
        raise ValueError("u and v must be finite")
    size = _bucket(uu.size, minimum=64)
    flat_u = np.zeros(size)
    flat_v = np.zeros(size)
    flat_u[: uu.size] = uu.ravel()
    flat_v[: vv.size] = vv.ravel()
    values = _log_density_jit(flat_u, flat_v, _count_tables(y, n))
    return np.asarray(values)[: uu.size].reshape(uu.shape)


def moment_estimate(y, n) -> tuple[float, float]:
    """Empirical-Bayes (α, β): the Beta whose mean and sd match those of the raw rates y_j/n_j.

    As in BDA3 §5.1: with m the mean and s the standard deviation (``ddof=1``, the sample
    standard deviation, which is what reproduces BDA3's (1.4, 8.6) for the rat tumors) of the rates,
    α + β = m(1 − m)/s² − 1, α = m(α + β), β = (1 − m)(α + β).

    Parameters
    ----------
    y, n : array_like, shape (J,)
        Successes and trials; J ≥ 2.

    Returns
    -------
    (alpha, beta) : tuple of float

    Raises
    ------
    ValueError
        If there are fewer than two experiments, or no Beta distribution has that mean and sd:
        the rates are all equal (s = 0), all 0 or all 1, or spread more widely than any Beta
        with that mean allows (s² ≥ m(1 − m)).
    """
    y, n = _validate.counts(y, n)
    if len(y) < 2:
        raise ValueError(f"the moment estimate needs at least 2 experiments; got {len(y)}")
    rates = y / n
    mean = float(np.mean(rates))
    var = float(np.var(rates, ddof=1))
    if mean in (0.0, 1.0):
        raise ValueError(f"every raw rate is {mean:g}; no Beta distribution has mean {mean:g}")
    # rates such as 1/10, 2/20, 3/30 differ by rounding alone
    if var <= 1e-12 * mean * (1.0 - mean):
        raise ValueError(
            f"every raw rate equals {mean:g}; no Beta distribution has sd 0 (α + β would be ∞)"
        )
    size = mean * (1.0 - mean) / var - 1.0
    if size <= 0.0:
        raise ValueError(
            f"the raw rates (mean {mean:.3g}, sd {np.sqrt(var):.3g}) are more spread out than any "
            "Beta distribution with that mean allows"
        )
    return mean * size, (1.0 - mean) * size


def conjugate_posterior(alpha, beta, y, n) -> tuple[np.ndarray, np.ndarray]:
    """Parameters of θ_j | y ~ Beta(α + y_j, β + n_j − y_j) under a fixed Beta(α, β) prior.

    Used for empirical Bayes (α, β from ``moment_estimate``) and for independent priors:
    Beta(1, 1) and 25 of 46 free throws give Beta(26, 22).

    Parameters
    ----------
    alpha, beta : float
        The prior's parameters, > 0.
    y, n : array_like, shape (J,)
        Successes and trials.

    Returns
    -------
    (a, b) : arrays, shape (J,)
    """
    a = _validate.positive_scalar(alpha, "alpha")
    b = _validate.positive_scalar(beta, "beta")
    y, n = _validate.counts(y, n)
    return a + y, b + n - y


def sample_conjugate(alpha, beta, y, n, *, draws: int = 4000, seed: int = 0) -> np.ndarray:
    """Draws of θ_j ~ Beta(α + y_j, β + n_j − y_j), independently for each j, for fixed α, β.

    The posterior under a fixed prior: empirical Bayes with (α, β) from ``moment_estimate``, or
    independent Beta(1, 1) priors (no pooling). Uses the same sampler as ``sample_posterior``.

    Parameters
    ----------
    alpha, beta, y, n
        As in :func:`conjugate_posterior`.
    draws : int
        Number of draws.
    seed : int
        Seed of the random draws.

    Returns
    -------
    array, shape (draws, J)
    """
    a, b = conjugate_posterior(alpha, beta, y, n)
    draws = _validate.draw_count(draws)
    key = jax.random.key(_validate.seed(seed))
    return _theta_given_hyper(key, np.zeros(draws), np.zeros(draws), a, b)


def beta_mean_sd(a, b) -> tuple[np.ndarray, np.ndarray]:
    """Mean a/(a+b) and sd √(ab/((a+b)²(a+b+1))) of Beta(a, b).

    Parameters
    ----------
    a, b : float or array_like
        Positive parameters; broadcast against each other.

    Returns
    -------
    (mean, sd) : floats, or arrays of the broadcast shape
    """
    a_arr = np.asarray(a, dtype=np.float64)
    b_arr = np.asarray(b, dtype=np.float64)
    for arr, name in ((a_arr, "a"), (b_arr, "b")):
        if not (np.isfinite(arr).all() and (arr > 0).all()):
            raise ValueError(f"{name} must be finite and greater than 0; got {arr!r}")
    total = a_arr + b_arr
    mean = a_arr / total
    sd = np.sqrt(mean * (b_arr / total) / (total + 1.0))
    return mean[()], sd[()]


def posterior_predictive(
    bb: BetaBinomialPosterior, n_new: int, seed: int = 0, *, group: int | None = None
) -> np.ndarray:
    """Draws of the successes ỹ in a new experiment of ``n_new`` trials.

    With ``group=None`` the experiment is a new group from the population, θ̃ ~ Beta(α, β) for
    each posterior draw of (α, β) (e.g. the next historical control); with ``group=j`` it is a
    replication of experiment j, θ̃ = θ_j. Then ỹ ~ Bin(n_new, θ̃).

    Parameters
    ----------
    bb : BetaBinomialPosterior
        Output of ``sample_posterior``.
    n_new : int
        Trials in the new experiment, ≥ 1.
    seed : int
        Seed of the random draws.
    group : int, optional
        Index j of an existing experiment, 0 ≤ j < J.

    Returns
    -------
    array of int, shape (draws,)
    """
    trials = _validate.draw_count(n_new, "n_new")
    key_theta, key_y = jax.random.split(jax.random.key(_validate.seed(seed)))
    if group is None:
        theta = _beta_draws(key_theta, bb.alpha, bb.beta)
    else:
        groups = bb.theta.shape[1]
        if isinstance(group, bool) or not isinstance(group, int | np.integer):
            raise ValueError(f"group must be a whole number; got {group!r}")
        if not 0 <= group < groups:
            raise ValueError(f"group must be between 0 and {groups - 1}; got {group}")
        theta = bb.theta[:, group]
    return np.asarray(_binomial_jit(key_y, float(trials), theta)).astype(np.int64)
