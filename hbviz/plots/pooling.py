"""Levels of pooling (NumPyro tutorial): the three levels' estimates side by side.

:func:`pooling_estimates_plot` draws the table of :func:`hbviz.pooling.pooling_estimates`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hbviz.plots.common import interval_plot, row_marks
from hbviz.plots.style import REFERENCE, Look, reference_line

__all__ = ["pooling_estimates_plot"]


def pooling_estimates_plot(
    table: pd.DataFrame,
    *,
    value_title: str = "value",
    look: Look = Look(),
) -> go.Figure:
    """Forest plot of :func:`pooling_estimates`: one row per observation, the three levels side by
    side (posterior mean and 90% interval), the observed value as a cross, and a dashed line at the
    complete-pooling mean."""
    for column in ("observation", "value", "series", "estimate", "lower", "upper"):
        if column not in table.columns:
            raise ValueError(f"table has no column {column!r}; it has {list(table.columns)}")
    complete = table[table["series"] == "complete pooling"]["estimate"]
    reference = float(complete.iloc[0]) if len(complete) else None
    fig = interval_plot(
        table,
        group="observation",
        series="series",
        x_title=value_title,
        interval_label="90% interval",
        look=look,
    )
    observed = table.drop_duplicates("observation")
    row_marks(
        fig,
        observed["value"],
        np.arange(len(observed)),
        name="observed value",
        marker={"symbol": "x-thin", "size": 12, "line": {"width": 2, "color": REFERENCE}},
        labels=observed["observation"],
    )
    if reference is not None:
        reference_line(fig, reference, name=f"complete pooling mean {reference:.2f}", width=2)
    # three intervals per row need more room than the shared forest plot gives one
    fig.update_layout(legend_title_text=None, height=min(140 + 55 * len(observed), 1400))
    return fig
