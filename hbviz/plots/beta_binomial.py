"""Figures for the Beta–binomial pages: rat tumors (BDA3 §5.1–5.3) and free throws."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from scipy import stats

from hbviz.plots import style
from hbviz.plots.common import shrinkage_plot
from hbviz.plots.style import Look

# One colour per way of estimating a group's rate, the same on both pages.
METHOD_COLORS = {
    "independent": style.NO_POOLING,
    "raw": style.NO_POOLING,
    "empirical Bayes": style.POPULATION,
    "full Bayes": style.PARTIAL_POOLING,
    "hierarchical": style.PARTIAL_POOLING,
}


def _check_same_length(**arrays: np.ndarray) -> int:
    sizes = {name: np.asarray(values).shape[0] for name, values in arrays.items()}
    if len(set(sizes.values())) != 1:
        raise ValueError(f"these must have one entry per group: {sizes}")
    return next(iter(sizes.values()))


# ---------------------------------------------------------------------------------------------
# Free throws


def _density_layout(fig: go.Figure, *, x_title: str, look: Look, height: int) -> go.Figure:
    """The house layout of a posterior-density figure: the density axis starts at zero."""
    style.apply_layout(fig, x_title=x_title, y_title="posterior density", look=look)
    fig.update_yaxes(rangemode="tozero")
    fig.update_layout(height=height)
    return fig


def group_densities(
    x: Sequence[float],
    density: np.ndarray,
    names: Sequence[object],
    *,
    highlight: int | None = None,
    x_title: str = "θ (probability)",
    look: Look = Look(),
) -> go.Figure:
    """One density curve per group on a shared grid; the highlighted group drawn bold and filled.

    Parameters
    ----------
    x : array, shape (G,)
        The θ grid every curve shares.
    density : array, shape (J, G)
        Row j is group j's density on ``x``.
    names : sequence of J group names
        Shown as typed (markup is escaped).
    highlight : int, optional
        Index of the group to emphasise (e.g. "this season").
    """
    x = np.asarray(x, dtype=float)
    density = np.asarray(density, dtype=float)
    labels = style.safe_labels(names)
    if density.shape != (len(labels), x.size):
        raise ValueError(
            f"density must have shape (groups, grid points) = ({len(labels)}, {x.size}); "
            f"got {density.shape}"
        )
    fig = go.Figure()
    others = iter(style.GROUPS_BESIDE_METHODS * (len(labels) // 4 + 1))
    for j, label in enumerate(labels):
        bold = j == highlight
        # none of the methods' colours (METHOD_COLORS), which the next plots use
        color = style.CHOSEN_GROUP if bold else next(others)
        fig.add_trace(
            go.Scatter(
                x=x,
                y=density[j],
                mode="lines",
                name=label + (" (this)" if bold else ""),
                line={"color": color, "width": 4 if bold else 2},
                fill="tozeroy" if bold else None,
                opacity=1 if bold or highlight is None else 0.8,
                hovertemplate=f"<b>{label}</b><br>θ "
                + "%{x:.3f}<br>density %{y:.3g}<extra></extra>",
            )
        )
    return _density_layout(fig, x_title=x_title, look=look, height=380)


def comparison_bars(
    table: pd.DataFrame,
    *,
    labels: Sequence[object] | None = None,
    colors: Mapping[str, str] | None = None,
    x_title: str = "posterior probability",
    y_title: str | None = None,
    look: Look = Look(),
) -> go.Figure:
    """Horizontal bars: one row per question (table index), one bar per model (table column).

    ``labels`` are short row labels for the axis (e.g. "> 2012-2013"); the hover text always
    names the full question from the table's index.
    """
    if table.empty:
        raise ValueError("the comparison table is empty")
    questions = style.safe_labels(table.index)
    rows = questions if labels is None else style.safe_labels(labels)
    if len(rows) != len(questions):
        raise ValueError(f"got {len(rows)} labels for {len(questions)} questions")
    fig = go.Figure()
    for k, model in enumerate(table.columns):
        values = table[model].to_numpy(dtype=float)
        fig.add_trace(
            go.Bar(
                x=values,
                y=rows,
                orientation="h",
                name=str(model),
                marker={"color": (colors or {}).get(model, style.group_color(k))},
                text=[f"{v:.3f}" for v in values],
                textposition="outside",
                cliponaxis=False,
                customdata=questions,
                hovertemplate=f"<b>%{{customdata}}</b><br>{model}: " + "%{x:.3f}<extra></extra>",
            )
        )
    style.apply_layout(
        fig,
        x_title=x_title,
        y_title=None if y_title is None else style.safe_labels([y_title])[0],
        look=look,
    )
    # room to the right of a bar at 1 for its "0.999" label
    fig.update_xaxes(range=[0, 1.22], tickvals=[0, 0.25, 0.5, 0.75, 1])
    fig.update_yaxes(autorange="reversed")
    fig.update_layout(
        barmode="group", height=max(300, 80 * len(questions) + 120), uniformtext_minsize=8
    )
    return fig


def shrinkage_between_models(
    independent: Sequence[float],
    hierarchical: Sequence[float],
    names: Sequence[object],
    *,
    population_mean: float,
    weight: Sequence[float],
    complete_pooling: float | None = None,
    weight_label: str = "attempts",
    value_title: str = "posterior mean of θ",
    population_label: str = "population mean E(α/(α+β) | y)",
    look: Look = Look(),
) -> go.Figure:
    """``common.shrinkage_plot`` from the independent to the hierarchical posterior means.

    ``population_mean`` is E(α/(α+β) | y) (named ``population_label``: on the logit scale,
    E(log(α/β) | y)); ``complete_pooling`` (Σy/Σn), when given, gets its own line.
    """
    return shrinkage_plot(
        independent,
        hierarchical,
        names,
        population_mean=population_mean,
        population_label=population_label,
        complete_pooling=complete_pooling,
        weight=weight,
        weight_label=weight_label,
        raw_label="independent",
        pooled_label="hierarchical",
        value_title=value_title,
        look=look,
    )


# ---------------------------------------------------------------------------------------------
# Rat tumors


def hyperparameter_contour(
    log_ratio: Sequence[float],
    log_total: Sequence[float],
    density: np.ndarray,
    *,
    draws_log_ratio: Sequence[float] | None = None,
    draws_log_total: Sequence[float] | None = None,
    levels: Sequence[float] = (0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95),
    crop_below: float = 1e-3,
    look: Look = Look(),
) -> go.Figure:
    """Contours of p(log(α/β), log(α+β) | y) with posterior draws over them (BDA3 Fig. 5.3).

    Parameters
    ----------
    log_ratio : array, shape (A,)
        Grid of log(α/β) (the x axis).
    log_total : array, shape (B,)
        Grid of log(α+β) (the y axis).
    density : array, shape (B, A)
        Posterior density (any scale) on the grid; rows follow ``log_total``.
    draws_log_ratio, draws_log_total : arrays, shape (S,), optional
        Posterior draws drawn as dots.
    levels : contour levels as fractions of the density's maximum (BDA3 uses 0.05, 0.15, …).
    crop_below : the axes show the box where the density exceeds this fraction of its maximum
        (a grid that covers all the mass is much larger than the region worth looking at).
    """
    x = np.asarray(log_ratio, dtype=float)
    y = np.asarray(log_total, dtype=float)
    z = np.asarray(density, dtype=float)
    if z.shape != (y.size, x.size):
        raise ValueError(
            f"density must have shape (len(log_total), len(log_ratio)) = ({y.size}, {x.size}); "
            f"got {z.shape}"
        )
    top = float(np.nanmax(z))
    if not np.isfinite(top) or top <= 0:
        raise ValueError("the density must have a positive finite maximum")
    z = z / top
    rows = np.flatnonzero(np.any(z >= crop_below, axis=1))
    cols = np.flatnonzero(np.any(z >= crop_below, axis=0))
    y_range = _padded(y[rows[0]], y[rows[-1]])
    x_range = _padded(x[cols[0]], x[cols[-1]])
    levels = sorted(float(v) for v in levels)
    fig = go.Figure()
    fig.add_trace(
        go.Contour(
            x=x,
            y=y,
            z=z,
            contours={
                "start": levels[0],
                "end": levels[-1],
                "size": (levels[-1] - levels[0]) / max(len(levels) - 1, 1),
                "coloring": "lines",
                "showlabels": False,
            },
            colorscale=style.DENSITY_SCALE,
            line={"width": 1.5},
            showscale=False,
            name="p(log(α/β), log(α+β) | y)",
            showlegend=True,
            hovertemplate="log(α/β) %{x:.2f}<br>log(α+β) %{y:.2f}<br>"
            "density / max %{z:.2f}<extra></extra>",
        )
    )
    if draws_log_ratio is not None and draws_log_total is not None:
        dx = np.asarray(draws_log_ratio, dtype=float)
        dy = np.asarray(draws_log_total, dtype=float)
        _check_same_length(draws_log_ratio=dx, draws_log_total=dy)
        fig.add_trace(
            go.Scattergl(
                x=dx,
                y=dy,
                mode="markers",
                name=f"{dx.size:,} posterior draws",
                marker={"color": style.DRAWS_ON_DENSITY, "size": 3, "opacity": 0.35},
                hovertemplate="draw<br>log(α/β) %{x:.2f}<br>log(α+β) %{y:.2f}<extra></extra>",
            )
        )
    style.apply_layout(
        fig,
        x_title="log(α/β): logit of the mean rate",
        y_title="log(α+β): log prior sample size",
        look=look,
        height=480,
    )
    fig.update_xaxes(range=x_range)
    fig.update_yaxes(range=y_range)
    return fig


def _padded(low: float, high: float, fraction: float = 0.08) -> list[float]:
    pad = fraction * max(high - low, 1e-9)
    return [float(low - pad), float(high + pad)]


def historical_rates(
    rates: Sequence[float],
    *,
    prior_alpha: float,
    prior_beta: float,
    bins: int = 20,
    x_title: str = "tumor rate y_j / n_j",
    look: Look = Look(),
) -> go.Figure:
    """Histogram of the historical rates with the Beta prior fitted to them (empirical Bayes)."""
    rates = np.asarray(rates, dtype=float)
    if rates.size == 0 or not np.all(np.isfinite(rates)):
        raise ValueError("rates must be a non-empty array of finite numbers")
    if not (prior_alpha > 0 and prior_beta > 0):
        raise ValueError(f"prior parameters must be > 0; got {prior_alpha}, {prior_beta}")
    top = max(float(rates.max()), float(stats.beta.ppf(0.995, prior_alpha, prior_beta)))
    x = np.linspace(top / 400, top, 400)
    fig = go.Figure()
    fig.add_trace(
        go.Histogram(
            x=rates,
            histnorm="probability density",
            xbins={"start": 0, "end": top, "size": top / bins},
            name=f"{rates.size} historical rates",
            marker={"color": style.OBSERVED_RATES, "line": {"color": "white", "width": 1}},
            opacity=0.8,
            hovertemplate="rates %{x}<br>density %{y:.3g}<extra></extra>",
        )
    )
    label = f"fitted prior Beta({prior_alpha:.1f}, {prior_beta:.1f})"
    fig.add_trace(
        go.Scatter(
            x=x,
            y=stats.beta.pdf(x, prior_alpha, prior_beta),
            mode="lines",
            name=label,
            line={"color": METHOD_COLORS["empirical Bayes"], "width": 3},
            hovertemplate=f"<b>{label}</b><br>rate "
            + "%{x:.3f}<br>density %{y:.3g}<extra></extra>",
        )
    )
    style.apply_layout(fig, x_title=x_title, y_title="density", look=look)
    fig.update_layout(height=330, bargap=0)
    fig.update_xaxes(range=[0, top])
    return fig


def current_posteriors(
    x: Sequence[float],
    curves: Mapping[str, Sequence[float]],
    *,
    observed_rate: float | None = None,
    colors: Mapping[str, str] | None = None,
    dashes: Mapping[str, str] | None = None,
    x_title: str = "θ (tumor probability)",
    look: Look = Look(),
) -> go.Figure:
    """Posterior densities of one group's θ under several analyses, with the raw rate y/n marked.

    Parameters
    ----------
    x : array, shape (G,)
        Grid of θ values.
    curves : mapping analysis name → density on ``x``, shape (G,)
    observed_rate : y/n, drawn as a dashed vertical line
    """
    x = np.asarray(x, dtype=float)
    fig = go.Figure()
    for k, (name, density) in enumerate(curves.items()):
        density = np.asarray(density, dtype=float)
        if density.shape != x.shape:
            raise ValueError(f"curve {name!r} has shape {density.shape}; expected {x.shape}")
        label = style.safe_labels([name])[0]
        color, dash = (
            (colors or {}).get(name, style.group_color(k)),
            (dashes or {}).get(name, "solid"),
        )
        fig.add_trace(
            style.density_line(
                x, density, name=label, color=color, x_title="θ", x_format=".3f", width=3, dash=dash
            )
        )
    if observed_rate is not None:
        style.reference_line(
            fig,
            float(observed_rate),
            dash="dot",
            width=2,
            label=f"y/n = {observed_rate:.3f}",
            look=look,
        )
    return _density_layout(fig, x_title=x_title, look=look, height=400)


def spread_ties(values: Sequence[float], *, width: float) -> np.ndarray:
    """Offsets that spread equal values side by side (centred, ``width`` apart), 0 for singletons.

    Deterministic, unlike random jitter, so a figure looks the same on every rerun.
    """
    values = np.asarray(values, dtype=float)
    offsets = np.zeros(values.shape)
    rounded = np.round(values, 12)
    for value in np.unique(rounded):
        where = np.flatnonzero(rounded == value)
        if where.size > 1:
            offsets[where] = (np.arange(where.size) - (where.size - 1) / 2) * width
    return offsets


def intervals_against_observed(
    observed: Sequence[float],
    median: Sequence[float],
    lower: Sequence[float],
    upper: Sequence[float],
    names: Sequence[object],
    *,
    successes: Sequence[int] | None = None,
    trials: Sequence[int] | None = None,
    highlight: int | None = None,
    jitter: float = 0.0025,
    interval_label: str = "95% posterior interval",
    x_title: str = "observed rate y_j / n_j (ties spread sideways)",
    y_title: str = "posterior θ_j (median and interval)",
    look: Look = Look(),
) -> go.Figure:
    """Posterior medians and intervals of every group against its observed rate (BDA3 Fig. 5.4).

    Points under the 45° line were pulled down toward the population, points above it up. Groups
    with equal observed rates (many rat experiments have 0/n) are spread ``jitter`` apart
    sideways, and the hover text gives each group's numbers.

    Parameters
    ----------
    observed, median, lower, upper : arrays, shape (J,)
    names : J group names
    successes, trials : arrays, shape (J,), optional, shown in the hover text
    highlight : index of a group drawn in its own colour (the current experiment)
    """
    observed = np.asarray(observed, dtype=float)
    median = np.asarray(median, dtype=float)
    lower = np.asarray(lower, dtype=float)
    upper = np.asarray(upper, dtype=float)
    labels = style.safe_labels(names)
    size = _check_same_length(
        observed=observed, median=median, lower=lower, upper=upper, names=np.asarray(labels)
    )
    y = np.zeros(size) if successes is None else np.asarray(successes)
    n = np.zeros(size) if trials is None else np.asarray(trials)
    counts = (
        [f"{int(a)}/{int(b)}" for a, b in zip(y, n, strict=True)]
        if successes is not None and trials is not None
        else [f"{v:.3f}" for v in observed]
    )
    x = observed + spread_ties(observed, width=jitter)
    fig = go.Figure()
    top = float(max(np.max(upper), np.max(observed)))
    bottom = min(0.0, float(np.min(lower)), float(np.min(observed)))  # < 0 on the logit scale
    fig.add_trace(
        go.Scatter(
            x=[bottom, top],
            y=[bottom, top],
            mode="lines",
            name="45° line: posterior = observed (no pooling)",
            line={"color": style.REFERENCE, "dash": "dash", "width": 1.5},
            hoverinfo="skip",
        )
    )
    groups = np.ones(size, dtype=bool)
    if highlight is not None:
        groups[highlight] = False
    for mask, name, color in (
        (groups, "historical experiments", style.PARTIAL_POOLING),
        (~groups, "current experiment", style.CURRENT),
    ):
        if not mask.any():
            continue
        fig.add_trace(
            go.Scatter(
                x=x[mask],
                y=median[mask],
                mode="markers",
                name=f"{name}: posterior median and {interval_label}",
                marker={
                    "color": color,
                    "size": 7 if name.startswith("hist") else 11,
                    "symbol": "circle" if name.startswith("hist") else "diamond",
                },
                error_y=style.interval_bars(
                    median[mask], lower[mask], upper[mask], color=color, thickness=1.2
                ),
                # A list of rows keeps the numbers numeric, so the hover can format them.
                customdata=[
                    [labels[j], counts[j], observed[j], lower[j], upper[j]]
                    for j in np.flatnonzero(mask)
                ],
                hovertemplate=(
                    "<b>%{customdata[0]}</b><br>observed %{customdata[1]} = %{customdata[2]:.3f}<br>"
                    "posterior median %{y:.3f}<br>"
                    + interval_label
                    + " %{customdata[3]:.3f} to %{customdata[4]:.3f}<extra></extra>"
                ),
            )
        )
    style.apply_layout(
        fig,
        x_title=x_title,
        y_title=y_title,
        look=look,
        height=520,
    )
    return fig
