"""The three levels of pooling side by side (no, complete, partial), whatever the data's shape.

:data:`POOLING_SERIES` names them once for the tables, the figures' legends and the pages.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

POOLING_SERIES = ("no pooling", "complete pooling", "partial pooling")
NO_POOLING, COMPLETE_POOLING, PARTIAL_POOLING = POOLING_SERIES


def pooling_table(
    names: Sequence[object], *, no, complete, theta_draws, interval: float
) -> pd.DataFrame:
    """One row per (group, level of pooling): estimate and central interval.

    Parameters
    ----------
    names : sequence of J group names
    no, complete : (estimate, lower, upper), each an array of shape (J,)
        The no-pooling and complete-pooling estimates and intervals (their form depends on the
        data: normal intervals for estimates, Beta intervals for counts).
    theta_draws : array, shape (S, J)
        Posterior draws of θ under partial pooling; the row holds their median and central
        quantiles.
    interval : float
        Probability of the partial-pooling interval, in (0, 1).

    Returns
    -------
    DataFrame with columns ``group``, ``series`` (:data:`POOLING_SERIES`), ``estimate``,
    ``lower``, ``upper``.
    """
    if not 0 < interval < 1:
        raise ValueError(f"interval must be between 0 and 1; got {interval!r}")
    tail = (1 - interval) / 2
    draws = np.asarray(theta_draws, dtype=float)
    lower, median, upper = np.quantile(draws, [tail, 0.5, 1 - tail], axis=0)
    parts = dict(zip(POOLING_SERIES, (no, complete, (median, lower, upper)), strict=True))
    groups = [str(n) for n in names]
    return pd.concat(
        [
            pd.DataFrame({"group": groups, "series": s, "estimate": e, "lower": lo, "upper": hi})
            for s, (e, lo, hi) in parts.items()
        ],
        ignore_index=True,
    )
