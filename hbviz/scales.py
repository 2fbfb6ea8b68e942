"""Probabilities on the probability scale or the logit (log-odds) scale.

The logit-normal hierarchy of counts is linear on the logit scale, and shrinkage of rates near 0
or 1 is easier to read there. Moving a summary between the scales follows one rule each:

- quantiles (medians, interval endpoints) are transformed, not recomputed: logit is increasing,
  so the q-quantile of logit θ is the logit of the q-quantile of θ;
- means are not: E(logit θ) ≠ logit E(θ). With draws, the mean on the logit scale is the mean of
  the transformed draws; for a Beta(a, b) it is ψ(a) − ψ(b) exactly;
- an observed rate y/n is 0 or 1 for some groups, whose logit is infinite: on the logit scale it
  is the empirical logit log((y + ½)/(n − y + ½)) (Cox 1970), for every group alike.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from hbviz import _validate

__all__ = [
    "SCALES",
    "beta_mean",
    "draws_mean",
    "interval_table",
    "observed",
    "quantile",
]

SCALES = {"probability": "probability θ", "logit": "log-odds logit θ = log(θ/(1 − θ))"}
"""The scales, each with the name of its axis."""


def _check(scale: str) -> str:
    return _validate.choice(scale, "scale", tuple(SCALES))


def quantile(values, scale: str) -> np.ndarray:
    """Quantiles of a probability (medians, interval endpoints) on ``scale``: transformed.

    A quantile of exactly 0 or 1 has an infinite logit and is returned as ∓inf.
    """
    values = np.asarray(values, dtype=float)
    if _check(scale) == "probability":
        return values
    if np.any((values < 0) | (values > 1)):
        raise ValueError("probabilities must lie between 0 and 1")
    with np.errstate(divide="ignore"):
        return special.logit(values)


def draws_mean(draws, scale: str, axis: int = 0) -> np.ndarray:
    """The mean of draws of a probability on ``scale``: the mean of the transformed draws."""
    draws = np.asarray(draws, dtype=float)
    return np.mean(quantile(draws, scale), axis=axis)


def beta_mean(a, b, scale: str) -> np.ndarray:
    """Mean of θ ~ Beta(a, b) on ``scale``: a/(a + b), or E(logit θ) = ψ(a) − ψ(b)."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if not (np.all(a > 0) and np.all(b > 0)):
        raise ValueError(f"Beta parameters must be > 0; got {a!r}, {b!r}")
    if _check(scale) == "probability":
        return a / (a + b)
    return special.digamma(a) - special.digamma(b)


def observed(successes, trials, scale: str) -> np.ndarray:
    """Observed rates y/n on ``scale``: y/n, or the empirical logit log((y + ½)/(n − y + ½))."""
    y, n = _validate.counts(successes, trials)
    if _check(scale) == "probability":
        return y / n
    return np.log(y + 0.5) - np.log(n - y + 0.5)


def interval_table(
    table: pd.DataFrame,
    scale: str,
    *,
    quantile_columns=("lower", "upper"),
    observed_rows=None,
    successes=None,
    trials=None,
    estimate: str = "estimate",
) -> pd.DataFrame:
    """A table of intervals for probabilities moved to ``scale``.

    Interval endpoints (``quantile_columns``) are transformed; so is ``estimate``, taken to be
    a median (transformed too), except in ``observed_rows`` (a boolean mask) where it is the
    observed rate ``successes / trials`` of that row and becomes its empirical logit.
    """
    out = table.copy()
    if _check(scale) == "probability":
        return out
    for column in quantile_columns:
        out[column] = quantile(out[column].to_numpy(), scale)
    values = out[estimate].to_numpy(dtype=float, copy=True)
    mask = np.zeros(len(out), bool) if observed_rows is None else np.asarray(observed_rows, bool)
    rest = ~mask
    values[rest] = quantile(values[rest], scale)
    if mask.any():
        y = np.asarray(successes, dtype=float)[mask]
        n = np.asarray(trials, dtype=float)[mask]
        values[mask] = observed(y, n, scale)
    out[estimate] = values
    return out
