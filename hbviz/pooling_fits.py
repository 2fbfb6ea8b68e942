"""Levels of pooling (NumPyro tutorial): the editable table's check, and the three NUTS fits'
estimates in one table.

:func:`check_data` and :func:`group_codes` turn the editable (group, value) table into the arrays
that :func:`hbviz.nuts.fit_pooling` takes; :func:`pooling_estimates` turns the three fits' summary
tables into one tidy table, one row per (observation, level of pooling), which
:func:`hbviz.plots.pooling.pooling_estimates_plot` draws.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["MAX_OBSERVATIONS", "SERIES", "check_data", "group_codes", "pooling_estimates"]

# No pooling has two parameters per observation, and every new number of observations compiles
# the NUTS programs once more (several seconds): keep an edited table to a lecture-sized demo.
MAX_OBSERVATIONS = 40

SERIES = ("no pooling", "complete pooling", "partial pooling")


def check_data(table: pd.DataFrame) -> None:
    """Raise ``ValueError`` naming the row and column of the first problem in a (group, value) table.

    Needs 2 to :data:`MAX_OBSERVATIONS` rows, a non-empty group name and a finite number in each.
    """
    missing = [c for c in ("group", "value") if c not in table.columns]
    if missing:
        raise ValueError(f"the table needs the columns 'group' and 'value'; {missing} missing")
    n = len(table)
    if not 2 <= n <= MAX_OBSERVATIONS:
        raise ValueError(f"enter between 2 and {MAX_OBSERVATIONS} observations; found {n}")
    for row, (name, value) in enumerate(zip(table["group"], table["value"], strict=True), 1):
        if name is None or (isinstance(name, float) and np.isnan(name)) or not str(name).strip():
            raise ValueError(f"row {row}, column 'group': empty; every observation needs a group")
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValueError(f"row {row}, column 'value': {value!r} is not a number") from None
        if not np.isfinite(number):
            raise ValueError(f"row {row}, column 'value': {value!r}; expected a finite number")


def group_codes(group: Sequence[object]) -> tuple[np.ndarray, list[str]]:
    """Integer ids 0..G-1 in order of first appearance, and the group name of each id.

    Returns
    -------
    codes : int array, shape (N,)
    names : list of str, length G
    """
    codes, names = pd.factorize(pd.Series([str(g).strip() for g in group]), sort=False)
    return codes.astype(np.int64), [str(n) for n in names]


def pooling_estimates(
    values: Sequence[float],
    group: Sequence[object],
    *,
    no_pooling: pd.DataFrame,
    complete_pooling: pd.DataFrame,
    partial_pooling: pd.DataFrame,
) -> pd.DataFrame:
    """Each observation's estimate under the three levels of pooling, in one tidy table.

    Parameters
    ----------
    values : array, shape (N,)
        The observations.
    group : sequence, length N
        Their group names (coded as :func:`group_codes` codes them for the fit).
    no_pooling, complete_pooling, partial_pooling : DataFrame
        ``Fit.summary`` tables of :func:`hbviz.nuts.fit_pooling`: rows ``mu[i]`` (per observation),
        ``mu`` (one), ``mu[g]`` (per group); columns ``mean``, ``5%``, ``95%``.

    Returns
    -------
    DataFrame with 3N rows and columns ``observation`` (label, e.g. ``"#1 (a)"``), ``group``,
    ``value``, ``series`` (level of pooling), ``estimate`` (posterior mean), ``lower`` and
    ``upper`` (5% and 95% quantiles).
    """
    values = np.asarray(values, dtype=float)
    codes, names = group_codes(group)
    if codes.size != values.size:
        raise ValueError(f"values and group differ in length: {values.size} and {codes.size}")
    rows = {
        "no pooling": [f"mu[{i}]" for i in range(values.size)],
        "complete pooling": ["mu"] * values.size,
        "partial pooling": [f"mu[{g}]" for g in codes],
    }
    tables = {
        "no pooling": no_pooling,
        "complete pooling": complete_pooling,
        "partial pooling": partial_pooling,
    }
    pieces = []
    for series in SERIES:
        summary = tables[series]
        absent = [r for r in dict.fromkeys(rows[series]) if r not in summary.index]
        if absent:
            raise ValueError(f"the {series} summary has no row {absent[0]!r}")
        picked = summary.loc[rows[series]]
        pieces.append(
            pd.DataFrame(
                {
                    "observation": [f"#{i + 1} ({names[g]})" for i, g in enumerate(codes)],
                    "group": [names[g] for g in codes],
                    "value": values,
                    "series": series,
                    "estimate": picked["mean"].to_numpy(),
                    "lower": picked["5%"].to_numpy(),
                    "upper": picked["95%"].to_numpy(),
                }
            )
        )
    return pd.concat(pieces, ignore_index=True)
