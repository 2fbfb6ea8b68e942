"""Prior and posterior predictive figures: intervals per group with the observed value marked,
Beta curves drawn from a prior, the rates a prior implies, a predictive pmf of counts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hbviz.plots import style
from hbviz.plots.common import interval_plot, row_marks
from hbviz.plots.style import Look

OBSERVED = style.OKABE_ITO["black"]  # the observed value, marked over what was predicted


def predictive_intervals(
    table: pd.DataFrame,
    *,
    theta_label: str,
    y_label: str,
    observed_label: str = "observed y_j",
    x_title: str = "value",
    look: Look = Look(),
) -> go.Figure:
    """One row per group: the 95% interval and median of θ_j and of a replicated ỹ_j, with the
    observed y_j marked (a diamond).

    ``table`` is indexed by group with columns ``y``, ``θ 2.5%``, ``θ 50%``, ``θ 97.5%``,
    ``ỹ 2.5%``, ``ỹ 50%``, ``ỹ 97.5%`` (``hbviz.predictive.predictive_table``); a row whose ``y``
    is NaN (a new group) has no observed value.
    """
    missing = [c for c in ("y", "θ 50%", "ỹ 50%") if c not in table.columns]
    if missing:
        raise ValueError(f"table has no column {missing[0]!r}; it has {list(table.columns)}")
    groups = [str(g) for g in table.index]
    tidy = pd.concat(
        [
            pd.DataFrame(
                {
                    "group": groups,
                    "series": label,
                    "estimate": table[f"{symbol} 50%"].to_numpy(float),
                    "lower": table[f"{symbol} 2.5%"].to_numpy(float),
                    "upper": table[f"{symbol} 97.5%"].to_numpy(float),
                }
            )
            for symbol, label in (("θ", theta_label), ("ỹ", y_label))
        ],
        ignore_index=True,
    )
    colors = {theta_label: style.PARTIAL_POOLING, y_label: style.DATA}
    fig = interval_plot(
        tidy,
        series="series",
        colors=colors,
        x_title=x_title,
        interval_label="95% interval",
        look=look,
    )
    y = table["y"].to_numpy(float)
    shown = np.isfinite(y)
    return row_marks(
        fig,
        y[shown],
        np.flatnonzero(shown),
        name=observed_label,
        marker={"color": OBSERVED, "size": 12, "symbol": "diamond"},
        labels=np.asarray(groups)[shown],
    )


def beta_curves_plot(
    x: Sequence[float],
    curves: np.ndarray,
    *,
    curves_label: str,
    fixed: Mapping[str, Sequence[float]] | None = None,
    y_max: float = 10.0,
    x_title: str = "tumour rate θ",
    look: Look = Look(),
) -> go.Figure:
    """Thin Beta(α_k, β_k) densities, one per draw of (α, β), and bold ones for fixed priors.

    ``curves`` has shape (K, len(x)); ``fixed`` maps a name to one density on ``x`` (an
    empirical-Bayes prior). The density axis stops at ``y_max``: a Beta with α or β below 1 is
    infinite at 0 or 1.
    """
    x = np.asarray(x, dtype=float)
    curves = np.atleast_2d(np.asarray(curves, dtype=float))
    if curves.shape[1] != x.size:
        raise ValueError(f"curves must have {x.size} columns, one per x; got {curves.shape}")
    fig = go.Figure()
    # all thin curves as one trace, separated by gaps: one trace draws fast
    gap = np.full((curves.shape[0], 1), np.nan)
    fig.add_trace(
        go.Scatter(
            x=np.tile(np.append(x, np.nan), curves.shape[0]),
            y=np.hstack([np.minimum(curves, 10 * y_max), gap]).ravel(),
            mode="lines",
            name=curves_label,
            line={"color": style.DRAWS, "width": 1},
            opacity=0.6,
            hoverinfo="skip",
        )
    )
    for name, density in (fixed or {}).items():
        fig.add_trace(
            style.density_line(
                x,
                np.asarray(density, dtype=float),
                name=name,
                color=style.POPULATION,
                x_title=x_title,
                width=3.5,
            )
        )
    style.apply_layout(fig, x_title=x_title, y_title="density", look=look, height=360)
    fig.update_yaxes(range=[0, y_max])
    fig.update_xaxes(range=[0, 1])
    return fig


def rates_histogram(
    samples: Mapping[str, Sequence[float]],
    observed: Sequence[float],
    *,
    observed_label: str = "observed rates",
    x_title: str = "tumour rate θ",
    bins: int = 50,
    y_max: float | None = None,
    look: Look = Look(),
) -> go.Figure:
    """Histograms (densities on [0, 1]) of the rates each prior implies, with the observed rates
    marked as ticks under the axis. ``y_max`` cuts the density axis, so that a prior piling its
    mass at 0 or 1 does not flatten the others (the cut bars run off the top)."""
    fig = go.Figure()
    colors = (style.DRAWS, style.POPULATION, *style.GROUPS)
    for k, (name, draws) in enumerate(samples.items()):
        fig.add_trace(
            go.Histogram(
                x=np.asarray(draws, dtype=float),
                histnorm="probability density",
                xbins={"start": 0.0, "end": 1.0, "size": 1.0 / bins},
                name=name,
                opacity=0.55,
                marker={"color": colors[k % len(colors)]},
                hovertemplate=f"<b>{name}</b><br>rate %{{x}}<br>density %{{y:.3g}}<extra></extra>",
            )
        )
    rates = np.asarray(observed, dtype=float)
    tick = -0.06 * (y_max if y_max is not None else 1.0)  # the ticks sit just under the axis
    fig.add_trace(
        go.Scatter(
            x=rates,
            y=np.full(rates.size, tick),
            mode="markers",
            name=observed_label,
            marker={"color": OBSERVED, "symbol": "line-ns-open", "size": 16, "line": {"width": 2}},
            hovertemplate="observed rate %{x:.3f}<extra></extra>",
        )
    )
    style.overlay_layout(fig, look=look, x_title=x_title, y_title="density", height=360)
    fig.update_xaxes(range=[-0.01, 1.01])
    if y_max is not None:
        fig.update_yaxes(range=[2 * tick, y_max])
    return fig


def predictive_pmf_plot(
    pmfs: Mapping[str, Sequence[float]],
    *,
    observed_rate: float,
    observed_label: str,
    x_title: str = "rate ỹ / ñ in the new experiment",
    look: Look = Look(),
) -> go.Figure:
    """Predictive distributions of counts ỹ = 0…ñ, on the rate scale ỹ/ñ so that experiments of
    different sizes ñ share an axis: bars of height Pr(ỹ = k)·ñ (a density: each trace's bars
    have area 1), and the observed rate as a vertical line."""
    fig = go.Figure()
    colors = (style.PARTIAL_POOLING, style.DATA, *style.GROUPS)
    for k, (name, pmf) in enumerate(pmfs.items()):
        pmf = np.asarray(pmf, dtype=float)
        trials = pmf.size - 1
        if trials < 1:
            raise ValueError(f"{name}: a pmf needs at least 2 values (0 and 1 of 1 trial)")
        fig.add_trace(
            go.Bar(
                x=np.arange(trials + 1) / trials,
                y=pmf * trials,
                width=1.0 / trials,
                name=name,
                opacity=0.55,
                marker={"color": colors[k % len(colors)], "line": {"width": 0}},
                customdata=np.column_stack([np.arange(trials + 1), pmf]),
                hovertemplate=f"<b>{name}</b><br>ỹ = %{{customdata[0]}} of {trials}<br>"
                "Pr %{customdata[1]:.3f}<extra></extra>",
            )
        )
    style.reference_line(
        fig, observed_rate, name=f"{observed_label} {observed_rate:.3f}", color=OBSERVED, width=2
    )
    y_title = "predictive density (Pr(ỹ = k) × ñ)"
    return style.overlay_layout(fig, look=look, x_title=x_title, y_title=y_title, height=360)
