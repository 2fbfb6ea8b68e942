"""Figures of groups with a predictor (Gelman & Hill's radon pictures): chosen groups' data with
their three fitted lines, intercepts and slopes against group size, the population line with its
band, and shrinkage arrows from no pooling to partial pooling.

They draw the tidy tables of :mod:`hbviz.regression` (``line_table``, ``size_table``,
``population_band``, ``shrinkage_table``) and the data's group, x, y columns; nothing here
computes a posterior.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hbviz.plots.style import (
    DATA,
    NO_POOLING,
    PARTIAL_POOLING,
    POOLING_COLORS,
    POPULATION,
    REFERENCE,
    Look,
    apply_layout,
    arrows,
    interval_bars,
    pale,
    safe_labels,
)

COLUMNS = 4  # panels per row of the chosen groups' figure
# ticks of the group-size axes (log): Plotly's own log ticks label 2…9 of every decade
SIZE_TICKS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10_000)
SERIES = ("complete pooling", "no pooling", "partial pooling")


def _jitter(x: np.ndarray, scale: float) -> np.ndarray:
    # deterministic, so a figure built twice is the same figure: spreads the 0/1 of a binary x
    return x + scale * (np.sin(np.arange(x.size) * 12.9898) * 0.5)


def _is_binary(points: pd.DataFrame) -> bool:
    return set(np.unique(points["x"].to_numpy(float))) <= {0.0, 1.0}


def _observations(
    points: pd.DataFrame, *, binary: bool, color: str, size: int, webgl: bool = False, **trace
):
    """The observations (columns x, y) as markers named "observations", a binary x's 0s and 1s
    spread sideways; ``webgl`` for all of a data set's observations at once."""
    x = points["x"].to_numpy(float)
    return (go.Scattergl if webgl else go.Scatter)(
        x=_jitter(x, 0.08) if binary else x,
        y=points["y"],
        mode="markers",
        marker={"color": color, "size": size},
        name="observations",
        **trace,
    )


