"""Figures for the known-truth simulation lab: one data set's estimates against the truth, and
the three levels of pooling's RMSE as the true τ moves."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hbviz.plots.common import interval_plot, row_marks
from hbviz.plots.style import (
    EXACT,
    HIGHLIGHT,
    POOLING_COLORS,
    Look,
    apply_layout,
    reference_line,
)


def example_forest(
    table: pd.DataFrame,
    *,
    complete_pooling: float,
    x_title: str,
    truth_label: str = "true θ_j",
    look: Look = Look(),
) -> go.Figure:
    """No, complete and partial pooling per group with 95 % intervals, and the true θ_j.

    ``table`` has the columns of :func:`hbviz.pooling.pooling_table` (``group``, ``series``,
    ``estimate``, ``lower``, ``upper``) and ``truth``, the group's true value (the same on each
    of its rows); ``complete_pooling`` is drawn as a dashed line.
    """
    if "truth" not in table.columns:
        raise ValueError(f"table has no column 'truth'; it has {list(table.columns)}")
    fig = interval_plot(
        table,
        series="series",
        x_title=x_title,
        look=look,
        reference=complete_pooling,
        reference_label=f"pooled estimate {complete_pooling:.3g}",
    )
    truth = table.drop_duplicates("group")
    return row_marks(
        fig,
        truth["truth"],
        np.arange(len(truth)),
        name=truth_label,
        marker={"color": EXACT, "symbol": "x-thin", "size": 16, "line": {"width": 3}},
    )


def risk_curve_plot(
    curve: pd.DataFrame,
    *,
    tau: float,
    x_title: str,
    y_title: str,
    look: Look = Look(),
) -> go.Figure:
    """RMSE of each level of pooling (a column of ``curve``) against the true τ (its index),
    with the chosen ``tau`` marked."""
    missing = [s for s in POOLING_COLORS if s not in curve.columns]
    if missing:
        raise ValueError(f"curve has no column {missing[0]!r}; it has {list(curve.columns)}")
    fig = go.Figure()
    for series, color in POOLING_COLORS.items():
        fig.add_trace(
            go.Scatter(
                x=curve.index,
                y=curve[series],
                mode="lines+markers",
                name=series,
                line={"color": color, "width": 3},
                marker={"size": 6},
                hovertemplate=f"<b>{series}</b><br>τ %{{x:.3g}}<br>RMSE %{{y:.3g}}<extra></extra>",
            )
        )
    top = float(np.nanmax(curve.to_numpy()))
    reference_line(
        fig, tau, name=f"this τ = {tau:.3g}", span=(0.0, top * 1.05), color=HIGHLIGHT, width=2
    )
    apply_layout(fig, x_title=x_title, y_title=y_title, look=look)
    fig.update_yaxes(rangemode="tozero")
    return fig
