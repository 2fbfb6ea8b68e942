"""Figures of the Beta–binomial pages, checked as figure objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from hbviz.plots import beta_binomial as plots
from hbviz.plots.style import LARGE_FONT, Look


def finite(values) -> bool:
    return bool(np.all(np.isfinite(np.asarray(values, dtype=float))))


def test_group_densities_one_curve_per_group_highlight_bold_and_names_escaped():
    x = np.linspace(0.01, 0.99, 50)
    density = stats.beta.pdf(x[None, :], [[26], [42]], [[22], [53]])
    fig = plots.group_densities(
        x, density, ["2014", "<b>x</b>"], highlight=1, look=Look(large_fonts=True)
    )
    assert [t.name for t in fig.data] == ["2014", "&lt;b&gt;x&lt;/b&gt; (this)"]
    assert fig.data[1].line.width > fig.data[0].line.width
    assert fig.data[1].fill == "tozeroy"
    assert fig.layout.xaxis.title.text.startswith("θ")
    assert fig.layout.yaxis.title.text == "posterior density"
    assert fig.layout.font.size == LARGE_FONT
    assert all(finite(t.y) for t in fig.data)


def test_group_densities_rejects_a_mismatched_grid():
    with pytest.raises(ValueError, match="shape"):
        plots.group_densities(np.linspace(0, 1, 5), np.ones((2, 4)), ["a", "b"])


def test_comparison_bars_one_bar_series_per_model_with_readable_values():
    table = pd.DataFrame(
        {"independent": [0.9, 0.95], "hierarchical": [0.7, 0.8]},
        index=pd.Index(["Pr(θ a > θ b)", "Pr(a is best)"], name="question"),
    )
    fig = plots.comparison_bars(table, colors=plots.METHOD_COLORS)
    assert [t.name for t in fig.data] == ["independent", "hierarchical"]
    assert list(fig.data[0].text) == ["0.900", "0.950"]
    assert fig.data[1].marker.color == plots.METHOD_COLORS["hierarchical"]
    assert fig.layout.xaxis.title.text == "posterior probability"
    assert fig.layout.xaxis.range[0] == 0 and fig.layout.xaxis.range[1] > 1
    with pytest.raises(ValueError, match="empty"):
        plots.comparison_bars(table.iloc[:0])
    short = plots.comparison_bars(table, labels=["> b", "best of all"], y_title="θ <a> is")
    assert list(short.data[0].y) == ["&gt; b", "best of all"]
    assert list(short.data[0].customdata) == ["Pr(θ a &gt; θ b)", "Pr(a is best)"]
    assert short.layout.yaxis.title.text == "θ &lt;a&gt; is"
    with pytest.raises(ValueError, match="labels"):
        plots.comparison_bars(table, labels=["only one"])


def test_hyperparameter_contour_scales_density_and_draws_points():
    lr = np.linspace(-2.5, -1, 30)
    lt = np.linspace(1, 5, 40)
    z = np.exp(-((lr[None, :] + 1.8) ** 2) - (lt[:, None] - 2.7) ** 2) * 1e-7
    rng = np.random.default_rng(0)
    fig = plots.hyperparameter_contour(
        lr,
        lt,
        z,
        draws_log_ratio=rng.normal(-1.8, 0.2, 100),
        draws_log_total=rng.normal(2.7, 0.4, 100),
    )
    assert [t.type for t in fig.data] == ["contour", "scattergl"]
    assert np.isclose(np.max(fig.data[0].z), 1.0)
    assert fig.data[1].name == "100 posterior draws"
    assert fig.layout.xaxis.title.text.startswith("log(α/β)")
    assert fig.layout.yaxis.title.text.startswith("log(α+β)")
    with pytest.raises(ValueError, match="shape"):
        plots.hyperparameter_contour(lr, lt, z.T)
    with pytest.raises(ValueError, match="positive"):
        plots.hyperparameter_contour(lr, lt, np.zeros_like(z))


def test_current_posteriors_draws_each_curve_and_the_observed_rate():
    x = np.linspace(0.001, 0.999, 200)
    curves = {
        "raw": stats.beta.pdf(x, 5, 11),
        "empirical Bayes": stats.beta.pdf(x, 5.4, 18.6),
    }
    fig = plots.current_posteriors(x, curves, observed_rate=4 / 14, colors=plots.METHOD_COLORS)
    assert [t.name for t in fig.data] == ["raw", "empirical Bayes"]
    assert fig.data[1].line.color == plots.METHOD_COLORS["empirical Bayes"]
    assert fig.layout.shapes[0].x0 == pytest.approx(4 / 14)
    assert "0.286" in fig.layout.annotations[0].text
    assert all(finite(t.y) for t in fig.data)
    with pytest.raises(ValueError, match="expected"):
        plots.current_posteriors(x, {"bad": np.ones(3)})


def test_spread_ties_separates_equal_values_only():
    offsets = plots.spread_ties([0.0, 0.0, 0.0, 0.1, 0.2, 0.2], width=0.01)
    assert np.allclose(offsets, [-0.01, 0, 0.01, 0, -0.005, 0.005])


def test_intervals_against_observed_has_the_45_degree_line_and_the_current_group_apart():
    observed = np.array([0.0, 0.0, 0.1, 4 / 14])
    median = np.array([0.05, 0.06, 0.1, 0.22])
    fig = plots.intervals_against_observed(
        observed,
        median,
        median - 0.03,
        median + 0.05,
        ["1", "2", "3", "current"],
        successes=[0, 0, 2, 4],
        trials=[20, 18, 20, 14],
        highlight=3,
    )
    line, historical, current = fig.data
    assert list(line.x) == list(line.y)
    assert len(historical.x) == 3 and len(current.x) == 1
    # the two 0/n experiments no longer sit on top of each other
    assert historical.x[0] != historical.x[1]
    assert current.customdata[0][1] == "4/14"
    assert "current experiment" in current.name
    assert fig.layout.xaxis.title.text.startswith("observed rate")
    assert fig.layout.yaxis.title.text.startswith("posterior θ")
    for trace in (historical, current):
        assert finite(trace.x) and finite(trace.y)
        assert finite(trace.error_y.array) and np.all(np.asarray(trace.error_y.array) >= 0)
    with pytest.raises(ValueError, match="one entry per group"):
        plots.intervals_against_observed(observed, median[:2], median, median, list("abcd"))


def test_historical_rates_histogram_with_the_fitted_prior():
    rates = np.array([0.0, 0.05, 0.1, 0.1, 0.2, 0.3])
    fig = plots.historical_rates(rates, prior_alpha=1.356, prior_beta=8.615)
    histogram, prior = fig.data
    assert histogram.type == "histogram" and histogram.histnorm == "probability density"
    assert histogram.name == "6 historical rates"
    assert prior.name == "fitted prior Beta(1.4, 8.6)"
    assert finite(prior.y) and np.all(np.asarray(prior.x) > 0)
    assert fig.layout.xaxis.title.text == "tumor rate y_j / n_j"
    with pytest.raises(ValueError, match="> 0"):
        plots.historical_rates(rates, prior_alpha=0, prior_beta=1)


def test_shrinkage_between_models_keeps_its_labels_off_the_x_axis():
    fig = plots.shrinkage_between_models(
        [0.54, 0.44, 0.53, 0.66],
        [0.54, 0.47, 0.53, 0.63],
        ["a", "b", "c", "d"],
        population_mean=0.539,
        weight=[46, 93, 176, 120],
    )
    assert [t.name for t in fig.data[1:]] == [
        "independent",
        "hierarchical",
        "population mean E(α/(α+β) | y) 0.539",
    ]
    # said above the legend's entries, not in an annotation that ran into them
    assert fig.layout.legend.title.text == "marker size: attempts"
    assert fig.layout.legend.title.side == "top" and not fig.layout.annotations


def test_free_throw_seasons_use_none_of_the_methods_colours():
    """Issue 12: orange meant "this season" in the densities and "independent" in the bars."""
    x = np.linspace(0.01, 0.99, 50)
    density = np.ones((4, 50))
    fig = plots.group_densities(x, density, ["a", "b", "c", "d"], highlight=3)
    colours = {t.line.color for t in fig.data}
    assert not colours & set(plots.METHOD_COLORS.values())
    assert len(colours) == 4