def group_lines(
    points: pd.DataFrame,
    lines: pd.DataFrame,
    groups: Sequence[str],
    *,
    x_title: str = "x",
    y_title: str = "y",
    sizes: dict[str, int] | None = None,
    look: Look = Look(),
) -> go.Figure:
    """One panel per chosen group: its observations and the complete, no and partial pooling
    lines (the first figure of Gelman & Hill §12.3).

    Parameters
    ----------
    points : DataFrame with columns group, x, y
        The observations (only the chosen groups' are drawn).
    lines : DataFrame with columns group, series, x, y
        Two points per (group, series), as ``hbviz.regression.line_table`` returns.
    groups : sequence of str
        The groups, in panel order (at most 12).
    sizes : dict, optional
        Observations per group, shown in the panel titles.
    """
    groups = list(groups)
    if not 1 <= len(groups) <= 12:
        raise ValueError(f"choose 1 to 12 groups to draw; got {len(groups)}")
    missing = set(groups) - set(lines["group"])
    if missing:
        raise ValueError(f"no fitted lines for group {sorted(missing)[0]!r}")
    rows = -(-len(groups) // COLUMNS)
    titles = [
        f"{label} (n = {sizes[g]})" if sizes else label
        for g, label in zip(groups, safe_labels(groups), strict=True)
    ]
    fig = make_subplots(
        rows=rows,
        cols=min(COLUMNS, len(groups)),
        subplot_titles=titles,
        shared_xaxes=True,
        shared_yaxes=True,
        vertical_spacing=0.12 if rows > 1 else 0.05,
        horizontal_spacing=0.03,
    )
    binary = _is_binary(points)
    hover = f"{x_title} %{{x:.3g}}<br>{y_title} %{{y:.3g}}<extra></extra>"
    for k, g in enumerate(groups):
        row, col = k // COLUMNS + 1, k % COLUMNS + 1
        mine = _observations(
            points[points["group"] == g],
            binary=binary,
            color=pale(DATA, 0.6),
            size=7,
            legendgroup="observations",
            showlegend=k == 0,
            hovertemplate=hover,
        )
        fig.add_trace(mine, row=row, col=col)
        for series in SERIES:
            line = lines[(lines["group"] == g) & (lines["series"] == series)]
            if line.empty:
                continue
            fig.add_trace(
                go.Scatter(
                    x=line["x"],
                    y=line["y"],
                    mode="lines",
                    line={
                        "color": POOLING_COLORS[series],
                        "width": 3 if series == "partial pooling" else 2,
                        "dash": "dot" if series == "complete pooling" else "solid",
                    },
                    name=series,
                    legendgroup=series,
                    showlegend=k == 0,
                    hovertemplate=f"{series}<extra></extra>",
                ),
                row=row,
                col=col,
            )
    apply_layout(fig, look=look, height=260 * rows + 110)
    # the legend above the panel titles, not on them
    fig.update_layout(legend={"y": 1 + 60 / (260 * rows)}, margin={"t": 90})
    fig.update_xaxes(title_text=None)
    fig.update_xaxes(title_text=x_title, row=rows)
    fig.update_yaxes(title_text=y_title, col=1)
    if binary:
        fig.update_xaxes(tickvals=[0, 1])
    return fig


def estimates_by_size(
    tables: dict[str, pd.DataFrame],
    *,
    population: float | None = None,
    population_label: str = "population mean",
    value_title: str = "intercept",
    look: Look = Look(),
) -> go.Figure:
    """Each group's estimate and 95% interval against its size (log axis), under no and partial
    pooling: the small groups' no-pooling estimates scatter widely and are pulled in most
    (Gelman & Hill Fig. 12.3).

    Parameters
    ----------
    tables : dict of series → DataFrame with columns group, size, mean, lower, upper
        ``hbviz.regression.size_table`` of each fit; series "no pooling", "partial pooling".
    population : float, optional
        The population mean of the estimate, drawn as a dashed line.
    """
    if not tables:
        raise ValueError("give at least one table of estimates")
    fig = go.Figure()
    offsets = {"no pooling": 0.97, "partial pooling": 1.03}
    for series, table in tables.items():
        if series not in POOLING_COLORS:
            raise ValueError(f"series must be one of {list(POOLING_COLORS)}; got {series!r}")
        mean = table["mean"].to_numpy(float)
        fig.add_trace(
            go.Scatter(
                x=table["size"].to_numpy(float) * offsets.get(series, 1.0),
                y=mean,
                mode="markers",
                name=series,
                marker={"color": POOLING_COLORS[series], "size": 7},
                error_y=interval_bars(
                    mean,
                    table["lower"].to_numpy(float),
                    table["upper"].to_numpy(float),
                    color=pale(POOLING_COLORS[series], 0.45),
                    thickness=1.5,
                ),
                customdata=np.array(safe_labels(table["group"]), dtype=object),
                hovertemplate="<b>%{customdata}</b><br>size %{x:.0f}<br>"
                f"{value_title} %{{y:.3g}}<extra>{series}</extra>",
            )
        )
    if population is not None:
        fig.add_hline(
            y=population,
            line={"color": POPULATION, "dash": "dash", "width": 2},
            annotation_text=f"{population_label} {population:.3g}",
            annotation_position="top left",
        )
    apply_layout(
        fig,
        x_title="observations in the group (log scale)",
        y_title=value_title,
        look=look,
        height=400,
    )
    _size_axis(fig)
    return fig


def _size_axis(fig: go.Figure) -> None:
    fig.update_xaxes(type="log", tickvals=SIZE_TICKS, ticktext=[f"{t:,}" for t in SIZE_TICKS])


def population_line(
    band: pd.DataFrame,
    points: pd.DataFrame,
    *,
    x_title: str = "x",
    y_title: str = "y",
    interval_label: str = "95% interval",
    look: Look = Look(),
) -> go.Figure:
    """The population line μ_a + μ_b x with its posterior band over all observations.

    Parameters
    ----------
    band : DataFrame with columns x, mean, lower, upper
        ``hbviz.regression.population_band``.
    points : DataFrame with columns x, y
        The observations, drawn faintly behind.
    """
    binary = _is_binary(points)
    fig = go.Figure(
        _observations(
            points, binary=binary, color=pale(REFERENCE, 0.3), size=4, webgl=True, hoverinfo="skip"
        )
    )
    fig.add_trace(
        go.Scatter(
            x=np.concatenate([band["x"], band["x"][::-1]]),
            y=np.concatenate([band["upper"], band["lower"][::-1]]),
            fill="toself",
            fillcolor=pale(PARTIAL_POOLING, 0.25),
            line={"width": 0},
            name=interval_label,
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=band["x"],
            y=band["mean"],
            mode="lines",
            line={"color": PARTIAL_POOLING, "width": 3},
            name="population line (posterior mean)",
            hovertemplate=f"{x_title} %{{x:.3g}}<br>{y_title} %{{y:.3g}}<extra></extra>",
        )
    )
    apply_layout(fig, x_title=x_title, y_title=y_title, look=look, height=380)
    if binary:
        fig.update_xaxes(tickvals=[0, 1])
    return fig


def shrinkage_arrows(
    table: pd.DataFrame,
    *,
    varying_slopes: bool = False,
    x_title: str = "intercept",
    y_title: str = "slope",
    look: Look = Look(),
) -> go.Figure:
    """Arrows from each group's no-pooling estimate to its partial-pooling one.

    With varying slopes the arrows move in the (intercept, slope) plane; with a common slope,
    intercepts move along a line against group size.

    Parameters
    ----------
    table : DataFrame
        ``hbviz.regression.shrinkage_table``: group, size, intercept_no, intercept_partial,
        slope_no, slope_partial.
    """
    if varying_slopes:
        x0, x1 = table["intercept_no"], table["intercept_partial"]
        y0, y1 = table["slope_no"], table["slope_partial"]
        titles = (x_title, y_title)
    else:
        x0 = x1 = table["size"].astype(float)
        y0, y1 = table["intercept_no"], table["intercept_partial"]
        titles = ("observations in the group (log scale)", x_title)
    fig = go.Figure()
    names = np.array(safe_labels(table["group"]), dtype=object)
    for x, y, series, marker in (
        (x0, y0, "no pooling", {"color": NO_POOLING, "size": 6, "symbol": "circle-open"}),
        (x1, y1, "partial pooling", {"color": PARTIAL_POOLING, "size": 7}),
    ):
        fig.add_trace(
            go.Scatter(
                x=x,
                y=y,
                mode="markers",
                marker=marker,
                name=series,
                customdata=names,
                hovertemplate=f"<b>%{{customdata}}</b><extra>{series}</extra>",
            )
        )
    # annotations on a log axis take log10 coordinates
    ax0, ax1 = (x0, x1) if varying_slopes else (np.log10(x0), np.log10(x1))
    fig.update_layout(annotations=arrows(ax0, y0, ax1, y1, color=pale(REFERENCE, 0.7)))
    apply_layout(fig, x_title=titles[0], y_title=titles[1], look=look, height=420)
    if not varying_slopes:
        _size_axis(fig)
    return fig
