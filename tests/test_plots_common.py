"""The shared figure builders, checked as figure objects."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hbviz.plots import common, style


def forest_table():
    groups = ["A", "B", "<b>C</b>"]
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "group": groups,
                    "estimate": [1.0, 2, 3],
                    "lower": [0.0, 1, 2],
                    "upper": [2.0, 3, 4],
                    "series": name,
                }
            )
            for name in ("no pooling", "partial pooling")
        ]
    )


def test_interval_plot_has_one_trace_per_series_and_readable_labels():
    fig = common.interval_plot(
        forest_table(), series="series", colors=style.POOLING_COLORS, x_title="effect (points)"
    )
    assert [t.name for t in fig.data] == ["no pooling", "partial pooling"]
    assert fig.layout.xaxis.title.text == "effect (points)"
    assert list(fig.layout.yaxis.ticktext) == ["A", "B", "&lt;b&gt;C&lt;/b&gt;"]
    assert fig.data[0].marker.color == style.POOLING_COLORS["no pooling"]
    for trace in fig.data:
        assert np.all(np.isfinite(np.asarray(trace.x, dtype=float)))
    # the two series sit side by side, not on top of each other
    assert np.all(np.asarray(fig.data[0].y) < np.asarray(fig.data[1].y))


def test_interval_plot_colours_the_levels_of_pooling_in_one_place():
    table = forest_table()
    default = common.interval_plot(table, series="series")
    assert [t.marker.color for t in default.data] == [
        style.POOLING_COLORS["no pooling"],
        style.POOLING_COLORS["partial pooling"],
    ]
    mine = common.interval_plot(table, series="series", colors={"no pooling": "#000000"})
    assert [t.marker.color for t in mine.data] == [
        "#000000",
        style.POOLING_COLORS["partial pooling"],
    ]
    table["series"] = table["series"].map({"no pooling": "exact", "partial pooling": "NUTS"})
    other = common.interval_plot(table, series="series")
    assert [t.marker.color for t in other.data] == [style.group_color(0), style.group_color(1)]


def test_interval_plot_switches_to_webgl_for_many_groups():
    n = common.MANY_GROUPS + 1
    table = pd.DataFrame(
        {
            "group": [f"g{i}" for i in range(n)],
            "estimate": np.zeros(n),
            "lower": -np.ones(n),
            "upper": np.ones(n),
        }
    )
    fig = common.interval_plot(table)
    assert fig.data[0].type == "scattergl"
    assert fig.layout.yaxis.showticklabels is False


def test_interval_plot_names_a_missing_column():
    with pytest.raises(ValueError, match="no column 'upper'"):
        common.interval_plot(forest_table().drop(columns="upper"))


def test_shrinkage_plot_joins_each_raw_value_to_its_pooled_value():
    fig = common.shrinkage_plot(
        [28, 8, -3], [10, 8, 5], ["A", "B", "C"], population_mean=7.7, weight=[1, 2, 3]
    )
    segments, raw, pooled, mean_line = fig.data
    assert list(segments.x[:2]) == [28, 10]
    assert raw.name == "no pooling" and pooled.name == "partial pooling"
    assert max(raw.marker.size) > min(raw.marker.size)  # size shows the weight
    assert list(mean_line.x) == [7.7, 7.7] and "population mean" in mean_line.name
    assert fig.layout.xaxis.title.text == "estimate"
    with pytest.raises(ValueError, match="one entry per group"):
        common.shrinkage_plot([1, 2], [1], ["a", "b"])


def test_shrinkage_plot_draws_population_mean_and_complete_pooling_apart():
    fig = common.shrinkage_plot(
        [28, 8, -3],
        [10, 8, 5],
        ["A", "B", "C"],
        population_mean=7.9,
        population_label="population mean E(μ | y)",
        complete_pooling=7.7,
    )
    population, complete = fig.data[-2:]
    assert population.name == "population mean E(μ | y) 7.9" and list(population.x) == [7.9, 7.9]
    assert complete.name == "complete pooling 7.7" and list(complete.x) == [7.7, 7.7]
    assert population.line.dash != complete.line.dash
    assert len(common.shrinkage_plot([1, 2], [1, 2], ["a", "b"]).data) == 3  # no lines asked


def test_density_and_histogram_builders():
    x = np.linspace(0, 1, 5)
    fig = common.density_plot({"prior": (x, x), "posterior": (x, 1 - x)}, x_title="θ")
    assert [t.name for t in fig.data] == ["prior", "posterior"]
    assert fig.layout.yaxis.title.text == "density"
    fig = common.histogram_overlay({"NUTS": np.arange(10.0)}, curves={"exact": (x, x)})
    assert [t.type for t in fig.data] == ["histogram", "scatter"]


def test_large_fonts_make_text_bigger():
    small = common.density_plot({"a": ([0, 1], [1, 1])})
    large = common.density_plot({"a": ([0, 1], [1, 1])}, look=style.Look(large_fonts=True))
    assert large.layout.font.size > small.layout.font.size


def test_a_shrinkage_plot_of_a_few_groups_names_them_apart():
    """Issue 12: the free-throw shrinkage plot did not say which season was which; seasons with
    close estimates (0.54 and 0.53) get their names on opposite sides."""
    raw, pooled = np.array([0.54, 0.44, 0.53, 0.66]), np.array([0.53, 0.47, 0.53, 0.6])
    names = ["2012-2013", "2013-2014", "2014-2015", "2015-2016"]
    fig = common.shrinkage_plot(raw, pooled, names, population_mean=0.55)
    (labelled,) = [t for t in fig.data if t.text is not None]
    assert list(labelled.text) == names and labelled.mode == "markers+text"
    sides = dict(zip(names, labelled.textposition, strict=True))
    assert sides["2012-2013"] != sides["2014-2015"]
    many = common.shrinkage_plot(
        np.arange(20.0), np.arange(20.0), [f"g{j}" for j in range(20)], population_mean=0.0
    )
    assert all(t.text is None for t in many.data)
