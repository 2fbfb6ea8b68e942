"""Figures of the "Your data" page: p(τ | y) in the data's units, a sorted forest plot that
summarizes large data, and the groups most likely to be best."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from hbviz.plots import beta_binomial, eight_schools
from hbviz.plots.common import interval_plot
from hbviz.plots.style import PARTIAL_POOLING, Look, apply_layout, safe_labels

# A forest plot past this many rows stops being read row by row; the page shows this many, in
# the order the user chose, and leaves the rest to the table and the download.
FOREST_ROWS = 40
TOP_BARS = 15


def tau_posterior(
    tau_grid, density, *, value_title: str, x_max: float | None = None, look: Look = Look()
) -> go.Figure:
    """p(τ | y) (BDA3 Fig. 5.5) with the x axis named in the data's units."""
    return eight_schools.tau_posterior_plot(
        tau_grid,
        density,
        x_max=x_max,
        x_title=f"τ, sd of the true group values ({value_title})",
        look=look,
    )


def hyperparameter_posterior(posterior, *, value_title: str, look: Look = Look()) -> go.Figure:
    """The population's posterior: p(log(α/β), log(α+β) | y) with draws (BDA3 Fig. 5.3) for a
    ``BetaBinomialPosterior``, p(τ | y) (Fig. 5.5) for a ``NormalPosterior``."""
    if hasattr(posterior, "tau_grid"):
        x_max = float(np.quantile(posterior.tau, 0.995)) * 1.2
        return tau_posterior(
            posterior.tau_grid,
            posterior.tau_density,
            value_title=value_title,
            x_max=x_max,
            look=look,
        )
    return beta_binomial.hyperparameter_contour(
        posterior.logit_mean,
        posterior.log_size,
        posterior.density,
        draws_log_ratio=posterior.draws_logit_mean[:1000],
        draws_log_total=posterior.draws_log_size[:1000],
        look=look,
    )


def posterior_forest(
    table: pd.DataFrame,
    *,
    x_title: str,
    rows: int = FOREST_ROWS,
    reference: float | None = None,
    reference_label: str = "population mean",
    look: Look = Look(),
) -> go.Figure:
    """Posterior median and 95% interval of the first ``rows`` groups of ``table`` (in its order).

    ``reference`` (e.g. E(μ | y)) is drawn as a dashed line named ``reference_label``.

    ``table`` is indexed by group with columns ``50%``, ``2.5%`` and ``97.5%``
    (``summaries.posterior_quantiles``).
    """
    for column in ("50%", "2.5%", "97.5%"):
        if column not in table.columns:
            raise ValueError(f"table has no column {column!r}; it has {list(table.columns)}")
    shown = table.iloc[:rows]
    tidy = pd.DataFrame(
        {
            "group": shown.index.astype(str),
            "estimate": shown["50%"].to_numpy(),
            "lower": shown["2.5%"].to_numpy(),
            "upper": shown["97.5%"].to_numpy(),
        }
    )
    return interval_plot(
        tidy,
        x_title=x_title,
        name="posterior median, 95% interval",
        interval_label="95% posterior interval",
        reference=reference,
        reference_label=None if reference is None else reference_label,
        look=look,
    )


def best_bars(names, p_best, *, top: int = TOP_BARS, look: Look = Look()) -> go.Figure:
    """Pr(group is best | y) for the ``top`` most likely groups, largest first."""
    p = np.asarray(p_best, dtype=float)
    labels = np.asarray(safe_labels(names), dtype=object)
    if p.shape != labels.shape:
        raise ValueError(f"got {labels.size} names for {p.size} probabilities")
    order = np.argsort(-p, kind="stable")[:top]
    fig = go.Figure(
        go.Bar(
            x=p[order],
            y=labels[order],
            orientation="h",
            name="Pr(best | y)",
            marker={"color": PARTIAL_POOLING},
            hovertemplate="<b>%{y}</b><br>Pr(best) %{x:.3f}<extra></extra>",
        )
    )
    apply_layout(
        fig,
        x_title="Pr(group has the largest true value | y)",
        look=look,
        height=max(300, 26 * len(order) + 120),
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(rangemode="tozero")
    return fig
