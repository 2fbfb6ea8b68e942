"""The eight-schools figure builders, checked as figure objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hbviz import estimate_tables, normal_normal
from hbviz.plots import eight_schools as figs
from hbviz.plots.style import LARGE_FONT, POOLING_COLORS, Look

NAMES = ["A", "B", "<b>C</b>"]
ESCAPED = ["A", "B", "&lt;b&gt;C&lt;/b&gt;"]
Y = np.array([28.0, 8.0, -3.0])
SIGMA = np.array([15.0, 10.0, 16.0])


@pytest.fixture(scope="module")
def post():
    return normal_normal.sample_posterior(Y, SIGMA, draws=2000, seed=3)


def finite_data(fig) -> None:
    """Every numeric x/y array in the figure is free of NaN."""
    for trace in fig.data:
        for axis in ("x", "y", "z"):
            values = getattr(trace, axis, None)
            if values is None:
                continue
            arr = np.asarray(values)
            if arr.dtype.kind in "fi":
                assert np.all(np.isfinite(arr)), (trace.name, axis)


def test_pooling_forest_has_three_series_side_by_side_and_the_pooled_mean(post):
    pooled, _ = normal_normal.complete_pooling(Y, SIGMA)
    table = estimate_tables.pooling_intervals(NAMES, Y, SIGMA, post.theta)
    fig = figs.pooling_forest(table, pooled_mean=pooled, x_title="effect (points)")
    names = [t.name for t in fig.data]
    assert names[:3] == ["no pooling", "complete pooling", "partial pooling"]
    assert names[3] == f"pooled mean {pooled:.1f}"
    assert fig.data[0].marker.color == POOLING_COLORS["no pooling"]
    assert fig.layout.xaxis.title.text == "effect (points)"
    assert list(fig.layout.yaxis.ticktext) == ESCAPED
    np.testing.assert_allclose(fig.data[0].x, Y)
    np.testing.assert_allclose(fig.data[1].x, pooled)
    finite_data(fig)


def test_tau_posterior_plot_marks_the_chosen_tau_and_clips_to_the_axis(post):
    fig = figs.tau_posterior_plot(post.tau_grid, post.tau_density, chosen_tau=7.5, x_max=30)
    curve, marker = fig.data
    assert max(curve.x) <= 30
    assert marker.x == (7.5,)
    assert marker.y[0] == pytest.approx(np.interp(7.5, post.tau_grid, post.tau_density))
    assert fig.layout.shapes[0].x0 == 7.5
    assert "τ" in fig.layout.xaxis.title.text and "points" in fig.layout.xaxis.title.text
    assert fig.layout.yaxis.title.text == "posterior density"
    finite_data(fig)
    with pytest.raises(ValueError, match="one length"):
        figs.tau_posterior_plot([0, 1, 2], [1, 2])


def test_conditional_plot_has_one_curve_per_school_labelled_apart():
    tau = np.linspace(0, 30, 61)
    cond = normal_normal.conditional_posterior(Y, SIGMA, tau)
    at = normal_normal.conditional_posterior(Y, SIGMA, 12.0)
    fig = figs.conditional_plot(
        tau,
        cond.theta_mean,
        NAMES,
        chosen_tau=12.0,
        chosen_values=at.theta_mean[0],
        y_title="E(θ_j | τ, y) (points)",
        look=Look(large_fonts=True),
    )
    assert [t.name for t in fig.data] == [*ESCAPED, "at τ = 12"]
    assert fig.layout.yaxis.title.text == "E(θ_j | τ, y) (points)"
    assert fig.layout.font.size == LARGE_FONT
    assert [a.text for a in fig.layout.annotations] == ESCAPED
    np.testing.assert_allclose(fig.data[-1].y, at.theta_mean[0])
    assert fig.layout.shapes[0].x0 == 12.0
    finite_data(fig)
    with pytest.raises(ValueError, match="shape"):
        figs.conditional_plot(tau, cond.theta_mean[:, :2], NAMES, y_title="x")


def test_labels_are_spread_to_the_minimum_gap_in_their_order():
    placed = figs._spread(np.array([1.0, 1.1, 5.0, 1.05]), min_gap=0.5)
    order = np.argsort(placed)
    assert list(order) == [0, 3, 1, 2]
    assert np.all(np.diff(np.sort(placed)) >= 0.5 - 1e-12)


def test_conditional_shrinkage_plot_draws_an_arrow_from_each_estimate():
    at = normal_normal.conditional_posterior(Y, SIGMA, 5.0)
    fig = figs.conditional_shrinkage_plot(
        Y, at.theta_mean[0], at.theta_sd[0], NAMES, tau=5.0, mu_hat=float(at.mu_mean[0])
    )
    raw, shrunk, mean_line = fig.data
    assert mean_line.name == f"E(μ | τ, y) = {at.mu_mean[0]:.1f}"
    np.testing.assert_allclose(raw.x, Y)
    np.testing.assert_allclose(shrunk.x, at.theta_mean[0])
    arrows = [a for a in fig.layout.annotations if a.showarrow]
    assert len(arrows) == 3
    for arrow, start, end in zip(arrows, Y, at.theta_mean[0], strict=True):
        assert (arrow.ax, arrow.x) == pytest.approx((start, end))
    assert list(fig.layout.yaxis.ticktext) == ESCAPED
    finite_data(fig)


def test_quantile_forest_reads_a_table_5_3_layout(post):
    table = estimate_tables.quantile_table(post, NAMES)
    fig = figs.quantile_forest(table, x_title="effect (points)")
    assert [t.name for t in fig.data] == ["95% interval", "50% interval", "median"]
    np.testing.assert_allclose(fig.data[2].x, table["50%"])
    np.testing.assert_allclose(
        np.asarray(fig.data[0].x) + np.asarray(fig.data[0].error_x.array), table["97.5%"]
    )
    assert list(fig.layout.yaxis.ticktext) == [*ESCAPED, "μ", "τ"]
    finite_data(fig)
    with pytest.raises(ValueError, match="no column '25%'"):
        figs.quantile_forest(table.drop(columns="25%"))


def test_probability_bars_and_pairwise_heatmap(post):
    probs = estimate_tables.probability_table(post.theta, NAMES, 28)
    fig = figs.probability_bars(
        NAMES, {"Pr(θ_j ≥ 28)": probs["p_above"], "Pr(best)": probs["p_best"]}
    )
    assert [t.name for t in fig.data] == ["Pr(θ_j ≥ 28)", "Pr(best)"]
    assert list(fig.data[0].x) == ESCAPED
    assert fig.layout.yaxis.title.text == "posterior probability"
    with pytest.raises(ValueError, match="one probability per group"):
        figs.probability_bars(NAMES, {"p": [0.1, 0.2]})

    from hbviz import summaries

    matrix = summaries.pairwise_greater(post.theta)
    heat = figs.pairwise_heatmap(matrix, NAMES)
    z = np.asarray(heat.data[0].z)
    assert np.all(np.isfinite(z))
    assert np.all(np.diag(z) == 0.5)
    assert z[0, 1] == pytest.approx(matrix[0, 1])
    assert "&lt;b&gt;" in heat.data[0].customdata[2][0]
    assert heat.layout.xaxis.title.text == "school k (column)"


def test_predictive_plot_and_histograms_are_densities_of_all_draws(post):
    pred = normal_normal.posterior_predictive(post, SIGMA, sigma_new=10.0, seed=1)
    fig = figs.predictive_plot(pred.theta_new, pred.y_new, sigma_new=10.0, x_title="effect")
    assert len(fig.data) == 2
    assert "σ = 10" in fig.data[0].name
    finite_data(fig)
    # the histogram of the central 99.6% of ỹ holds 99.6% of its mass
    y_bars = fig.data[0]
    width = y_bars.width
    assert np.sum(y_bars.y) * width == pytest.approx(0.996, abs=0.002)

    centres, dens = figs.density_histogram(np.array([0.5, 1.5, 1.6, 9.0]), upper=2.0, bins=2)
    np.testing.assert_allclose(centres, [0.5, 1.5])
    np.testing.assert_allclose(dens, [0.25, 0.5])  # 1 and 2 of 4 draws, bins of width 1
    with pytest.raises(ValueError, match="upper must exceed lower"):
        figs.density_histogram([1.0], upper=0.0)


def test_tau_marginal_comparison_and_funnel_plot(post):
    rng = np.random.default_rng(0)
    tau = np.abs(rng.standard_normal((2, 100))) * 5
    theta = rng.standard_normal((2, 100)) * 10
    diverging = np.zeros((2, 100), dtype=bool)
    diverging[0, :3] = True
    fig = figs.tau_marginal_comparison(
        {"NUTS, centered": tau, "NUTS, non-centered": tau},
        post.tau_grid,
        post.tau_density,
        x_max=30,
    )
    assert [t.name for t in fig.data] == ["NUTS, centered", "NUTS, non-centered", "exact p(τ | y)"]
    assert max(fig.data[2].x) <= 30
    assert fig.layout.xaxis.title.text == "τ (points)"
    finite_data(fig)

    funnel = figs.funnel_plot(
        {"centered": (theta, tau, diverging), "non-centered": (theta, tau, ~diverging)},
        group_label="<b>C</b>",
    )
    divergent = [t for t in funnel.data if t.name == "divergent transition"]
    assert [len(t.x) for t in divergent] == [3, 197]
    assert funnel.layout.yaxis.type == "log"
    assert "&lt;b&gt;C&lt;/b&gt;" in funnel.layout.xaxis.title.text
    assert funnel.layout.xaxis2.title.text.startswith("non-centered")
    finite_data(funnel)
    # any location against its scale: the titles and hover names are passed in
    other = figs.funnel_plot(
        {"no pooling": (theta, tau, diverging)},
        group_label="<b>1</b>",
        x_title="μ of observation {group}",
        y_title="σ (log scale)",
        hover=("μ<sub>{group}</sub>", "σ"),
    )
    assert other.layout.xaxis.title.text == "no pooling: μ of observation &lt;b&gt;1&lt;/b&gt;"
    assert other.layout.yaxis.title.text == "σ (log scale)"
    assert "μ<sub>&lt;b&gt;1&lt;/b&gt;</sub>" in other.data[0].hovertemplate


def test_builders_accept_a_data_frame_index_of_numbers(post):
    table = estimate_tables.quantile_table(post, [1, 2, 3])
    assert isinstance(table, pd.DataFrame)
    fig = figs.quantile_forest(table)
    assert list(fig.layout.yaxis.ticktext)[:3] == ["1", "2", "3"]


@pytest.mark.parametrize("large", [False, True])
@pytest.mark.parametrize("moment", ["theta_mean", "theta_sd"])
def test_figs_5_6_and_5_7_keep_their_right_edge_labels_a_line_apart(moment, large):
    """Issue 12: F/E/C and D/G/B overlapped at the right edge. A label is font-size × 1.3 pixels
    tall in a plot area of PLOT_AREA_PX; neighbours must be at least that far apart."""
    tau = np.linspace(0, 30, 61)
    values = getattr(normal_normal.conditional_posterior(Y, SIGMA, tau), moment)
    fig = figs.conditional_plot(tau, values, NAMES, y_title="v", look=Look(large_fonts=large))
    ys = np.sort([a.y for a in fig.layout.annotations])
    pixels_per_unit = figs.PLOT_AREA_PX / np.ptp(values)
    assert np.diff(ys).min() * pixels_per_unit >= 1.3 * fig.layout.font.size - 1e-9


def test_the_chosen_tau_markers_are_whole_at_tau_zero():
    tau = np.linspace(0, 30, 61)
    cond = normal_normal.conditional_posterior(Y, SIGMA, tau)
    at = normal_normal.conditional_posterior(Y, SIGMA, 0.0)
    fig = figs.conditional_plot(
        tau, cond.theta_mean, NAMES, chosen_tau=0.0, chosen_values=at.theta_mean[0], y_title="v"
    )
    assert fig.data[-1].x[0] == fig.layout.xaxis.range[0] == 0.0
    assert fig.data[-1].cliponaxis is False  # not cut in half by the axis


def test_the_heat_map_colour_bar_title_runs_beside_its_ticks(post):
    from hbviz import summaries

    fig = figs.pairwise_heatmap(summaries.pairwise_greater(post.theta), NAMES)
    assert fig.data[0].colorbar.title.side == "right"
