"""Figures for the eight-schools page (BDA3 §5.5): p(τ | y), moments given τ, shrinkage at a
chosen τ, posterior quantiles, probabilities of ranks, and the NUTS comparisons."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from hbviz.plots.common import interval_plot
from hbviz.plots.style import (
    COMPARISON,
    DATA,
    DIVERGENT,
    DRAWS,
    EXACT,
    HIGHLIGHT,
    NO_POOLING,
    PARTIAL_POOLING,
    POOLING_COLORS,
    PROBABILITY_SCALE,
    REFERENCE,
    Look,
    apply_layout,
    arrows,
    font_size,
    group_color,
    interval_bars,
    overlay_layout,
    pale,
    reference_line,
    safe_labels,
)

CHOSEN_TAU_COLOR = HIGHLIGHT
PLOT_AREA_PX = 300  # the plot area of a 420-px figure of Figs. 5.6–5.7, inside its margins
_PARTIAL_PALE = pale(PARTIAL_POOLING, 0.3)  # pale enough for arrows to show over it


def _spread(positions: np.ndarray, *, min_gap: float) -> np.ndarray:
    """Move label positions apart to at least ``min_gap``, keeping their order and centre."""
    positions = np.asarray(positions, dtype=float)
    order = np.argsort(positions, kind="stable")
    placed = positions[order].copy()
    for i in range(1, placed.size):
        placed[i] = max(placed[i], placed[i - 1] + min_gap)
    placed -= (placed - positions[order]).mean()  # re-centre the pushed-up block
    out = np.empty_like(placed)
    out[order] = placed
    return out


def _tau_density(
    tau_grid, density, x_max: float | None, *, name: str, color: str, width: float, hover: str
) -> go.Scatter:
    """p(τ | y) on its grid as a line, cut at ``x_max``; ``hover`` names it in the hover text."""
    grid = np.asarray(tau_grid, dtype=float)
    dens = np.asarray(density, dtype=float)
    if grid.shape != dens.shape or grid.ndim != 1:
        raise ValueError(
            f"tau_grid and density must be 1-d of one length; got {grid.shape}, {dens.shape}"
        )
    keep = grid <= x_max if x_max is not None else np.ones(grid.shape, bool)
    return go.Scatter(
        x=grid[keep],
        y=dens[keep],
        mode="lines",
        name=name,
        line={"color": color, "width": width},
        hovertemplate=hover + "τ %{x:.2f}<br>p(τ | y) %{y:.4f}<extra></extra>",
    )


def _as_matrix(values, n_rows: int, n_cols: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=float)
    if arr.shape != (n_rows, n_cols):
        raise ValueError(f"{name} must have shape ({n_rows}, {n_cols}); got {arr.shape}")
    return arr


def pooling_forest(
    table: pd.DataFrame,
    *,
    pooled_mean: float,
    x_title: str = "effect",
    look: Look = Look(),
) -> go.Figure:
    """No, complete and partial pooling side by side for each group, with 95% intervals.

    ``table`` is :func:`hbviz.estimate_tables.pooling_intervals` (columns ``group``, ``series``,
    ``estimate``, ``lower``, ``upper``); ``pooled_mean`` (the complete-pooling estimate) is drawn
    as a dashed line named in the legend.
    """
    fig = interval_plot(
        table,
        series="series",
        colors=POOLING_COLORS,
        x_title=x_title,
        look=look,
    )
    groups = table["group"].nunique()
    return reference_line(
        fig, pooled_mean, name=f"pooled mean {pooled_mean:.1f}", span=(-0.5, groups - 0.5)
    )


def tau_posterior_plot(
    tau_grid: Sequence[float],
    density: Sequence[float],
    *,
    chosen_tau: float | None = None,
    x_max: float | None = None,
    x_title: str = "τ, sd of the true effects across schools (points)",
    look: Look = Look(),
) -> go.Figure:
    """Marginal posterior density p(τ | y) (BDA3 Fig. 5.5), the chosen τ marked."""
    line = _tau_density(
        tau_grid, density, x_max, name="p(τ | y)", color=PARTIAL_POOLING, width=3, hover=""
    )
    fig = go.Figure(line.update(fill="tozeroy"))
    grid, dens = np.asarray(tau_grid, dtype=float), np.asarray(density, dtype=float)
    if chosen_tau is not None:
        fig.add_trace(
            go.Scatter(
                x=[chosen_tau],
                y=[float(np.interp(chosen_tau, grid, dens))],
                mode="markers",
                name=f"chosen τ = {chosen_tau:g}",
                marker={"color": CHOSEN_TAU_COLOR, "size": 13, "symbol": "diamond"},
                hovertemplate="chosen τ %{x:.2f}<br>p(τ | y) %{y:.4f}<extra></extra>",
            )
        )
        reference_line(fig, chosen_tau, color=CHOSEN_TAU_COLOR, dash="dot", width=2)
    apply_layout(
        fig,
        x_title=x_title,
        y_title="posterior density",
        look=look,
        height=360,
    )
    fig.update_xaxes(range=[0, x_max if x_max is not None else float(grid[-1])])
    fig.update_yaxes(rangemode="tozero")
    return fig


def conditional_plot(
    tau: Sequence[float],
    values,
    names: Sequence[object],
    *,
    chosen_tau: float | None = None,
    chosen_values: Sequence[float] | None = None,
    y_title: str,
    look: Look = Look(),
) -> go.Figure:
    """One curve per group against τ (BDA3 Figs. 5.6–5.7), each labelled at its right end.

    Parameters
    ----------
    tau : array, shape (T,)
    values : array, shape (T, J)
        E(θ_j | τ, y) or sd(θ_j | τ, y) on the τ grid.
    chosen_tau, chosen_values : float and array of shape (J,), optional
        The τ picked on the slider and the curves' values there, marked on each curve.
    """
    tau = np.asarray(tau, dtype=float)
    labels = safe_labels(names)
    values = _as_matrix(values, tau.size, len(labels), "values")
    colors = [group_color(j) for j in range(len(labels))]
    traces = [
        go.Scatter(
            x=tau,
            y=values[:, j],
            mode="lines",
            name=label,
            line={"color": color, "width": 2},
            hovertemplate=f"<b>{label}</b><br>τ %{{x:.1f}}<br>{y_title} %{{y:.2f}}<extra></extra>",
        )
        for j, (label, color) in enumerate(zip(labels, colors, strict=True))
    ]
    # Labels at the right-hand ends stand in for a legend: eight colours are hard to match.
    # Kept a line of text apart: the plot area is about PLOT_AREA_PX tall, so a label takes
    # 1.3 × its font size in pixels of it, in data units that share of the values' range.
    line = 1.3 * font_size(look.large_fonts) / PLOT_AREA_PX
    label_y = _spread(values[-1], min_gap=line * float(np.ptp(values) or 1.0))
    annotations = [
        {
            "x": tau[-1],
            "y": label_y[j],
            "text": label,
            "showarrow": False,
            "xanchor": "left",
            "xshift": 4,
            "font": {"color": color},
        }
        for j, (label, color) in enumerate(zip(labels, colors, strict=True))
        if len(labels) <= 12
    ]
    if chosen_tau is not None and chosen_values is not None:
        traces.append(
            go.Scatter(
                x=np.full(len(labels), chosen_tau),
                y=np.asarray(chosen_values, dtype=float),
                mode="markers",
                name=f"at τ = {chosen_tau:g}",
                marker={"color": CHOSEN_TAU_COLOR, "size": 9, "line": {"width": 1}},
                cliponaxis=False,  # whole at τ = 0, on the axis itself
                customdata=labels,
                hovertemplate=(
                    "<b>%{customdata}</b><br>τ %{x:.1f}<br>" + y_title + " %{y:.2f}<extra></extra>"
                ),
            )
        )
    fig = go.Figure(data=traces, layout={"annotations": annotations})
    if chosen_tau is not None:
        reference_line(fig, chosen_tau, color=CHOSEN_TAU_COLOR, dash="dot", width=2)
    apply_layout(
        fig,
        x_title="τ (points)",
        y_title=y_title,
        look=look,
        height=420,
    )
    fig.update_layout(showlegend=False, margin={"r": 40})
    fig.update_xaxes(range=[float(tau[0]), float(tau[-1])])
    return fig


def conditional_shrinkage_plot(
    y: Sequence[float],
    conditional_mean: Sequence[float],
    conditional_sd: Sequence[float],
    names: Sequence[object],
    *,
    tau: float,
    mu_hat: float,
    x_title: str = "effect (points)",
    look: Look = Look(),
) -> go.Figure:
    """Arrows from each estimate y_j to E(θ_j | τ, y) at one τ, with ± 1 sd(θ_j | τ, y).

    The dashed line is E(μ | τ, y), the point every arrow leans toward; the arrows are long
    where σ_j is large compared with τ.
    """
    labels = safe_labels(names)
    y = np.asarray(y, dtype=float)
    mean = np.asarray(conditional_mean, dtype=float)
    sd = np.asarray(conditional_sd, dtype=float)
    if not (y.shape == mean.shape == sd.shape == (len(labels),)):
        raise ValueError("y, conditional_mean, conditional_sd and names need one entry per group")
    rows = np.arange(len(labels))
    no, partial = NO_POOLING, PARTIAL_POOLING
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=y,
            y=rows,
            mode="markers",
            name="y_j (no pooling)",
            marker={"color": no, "size": 11, "symbol": "circle-open", "line": {"width": 2.5}},
            customdata=labels,
            hovertemplate="<b>%{customdata}</b><br>estimate y_j %{x:.1f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=mean,
            y=rows,
            mode="markers",
            name=f"E(θ_j | τ = {tau:g}, y) ± 1 sd",
            marker={"color": partial, "size": 11},
            error_x={
                "type": "data",
                "array": sd,
                "color": _PARTIAL_PALE,
                "thickness": 3,
                "width": 0,
            },
            customdata=np.column_stack([labels, y, sd]),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>y_j %{customdata[1]:.1f} → E(θ_j | τ, y) %{x:.1f}"
                "<br>sd(θ_j | τ, y) %{customdata[2]:.1f}<extra></extra>"
            ),
        )
    )
    # an arrow for each school that moved; past 50 rows the arrows are a blur
    moved = np.flatnonzero((np.abs(mean - y) > 1e-9) & (len(labels) <= 50))
    shifts = arrows(
        y[moved], moved, mean[moved], moved, color=REFERENCE, width=2, head=1.3, standoff=6
    )
    reference_line(fig, mu_hat, name=f"E(μ | τ, y) = {mu_hat:.1f}", span=(-0.5, len(labels) - 0.5))
    fig.update_layout(annotations=shifts)
    apply_layout(fig, x_title=x_title, look=look)
    fig.update_yaxes(tickvals=rows, ticktext=labels, autorange="reversed", showgrid=False)
    fig.update_layout(height=max(320, min(36 * len(labels) + 160, 900)))
    return fig


def quantile_forest(
    table: pd.DataFrame,
    *,
    x_title: str = "effect (points)",
    look: Look = Look(),
) -> go.Figure:
    """Forest plot of a Table 5.3-style table: median, 50% (thick) and 95% (thin) intervals.

    ``table`` is indexed by group with columns ``2.5%``, ``25%``, ``50%``, ``75%``, ``97.5%``.
    """
    for column in ("2.5%", "25%", "50%", "75%", "97.5%"):
        if column not in table.columns:
            raise ValueError(f"table has no column {column!r}; it has {list(table.columns)}")
    labels = safe_labels(table.index)
    rows = np.arange(len(labels))
    color = PARTIAL_POOLING
    q = {c: table[c].to_numpy(dtype=float) for c in ("2.5%", "25%", "50%", "75%", "97.5%")}
    fig = go.Figure()
    # Intervals as error bars around the median (no NaN-separated line segments).
    for low, high, width, bar_color, name in (
        ("2.5%", "97.5%", 2, color, "95% interval"),
        ("25%", "75%", 9, _PARTIAL_PALE, "50% interval"),
    ):
        fig.add_trace(
            go.Scatter(
                x=q["50%"],
                y=rows,
                mode="markers",
                name=name,
                marker={"color": bar_color, "size": 1, "symbol": "line-ns"},
                error_x=interval_bars(q["50%"], q[low], q[high], color=bar_color, thickness=width),
                hoverinfo="skip",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=q["50%"],
            y=rows,
            mode="markers",
            name="median",
            marker={"color": "white", "size": 10, "line": {"color": color, "width": 2.5}},
            customdata=np.column_stack([labels, q["2.5%"], q["25%"], q["75%"], q["97.5%"]]),
            hovertemplate=(
                "<b>%{customdata[0]}</b><br>median %{x:.1f}<br>50%: %{customdata[2]:.1f} to "
                "%{customdata[3]:.1f}<br>95%: %{customdata[1]:.1f} to %{customdata[4]:.1f}"
                "<extra></extra>"
            ),
        )
    )
    apply_layout(fig, x_title=x_title, look=look)
    fig.update_yaxes(tickvals=rows, ticktext=labels, autorange="reversed", showgrid=False)
    fig.update_layout(height=max(320, min(30 * len(labels) + 150, 900)))
    return fig


def probability_bars(
    names: Sequence[object],
    probabilities: Mapping[str, Sequence[float]],
    *,
    look: Look = Look(),
) -> go.Figure:
    """Grouped bars: one bar per group for each named probability (e.g. Pr(θ_j ≥ c), Pr(best))."""
    labels = safe_labels(names)
    fig = go.Figure()
    for k, (name, values) in enumerate(probabilities.items()):
        values = np.asarray(values, dtype=float)
        if values.shape != (len(labels),):
            raise ValueError(f"{name!r} needs one probability per group; got shape {values.shape}")
        fig.add_trace(
            go.Bar(
                x=labels,
                y=values,
                name=name,
                marker={"color": group_color(k * 3)},
                hovertemplate=f"<b>%{{x}}</b><br>{name} %{{y:.3f}}<extra></extra>",
            )
        )
    apply_layout(
        fig,
        x_title="school",
        y_title="posterior probability",
        look=look,
        height=360,
    )
    fig.update_layout(barmode="group")
    fig.update_yaxes(rangemode="tozero")
    return fig


def pairwise_heatmap(
    matrix,
    names: Sequence[object],
    *,
    look: Look = Look(),
) -> go.Figure:
    """Heatmap of P[j, k] = Pr(θ_j > θ_k | y): row j beats column k with that probability."""
    labels = safe_labels(names)
    n = len(labels)
    z = _as_matrix(matrix, n, n, "matrix").copy()
    np.fill_diagonal(z, 0.5)  # a school against itself: neutral colour, no number
    text = np.array([[f"{v:.2f}" for v in row] for row in z], dtype=object)
    np.fill_diagonal(text, "")
    hover = np.array(
        [
            [
                f"Pr(θ<sub>{labels[j]}</sub> > θ<sub>{labels[k]}</sub> | y) = {z[j, k]:.3f}"
                if j != k
                else labels[j]
                for k in range(n)
            ]
            for j in range(n)
        ],
        dtype=object,
    )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=labels,
            y=labels,
            zmin=0,
            zmax=1,
            colorscale=PROBABILITY_SCALE,
            text=text if n <= 15 else None,
            texttemplate="%{text}" if n <= 15 else None,
            textfont={"size": font_size(look.large_fonts) - 2},
            customdata=hover,
            hovertemplate="%{customdata}<extra></extra>",
            # the title along the bar, right of its ticks: above it, it ran into the top tick
            colorbar={"title": {"text": "Pr(row > column)", "side": "right"}},
        )
    )
    apply_layout(
        fig,
        x_title="school k (column)",
        y_title="school j (row)",
        look=look,
        height=max(360, min(40 * n + 160, 900)),
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(side="bottom")
    return fig


def predictive_plot(
    theta_new: Sequence[float],
    y_new: Sequence[float],
    *,
    sigma_new: float,
    x_title: str = "effect",
    bins: int = 60,
    look: Look = Look(),
) -> go.Figure:
    """Posterior predictive of a new group: its true effect θ̃ and its estimate ỹ, shared bins.

    Both histograms are densities of all draws over the central 99.6% of ỹ, so the wider
    spread of ỹ (θ̃ plus measurement error σ̃) shows directly.
    """
    theta_new = np.asarray(theta_new, dtype=float)
    y_new = np.asarray(y_new, dtype=float)
    lo, hi = np.quantile(y_new, [0.002, 0.998])
    fig = go.Figure()
    for values, name, color in (
        (y_new, f"ỹ: its estimate, measured with σ = {sigma_new:g}", DATA),
        (theta_new, "θ̃: its true effect", PARTIAL_POOLING),
    ):
        centres, dens = density_histogram(values, lower=lo, upper=hi, bins=bins)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=dens,
                width=(hi - lo) / bins,
                name=name,
                opacity=0.55,
                marker={"color": color},
                hovertemplate=f"{name}<br>%{{x:.1f}}<br>density %{{y:.4f}}<extra></extra>",
            )
        )
    y_title = "posterior predictive density"
    return overlay_layout(fig, look=look, x_title=x_title, y_title=y_title, height=380)


def density_histogram(
    values, *, upper: float, lower: float = 0.0, bins: int = 60
) -> tuple[np.ndarray, np.ndarray]:
    """Histogram of draws on [lower, upper] as a density of *all* draws (the mass outside is
    left out, not spread over the shown bins), so it sits on the same scale as an exact density.

    Returns bin centres and densities, each shape (bins,).
    """
    values = np.asarray(values, dtype=float).ravel()
    if not upper > lower:
        raise ValueError(f"upper must exceed lower; got {lower} and {upper}")
    edges = np.linspace(lower, upper, bins + 1)
    counts, _ = np.histogram(values, bins=edges)
    return 0.5 * (edges[1:] + edges[:-1]), counts / (values.size * np.diff(edges))


def tau_marginal_comparison(
    draws: Mapping[str, Sequence[float]],
    tau_grid: Sequence[float],
    density: Sequence[float],
    *,
    x_max: float,
    bins: int = 60,
    exact_label: str = "exact p(τ | y)",
    look: Look = Look(),
) -> go.Figure:
    """NUTS draws of τ as histograms (one per fit) with the exact p(τ | y) drawn over them."""
    fig = go.Figure()
    width = x_max / bins
    for k, (name, values) in enumerate(draws.items()):
        centres, dens = density_histogram(values, upper=x_max, bins=bins)
        fig.add_trace(
            go.Bar(
                x=centres,
                y=dens,
                width=width,
                name=name,
                opacity=0.5,
                marker={"color": COMPARISON[k % 2]},
                hovertemplate=f"<b>{name}</b><br>τ %{{x:.1f}}<br>density %{{y:.4f}}<extra></extra>",
            )
        )
    fig.add_trace(
        _tau_density(
            tau_grid, density, x_max, name=exact_label, color=EXACT, width=2.5, hover="exact<br>"
        )
    )
    overlay_layout(fig, look=look, x_title="τ (points)", y_title="posterior density", height=380)
    fig.update_xaxes(range=[0, x_max])
    return fig


def funnel_plot(
    fits: Mapping[str, tuple[Sequence[float], Sequence[float], Sequence[bool]]],
    *,
    group_label: str,
    x_title: str = "θ of school {group} (points)",
    y_title: str = "τ (points, log scale)",
    hover: tuple[str, str] = ("θ<sub>{group}</sub>", "τ"),
    look: Look = Look(),
) -> go.Figure:
    """θ_j against τ (log scale) for each fit side by side, divergent transitions highlighted.

    ``fits`` maps a name to (theta_j draws, tau draws, diverging flags), each flattened over
    chains. The centered form's divergences gather in the neck of the funnel, at small τ.
    ``x_title`` (after each fit's name), ``y_title`` and the hover's two names (``hover``) are
    our text; ``{group}`` in them stands for ``group_label`` (user text, escaped), so the same
    figure draws any location against its scale (e.g. μ_i against σ_i).
    """
    names = list(fits)
    fig = make_subplots(rows=1, cols=len(names), shared_yaxes=True, horizontal_spacing=0.06)
    label = safe_labels([group_label])[0]
    x_name, y_name = (name.format(group=label) for name in hover)
    for col, name in enumerate(names, start=1):
        theta, tau, diverging = (np.asarray(a).ravel() for a in fits[name])
        diverging = diverging.astype(bool)
        for mask, color, legend, size in (
            (~diverging, DRAWS, "draw", 4),  # the divergent ones are drawn on top
            (diverging, DIVERGENT, "divergent transition", 8),
        ):
            fig.add_trace(
                go.Scattergl(
                    # single precision: what a marker's place needs, half the bytes to send
                    x=theta[mask].astype(np.float32),
                    y=tau[mask].astype(np.float32),
                    mode="markers",
                    name=legend,
                    legendgroup=legend,
                    showlegend=col == 1,
                    marker={"color": color, "size": size, "opacity": 0.6 if size == 4 else 0.9},
                    hovertemplate=(
                        f"{name}<br>{x_name} %{{x:.1f}}<br>{y_name} %{{y:.2f}}<extra></extra>"
                    ),
                ),
                row=1,
                col=col,
            )
        fig.update_xaxes(title_text=f"{name}: {x_title.format(group=label)}", row=1, col=col)
    apply_layout(fig, look=look, height=420)
    fig.update_yaxes(type="log", dtick=1)  # a tick per power of ten
    fig.update_yaxes(title_text=y_title, row=1, col=1)
    return fig
