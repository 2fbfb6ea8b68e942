"""Levels-of-pooling helpers and figure, checked as tables and figure objects (no NUTS run)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hbviz import nuts
from hbviz import pooling as levels
from hbviz.nuts import SUMMARY_COLUMNS
from hbviz.plots import eight_schools, pooling, style

VALUES = np.array([10.0, 12, 9, 11, 8])
GROUPS = ["a", "a", "b", "b", "c"]


def summary(rows: dict[str, float]) -> pd.DataFrame:
    """A Fit.summary-shaped table whose mean is the given value and 5%/95% are mean -/+ 1."""
    table = pd.DataFrame(
        {c: 0.0 for c in SUMMARY_COLUMNS}, index=list(rows), columns=list(SUMMARY_COLUMNS)
    )
    table["mean"] = list(rows.values())
    table["5%"] = table["mean"] - 1
    table["95%"] = table["mean"] + 1
    return table


def summaries(groups=GROUPS):
    n_groups = len(dict.fromkeys(groups))
    return {
        "no_pooling": summary({f"mu[{i}]": v - 0.1 for i, v in enumerate(VALUES)}),
        "complete_pooling": summary({"mu": 9.9, "sigma": 1.6}),
        "partial_pooling": summary({f"mu[{g}]": 20.0 + g for g in range(n_groups)} | {"tau": 1}),
    }


def test_group_codes_follow_first_appearance():
    codes, names = levels.group_codes(["b", "a", " b", "c"])
    assert codes.tolist() == [0, 1, 0, 2]
    assert names == ["b", "a", "c"]


def test_pooling_estimates_puts_each_observation_under_each_level():
    table = levels.pooling_estimates(VALUES, GROUPS, **summaries())
    assert len(table) == 3 * VALUES.size
    by = table.set_index(["series", "observation"])["estimate"]
    assert by["no pooling", "#2 (a)"] == pytest.approx(11.9)
    assert by["complete pooling", "#5 (c)"] == pytest.approx(9.9)
    # partial pooling: both observations of a group get that group's mean
    assert by["partial pooling", "#1 (a)"] == by["partial pooling", "#2 (a)"] == 20.0
    assert by["partial pooling", "#5 (c)"] == 22.0
    assert np.all(table["lower"] < table["estimate"]) and np.all(table["estimate"] < table["upper"])


def test_pooling_estimates_names_a_missing_summary_row():
    parts = summaries()
    parts["partial_pooling"] = summary({"mu[0]": 1.0})
    with pytest.raises(ValueError, match=r"partial pooling summary has no row 'mu\[1\]'"):
        levels.pooling_estimates(VALUES, GROUPS, **parts)


def test_plot_has_the_three_levels_side_by_side_and_the_data():
    groups = ["<b>x</b>", "<b>x</b>", "b", "b", "c"]
    table = levels.pooling_estimates(VALUES, groups, **summaries(groups))
    fig = pooling.pooling_estimates_plot(table, value_title="value (units)")
    assert [t.name for t in fig.data] == [
        *levels.POOLING_SERIES,
        "observed value",
        "complete pooling mean 9.90",
    ]
    for trace in fig.data[:3]:
        assert trace.marker.color == style.POOLING_COLORS[trace.name]
    assert fig.data[3].x.tolist() == VALUES.tolist()
    assert fig.layout.xaxis.title.text == "value (units)"
    assert fig.layout.yaxis.ticktext[0] == "#1 (&lt;b&gt;x&lt;/b&gt;)"  # user text is not markup
    assert "<b>" not in "".join(fig.data[3].customdata)
    assert fig.layout.shapes[0].x0 == 9.9  # the dashed line at the complete-pooling mean
    assert not fig.layout.annotations
    for trace in fig.data[:4]:
        assert np.all(np.isfinite(np.asarray(trace.x, dtype=float)))
        assert np.all(np.isfinite(np.asarray(trace.y, dtype=float)))
    # one row per observation, the levels offset within it
    assert np.all(np.asarray(fig.data[0].y) < np.asarray(fig.data[2].y))
    large = pooling.pooling_estimates_plot(table, look=style.Look(large_fonts=True))
    assert large.layout.font.size > fig.layout.font.size


@pytest.mark.parametrize(
    ("table", "message"),
    [
        (pd.DataFrame({"group": ["a"], "value": [1.0]}), "between 2 and"),
        (pd.DataFrame({"group": ["a", None], "value": [1.0, 2]}), "row 2, column 'group'"),
        (pd.DataFrame({"group": ["a", " "], "value": [1.0, 2]}), "row 2, column 'group'"),
        (pd.DataFrame({"group": ["a", "b"], "value": [1.0, np.nan]}), "row 2, column 'value'"),
        (pd.DataFrame({"group": ["a", "b"], "value": [1.0, "x"]}), "'x' is not a number"),
        (pd.DataFrame({"group": ["a", "b"]}), "columns 'group' and 'value'"),
        (
            pd.DataFrame({"group": ["a"] * 41, "value": np.zeros(41)}),
            f"between 2 and {levels.MAX_OBSERVATIONS}",
        ),
    ],
)
def test_check_data_names_the_row_and_column(table, message):
    with pytest.raises(ValueError, match=message):
        levels.check_data(table)


def test_check_data_accepts_the_lecture_data():
    levels.check_data(pd.DataFrame({"group": GROUPS, "value": VALUES}))


def pooling_fit(rng, *, scale: str, groups: int = 3) -> nuts.Fit:
    """A Fit-shaped stand-in (2 chains × 50 draws): mu per group or observation, and its scale."""
    samples = {"mu": rng.normal(size=(2, 50, groups)), "sigma": rng.exponential(size=(2, 50, 5))}
    samples[scale] = samples.get(scale, rng.exponential(size=(2, 50)))
    diverging = rng.random((2, 50)) < 0.1
    return nuts.Fit(samples, diverging, int(diverging.sum()), pd.DataFrame(), "pooling")


def test_pooling_funnel_picks_the_first_location_against_its_scale(rng):
    names = ["a", "b", "c"]
    no = pooling_fit(rng, scale="sigma", groups=5)
    funnel = levels.pooling_funnel("no", no, centered=False, values=VALUES, names=names)
    mu, sigma, diverging = funnel.fits["no pooling"]
    np.testing.assert_array_equal(mu, no.samples["mu"][..., 0])
    np.testing.assert_array_equal(sigma, no.samples["sigma"][..., 0])
    assert diverging is no.diverging and funnel.group_label == "#1 (y = 10)"
    # the figure draws it: one panel, the first observation named on its axis
    fig = eight_schools.funnel_plot(**funnel._asdict())
    assert fig.layout.xaxis.title.text == "no pooling: μ of observation #1 (y = 10)"

    centered, noncentered = pooling_fit(rng, scale="tau"), pooling_fit(rng, scale="tau")
    alone = levels.pooling_funnel("partial", centered, centered=True, values=VALUES, names=names)
    assert list(alone.fits) == ["centered"] and alone.group_label == "a"
    np.testing.assert_array_equal(alone.fits["centered"][1], centered.samples["tau"])
    # the non-centered fit is shown beside the centered one, whose neck it removes
    both = levels.pooling_funnel(
        "partial", noncentered, centered=False, values=VALUES, names=names, centered_fit=centered
    )
    assert list(both.fits) == ["centered", "non-centered"]
    np.testing.assert_array_equal(both.fits["non-centered"][0], noncentered.samples["mu"][..., 0])
    assert both.fits["centered"][2] is centered.diverging
    assert levels.pooling_funnel("complete", no, centered=False, values=VALUES, names=names) is None
    with pytest.raises(ValueError, match="centered_fit is None"):
        levels.pooling_funnel("partial", noncentered, centered=False, values=VALUES, names=names)
    with pytest.raises(ValueError, match="'some'"):
        levels.pooling_funnel("some", no, centered=False, values=VALUES, names=names)
