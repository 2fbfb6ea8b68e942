"""Figure builders shared by several pages: forest plots, shrinkage plots, density curves."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hbviz.plots.style import (
    NO_POOLING,
    PARTIAL_POOLING,
    POOLING_COLORS,
    REFERENCE,
    Look,
    apply_layout,
    density_line,
    group_color,
    interval_bars,
    reference_line,
    safe_labels,
)

# Past this many groups, labels and per-point markers stop being readable and SVG gets slow:
# switch to WebGL traces and leave the group names to the hover text.
MANY_GROUPS = 200
LABELLED_GROUPS = 12  # up to this many groups, a shrinkage plot names each one


def _scatter(n_points: int):
    return go.Scattergl if n_points > MANY_GROUPS else go.Scatter


def interval_plot(
    table: pd.DataFrame,
    *,
    group: str = "group",
    estimate: str = "estimate",
    lower: str = "lower",
    upper: str = "upper",
    series: str | None = None,
    colors: Mapping[str, str] | None = None,
    x_title: str = "estimate",
    name: str | None = None,
    interval_label: str = "95% interval",
    look: Look = Look(),
    reference: float | None = None,
    reference_label: str | None = None,
) -> go.Figure:
    """Forest plot: one row per group, a point and an interval per series, side by side.

    Parameters
    ----------
    table : DataFrame
        Tidy rows with columns ``group``, ``estimate``, ``lower``, ``upper`` and, when there are
        several series (e.g. no / complete / partial pooling), a ``series`` column.
    colors : mapping of a series to its colour, optional
        Over the defaults: :data:`~hbviz.plots.style.POOLING_COLORS` for a series named as a
        level of pooling (so that colour is set in one place), the group colours otherwise.
    name : str, optional
        The legend name of a table without ``series`` (by default the ``estimate`` column's).
    reference : float, optional
        Draws a vertical dashed line (e.g. the pooled mean), named ``reference_label`` in the
        legend.
    """
    for column in (group, estimate, lower, upper) + ((series,) if series else ()):
        if column not in table.columns:
            raise ValueError(f"table has no column {column!r}; it has {list(table.columns)}")
    groups = list(dict.fromkeys(table[group].astype(str)))
    position = {g: i for i, g in enumerate(groups)}
    labels = safe_labels(groups)
    names = list(dict.fromkeys(table[series])) if series else [None]
    single = name if name is not None else estimate
    spread = 0.6 / max(len(names), 1)
    palette = {**POOLING_COLORS, **(colors or {})}
    fig = go.Figure()
    scatter = _scatter(len(groups))
    for k, series_name in enumerate(names):
        rows = table if series_name is None else table[table[series] == series_name]
        offset = (k - (len(names) - 1) / 2) * spread
        y = np.array([position[str(g)] for g in rows[group]]) + offset
        color = palette.get(series_name, group_color(k))
        label = series_name if series_name is not None else single
        fig.add_trace(
            scatter(
                x=rows[estimate],
                y=y,
                mode="markers",
                name=str(label),
                marker={"color": color, "size": 9 if len(groups) <= MANY_GROUPS else 4},
                error_x=interval_bars(
                    rows[estimate], rows[lower], rows[upper], color=color, thickness=2
                ),
                customdata=np.column_stack([safe_labels(rows[group]), rows[lower], rows[upper]]),
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>"
                    + (f"{series_name}<br>" if series_name is not None else "")
                    + "estimate %{x:.3g}<br>"
                    + f"{interval_label} "
                    + "%{customdata[1]:.3g} to %{customdata[2]:.3g}<extra></extra>"
                ),
            )
        )
    if reference is not None:
        reference_line(
            fig,
            reference,
            name=reference_label or f"{reference:.3g}",
            span=(-0.5, len(groups) - 0.5),
            width=2,
        )
    apply_layout(fig, x_title=x_title, look=look)
    show_labels = len(groups) <= MANY_GROUPS
    fig.update_yaxes(
        tickvals=list(range(len(groups))) if show_labels else None,
        ticktext=labels if show_labels else None,
        showticklabels=show_labels,
        autorange="reversed",
        title_text="group" if not show_labels else None,
    )
    fig.update_layout(height=max(320, min(28 * len(groups) + 140, 900)))
    return fig


def row_marks(
    fig: go.Figure, x, rows, *, name: str, marker: Mapping, labels: Sequence | None = None
) -> go.Figure:
    """One value marked on rows of an :func:`interval_plot` (row k at y = k): an observed or a
    true value per group, named ``name`` in the legend and in the hover; ``labels`` (user text,
    shown as text) name the rows in the hover."""
    head = "" if labels is None else "<b>%{customdata}</b><br>"
    fig.add_trace(
        go.Scatter(
            x=x,
            y=np.asarray(rows, dtype=float),
            mode="markers",
            name=name,
            marker=dict(marker),
            customdata=None if labels is None else safe_labels(labels),
            hovertemplate=f"{head}{name} " + "%{x:.3g}<extra></extra>",
        )
    )
    return fig


def shrinkage_plot(
    raw: Sequence[float],
    pooled: Sequence[float],
    names: Sequence[str],
    *,
    population_mean: float | None = None,
    population_label: str = "population mean",
    complete_pooling: float | None = None,
    complete_pooling_label: str = "complete pooling",
    weight: Sequence[float] | None = None,
    weight_label: str = "precision",
    raw_label: str = "no pooling",
    pooled_label: str = "partial pooling",
    value_title: str = "estimate",
    look: Look = Look(),
) -> go.Figure:
    """Raw estimates on one line, pooled estimates on another, a segment joining each group's two.

    Segments that lean toward the population mean show shrinkage; marker size shows ``weight``
    (precision or group size), so the groups that move most are seen to be the least precise.

    ``population_mean`` is the hierarchical model's population mean, the point partial pooling
    shrinks toward: E(μ | y), or E(α/(α+β) | y) for counts; name it in ``population_label``.
    ``complete_pooling`` (the τ = 0 estimate, e.g. the precision-weighted mean) is another
    number, drawn as its own dotted line: the two differ when τ is not small.
    """
    raw = np.asarray(raw, dtype=float)
    pooled = np.asarray(pooled, dtype=float)
    names = safe_labels(names)
    if not (raw.shape == pooled.shape == (len(names),)):
        raise ValueError(
            f"raw, pooled and names must have one entry per group; got {raw.shape}, "
            f"{pooled.shape} and {len(names)}"
        )
    if weight is None:
        sizes = np.full(raw.shape, 10.0)
    else:
        w = np.asarray(weight, dtype=float)
        sizes = 6 + 14 * np.sqrt(w / w.max())
    many = len(names) > MANY_GROUPS
    fig = go.Figure()
    # All segments as one trace with None separators: one trace draws fast for thousands.
    xs = np.column_stack([raw, pooled, np.full(raw.shape, np.nan)]).ravel()
    ys = np.tile([1.0, 0.0, np.nan], raw.size)
    fig.add_trace(
        _scatter(len(names))(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": REFERENCE, "width": 1},
            opacity=0.35 if many else 0.7,
            hoverinfo="skip",
            showlegend=False,
        )
    )
    # A few groups are named above their own estimates; neighbours in value alternate above and
    # below, so two close estimates (0.54 and 0.53 of two seasons) keep their names apart.
    named = len(names) <= LABELLED_GROUPS
    sides = np.empty(raw.size, dtype=object)
    sides[np.argsort(raw, kind="stable")] = ["top center", "bottom center"] * (raw.size // 2) + [
        "top center"
    ] * (raw.size % 2)
    for y_level, values, label, color in (
        (1.0, raw, raw_label, NO_POOLING),
        (0.0, pooled, pooled_label, PARTIAL_POOLING),
    ):
        text = {"text": names, "textposition": list(sides), "cliponaxis": False}
        fig.add_trace(
            _scatter(len(names))(
                x=values,
                y=np.full(values.shape, y_level),
                mode="markers+text" if named and y_level == 1.0 else "markers",
                **(text if named and y_level == 1.0 else {}),
                name=label,
                marker={"color": color, "size": sizes, "line": {"width": 0}},
                customdata=np.column_stack([names, raw, pooled]),
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>"
                    + f"{raw_label} "
                    + "%{customdata[1]:.3g}<br>"
                    + f"{pooled_label} "
                    + "%{customdata[2]:.3g}<extra></extra>"
                ),
            )
        )
    # In the legend: a label at the foot of a line would sit on the x tick labels.
    for value, label, dash in (
        (population_mean, population_label, "dash"),
        (complete_pooling, complete_pooling_label, "dot"),
    ):
        if value is not None:
            reference_line(
                fig,
                value,
                name=f"{label} {value:.3g}",
                span=(-0.25, 1.25),
                dash=dash,
                width=2,
                webgl=many,
            )
    apply_layout(fig, x_title=value_title, look=look, height=380)
    fig.update_yaxes(
        tickvals=[0, 1],
        ticktext=[pooled_label, raw_label],
        range=[-0.25, 1.25],
        showgrid=False,
        zeroline=False,
    )
    if weight is not None:
        # the legend's title, above its entries: an annotation at the top right ran into them
        fig.update_layout(legend_title={"text": f"marker size: {weight_label}", "side": "top"})
    return fig


def density_plot(
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]],
    *,
    colors: Mapping[str, str] | None = None,
    dashes: Mapping[str, str] | None = None,
    x_title: str = "value",
    y_title: str = "density",
    fill: bool = False,
    look: Look = Look(),
) -> go.Figure:
    """Density curves, one per named (x, density) pair, drawn as lines."""
    fig = go.Figure()
    for k, (name, (x, density)) in enumerate(curves.items()):
        color = (colors or {}).get(name, group_color(k))
        fig.add_trace(
            density_line(
                np.asarray(x, dtype=float),
                np.asarray(density, dtype=float),
                name=name,
                color=color,
                x_title=x_title,
                dash=(dashes or {}).get(name, "solid"),
                fill="tozeroy" if fill else None,
            )
        )
    apply_layout(fig, x_title=x_title, y_title=y_title, look=look)
    fig.update_yaxes(rangemode="tozero")
    return fig


def histogram_overlay(
    samples: Mapping[str, Sequence[float]],
    *,
    curves: Mapping[str, tuple[Sequence[float], Sequence[float]]] | None = None,
    x_title: str = "value",
    bins: int = 60,
    look: Look = Look(),
) -> go.Figure:
    """Normalised histograms of draws (e.g. NUTS) with exact density curves over them."""
    fig = go.Figure()
    k = 0
    for name, draws in samples.items():
        fig.add_trace(
            go.Histogram(
                x=np.asarray(draws, dtype=float),
                histnorm="probability density",
                nbinsx=bins,
                name=name,
                opacity=0.45,
                marker={"color": group_color(k)},
                hovertemplate=f"<b>{name}</b><br>{x_title} "
                + "%{x}<br>density %{y:.3g}<extra></extra>",
            )
        )
        k += 1
    for name, (x, density) in (curves or {}).items():
        x, density = np.asarray(x, dtype=float), np.asarray(density, dtype=float)
        fig.add_trace(density_line(x, density, name=name, color=group_color(k), x_title=x_title))
        k += 1
    fig.update_layout(barmode="overlay")
    apply_layout(fig, x_title=x_title, y_title="density", look=look)
    return fig
