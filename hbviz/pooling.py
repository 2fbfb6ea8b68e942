"""The three levels of pooling side by side (no, complete, partial), whatever the data's shape.

:data:`POOLING_SERIES` names them once for the tables, the figures' legends and the pages.
:func:`pooling_table` puts the three side by side for estimates and counts; for the levels-of-pooling
page, :func:`check_data` and :func:`group_codes` turn its editable (group, value) table into the
arrays :func:`hbviz.nuts.fit_pooling` takes, and :func:`pooling_estimates` turns the three NUTS fits'
summaries into one tidy table (drawn by :func:`hbviz.plots.pooling.pooling_estimates_plot`), and
:func:`pooling_funnel` picks from a fit the draws of the funnel its divergences live in (drawn by
:func:`hbviz.plots.eight_schools.funnel_plot`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from hbviz import _validate

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


# No pooling has two parameters per observation, and every new number of observations compiles
# the NUTS programs once more (several seconds): keep an edited table to a lecture-sized demo.
MAX_OBSERVATIONS = 40


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
        if _validate.is_blank(name):
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
    for series in POOLING_SERIES:
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


class Funnel(NamedTuple):
    """A model's funnel: a location against its scale, per form of the model, with divergences.

    The fields are :func:`hbviz.plots.eight_schools.funnel_plot`'s arguments.

    Attributes
    ----------
    fits : dict of str to (location, scale, diverging), each array of shape (chains, draws)
        One panel per form of the model (``"no pooling"``; ``"centered"``, ``"non-centered"``).
    group_label : str
        Which observation or group the location belongs to (user text: the plot escapes it).
    x_title, y_title : str
        Axis titles; ``{group}`` stands for ``group_label``.
    hover : (str, str)
        The location's and the scale's names in the hover text.
    """

    fits: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]
    group_label: str
    x_title: str
    y_title: str
    hover: tuple[str, str]


def pooling_funnel(
    regime: str,
    fit,
    *,
    centered: bool,
    values: Sequence[float],
    names: Sequence[str],
    centered_fit=None,
) -> Funnel | None:
    """The funnel of a levels-of-pooling fit, or None for complete pooling (it has none).

    No pooling: μ of the first observation against its σ (one value per (μ_i, σ_i)). Partial
    pooling: μ_g of the first group against τ, for the centered form, and beside it the
    non-centered form's when that is the fit shown (so the neck the non-centering removes is seen).

    Parameters
    ----------
    regime : {"no", "complete", "partial"}
        Level of pooling of ``fit``.
    fit : :class:`hbviz.nuts.Fit`
        The fit shown; its ``samples`` (``mu`` with ``sigma`` or ``tau``) and ``diverging``.
    centered : bool
        Form of ``fit`` (partial pooling).
    values : sequence of N floats
        The observations (the first names the no-pooling funnel).
    names : sequence of G str
        The group names (the first names the partial-pooling funnel).
    centered_fit : :class:`hbviz.nuts.Fit`, optional
        The centered partial-pooling fit, needed when ``fit`` is the non-centered one.
    """
    if regime not in ("no", "complete", "partial"):
        raise ValueError(f"regime must be 'no', 'complete' or 'partial'; got {regime!r}")
    if regime == "complete":
        return None
    if regime == "no":
        return Funnel(
            fits={
                "no pooling": (
                    fit.samples["mu"][..., 0],
                    fit.samples["sigma"][..., 0],
                    fit.diverging,
                )
            },
            group_label=f"#1 (y = {float(values[0]):g})",
            x_title="μ of observation {group}",
            y_title="σ of that observation (log scale)",
            hover=("μ", "σ"),
        )
    forms = {"centered": fit}
    if not centered:
        if centered_fit is None:
            raise ValueError("centered_fit is None; the non-centered funnel is drawn beside it")
        forms = {"centered": centered_fit, "non-centered": fit}
    return Funnel(
        fits={
            form: (f.samples["mu"][..., 0], f.samples["tau"], f.diverging)
            for form, f in forms.items()
        },
        group_label=str(names[0]),
        x_title="μ_g of group {group}",
        y_title="τ (log scale)",
        hover=("μ<sub>{group}</sub>", "τ"),
    )
