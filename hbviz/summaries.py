"""Posterior summaries of group parameters: quantiles, shrinkage, ranks, probabilities.

Array functions take draws of shape (S, J) (S draws of J group parameters) and return arrays;
the ``*_table`` functions label them as tidy pandas DataFrames for pages and downloads.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from hbviz import _validate

QUANTILE_LEVELS = (0.025, 0.25, 0.5, 0.75, 0.975)


def _check_draws(draws) -> np.ndarray:
    arr = np.asarray(draws, dtype=np.float64)
    if arr.ndim != 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
        raise ValueError(f"draws must have shape (draws, groups); got {arr.shape}")
    return arr


def quantile_column(level: float) -> str:
    """Column label of a quantile level: 0.025 → "2.5%", 0.5 → "50%"."""
    return f"{100 * level:g}%"


def posterior_quantiles(
    draws, names: Sequence[str] | None = None, levels: Sequence[float] = QUANTILE_LEVELS
) -> pd.DataFrame:
    """Posterior mean, sd and quantiles of each group (BDA3 Table 5.3 layout).

    Parameters
    ----------
    draws : array, shape (S, J)
    names : sequence of J str, optional
    levels : quantile levels in (0, 1)

    Returns
    -------
    DataFrame indexed by group with columns ``mean``, ``sd`` and one per level ("2.5%", …).
    """
    arr = _check_draws(draws)
    table = pd.DataFrame({"mean": arr.mean(axis=0), "sd": arr.std(axis=0, ddof=1)})
    qs = np.quantile(arr, levels, axis=0)
    for level, q in zip(levels, qs, strict=True):
        table[quantile_column(level)] = q
    table.index = pd.Index(_validate.group_names(names, arr.shape[1]), name="group")
    return table


def shrinkage_table(
    raw,
    draws,
    population_mean: float,
    names: Sequence[str] | None = None,
    interval: float = 0.95,
) -> pd.DataFrame:
    """How far each group's estimate moved from its raw value toward the population mean.

    Parameters
    ----------
    raw : array, shape (J,)
        The no-pooling estimates (y_j, or y_j / n_j).
    draws : array, shape (S, J)
        Posterior draws of θ_j under partial pooling.
    population_mean : float
        The complete-pooling estimate, or E(μ | y).
    interval : float
        Probability of the central posterior interval.

    Returns
    -------
    DataFrame indexed by group: ``raw``, ``posterior_mean``, ``lower``, ``upper`` and
    ``shrinkage`` = (raw − posterior mean) / (raw − population mean): 0 is no pooling, 1 is
    complete pooling (NaN where the raw value equals the population mean).
    """
    arr = _check_draws(draws)
    raw = np.asarray(raw, dtype=np.float64)
    if raw.shape != (arr.shape[1],):
        raise ValueError(f"raw has shape {raw.shape}; expected ({arr.shape[1]},)")
    tail = (1 - interval) / 2
    post_mean = arr.mean(axis=0)
    gap = raw - population_mean
    with np.errstate(invalid="ignore", divide="ignore"):
        fraction = np.where(
            np.abs(gap) > 1e-12 * (1 + abs(population_mean)), (raw - post_mean) / gap, np.nan
        )
    return pd.DataFrame(
        {
            "raw": raw,
            "posterior_mean": post_mean,
            "lower": np.quantile(arr, tail, axis=0),
            "upper": np.quantile(arr, 1 - tail, axis=0),
            "shrinkage": fraction,
        },
        index=pd.Index(_validate.group_names(names, arr.shape[1]), name="group"),
    )


def prob_greater(draws, threshold: float) -> np.ndarray:
    """Pr(θ_j > c | y) for each group, shape (J,)."""
    return (_check_draws(draws) > threshold).mean(axis=0)


def prob_best(draws, *, largest: bool = True) -> np.ndarray:
    """Pr(θ_j is the largest (or smallest) of all groups | y), shape (J,); sums to 1."""
    arr = _check_draws(draws)
    best = np.argmax(arr, axis=1) if largest else np.argmin(arr, axis=1)
    return np.bincount(best, minlength=arr.shape[1]) / arr.shape[0]


def pairwise_greater(draws) -> np.ndarray:
    """Matrix P with P[j, k] = Pr(θ_j > θ_k | y), shape (J, J); zero on the diagonal.

    Computed one row at a time, so memory stays at O(S·J) rather than O(S·J²).
    """
    arr = _check_draws(draws)
    out = np.empty((arr.shape[1], arr.shape[1]))
    for j in range(arr.shape[1]):
        out[j] = (arr[:, [j]] > arr).mean(axis=0)
    return out


def _ranks(arr: np.ndarray, largest_first: bool) -> np.ndarray:
    """Rank of each group within each draw, 0 = first, shape (S, J)."""
    order = np.argsort(-arr if largest_first else arr, axis=1)
    ranks = np.empty_like(order)
    rows = np.arange(arr.shape[0])[:, None]
    ranks[rows, order] = np.arange(arr.shape[1])[None, :]
    return ranks


def rank_probabilities(draws, *, largest_first: bool = True) -> np.ndarray:
    """Matrix R with R[j, r] = Pr(group j has rank r + 1 | y), shape (J, J).

    Rank 1 is the largest θ when ``largest_first`` (the best school), else the smallest.
    """
    arr = _check_draws(draws)
    ranks = _ranks(arr, largest_first)
    n_groups = arr.shape[1]
    counts = np.zeros((n_groups, n_groups))
    for j in range(n_groups):
        counts[j] = np.bincount(ranks[:, j], minlength=n_groups)
    return counts / arr.shape[0]


def ranking_table(
    draws, names: Sequence[str] | None = None, threshold: float | None = None
) -> pd.DataFrame:
    """Per group: Pr(best), expected rank and, when given, Pr(θ_j > threshold).

    Returns
    -------
    DataFrame indexed by group with ``p_best``, ``mean_rank`` (1 = largest) and ``p_above``.
    """
    arr = _check_draws(draws)
    table = pd.DataFrame(
        {
            "p_best": prob_best(arr),
            "mean_rank": _ranks(arr, largest_first=True).mean(axis=0) + 1,
        },
        index=pd.Index(_validate.group_names(names, arr.shape[1]), name="group"),
    )
    if threshold is not None:
        table["p_above"] = prob_greater(arr, threshold)
    return table
