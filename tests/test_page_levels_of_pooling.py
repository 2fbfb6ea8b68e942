"""AppTest of the levels-of-pooling page: tiny NUTS runs (2 chains × 100 draws) check the wiring.

All tests use the same chain and draw counts, so the NUTS programs compile once per session.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from hbviz.nuts import SUMMARY_COLUMNS
from tests.conftest import array
from tests.test_scripts import assert_levels_of_pooling_offers_each_fits_code

PAGE = "pages/levels_of_pooling.py"
SMALL = {"chains": "2", "draws": "100"}
DEFAULT_QUERY = SMALL  # read by the page fixture (conftest.py)


def summary_tables(at):
    """The three NUTS summary tables, in page order (no, complete, partial pooling)."""
    tables = [d.value for d in at.dataframe if list(d.value.columns) == list(SUMMARY_COLUMNS)]
    assert len(tables) == 3
    return tables


def divergences(at):
    return [int(m.value) for m in at.metric if m.label == "divergences"]


def test_page_shows_three_summaries_divergences_and_the_estimates_plot(page):
    at = page()
    assert_levels_of_pooling_offers_each_fits_code(at, chains=2, draws=100)
    no, complete, partial = summary_tables(at)
    assert [f"mu[{i}]" for i in range(5)] == list(no.index[:5])
    assert set(complete.index) == {"mu", "sigma"}
    assert {"mu[0]", "mu[1]", "mu[2]", "mu_pop", "tau", "sigma"} <= set(partial.index)
    # the tutorial's data: complete pooling estimates the mean of 10, 12, 9, 11, 8
    assert complete.loc["mu", "mean"] == pytest.approx(10.0, abs=0.6)
    counts = divergences(at)
    assert len(counts) == 3
    assert counts[0] > 0  # one value per (μ_i, σ_i): the funnel makes NUTS diverge
    assert counts[1] == 0
    assert any("Why it diverges" in m.value for m in at.markdown)
    assert any("divergent transitions" in w.value for w in at.warning)

    (chart,) = at.get("plotly_chart")
    figure = json.loads(chart.proto.spec)
    names = [trace["name"] for trace in figure["data"]]
    assert names[:4] == ["no pooling", "complete pooling", "partial pooling", "observed value"]
    # partial pooling: the two observations of group a share one estimate
    partial_x = array(figure["data"][2]["x"])
    assert partial_x[0] == partial_x[1] == pytest.approx(partial.loc["mu[0]", "mean"])


def test_non_centered_toggle_changes_the_partial_pooling_fit(page):
    at = page()
    centered = summary_tables(at)[2]
    assert "mu_decentered[0]" not in centered.index
    at.toggle(key="noncentered").set_value(True).run()
    assert not at.exception
    noncentered = summary_tables(at)[2]
    assert "mu_decentered[0]" in noncentered.index
    assert not np.allclose(centered.loc["mu[0]"], noncentered.loc["mu[0]"])
    assert any("(non-centered)" in h.value for h in at.subheader)
    # no and complete pooling do not depend on the toggle, so they were not refitted
    before = page()
    assert summary_tables(before)[1].equals(summary_tables(at)[1])


def test_edited_data_changes_the_complete_pooling_mean(page):
    # the editor keeps edits in the URL; a link with data ten higher reproduces an edit
    shifted = "group,value\na,20\na,22\nb,19\nb,21\nc,18\n"
    at = page(data=shifted)
    complete = summary_tables(at)[1]
    assert complete.loc["mu", "mean"] == pytest.approx(20.0, abs=0.6)
    assert at.dataframe[0].value["value"].tolist() == [20, 22, 19, 21, 18]


def test_a_broken_link_falls_back_to_the_lecture_data(page):
    at = page(data="group,value\na,ten\n")
    # the note under the title names the parameter and the value found
    assert any("**data**" in w.value and "'ten' is not a number" in w.value for w in at.warning)
    assert at.dataframe[0].value["value"].tolist() == [10, 12, 9, 11, 8]


def test_seed_and_reset(page):
    at = page(noncentered="true", seed="3")
    assert at.toggle(key="noncentered").value is True
    at.button(key="reset").click().run()
    assert not at.exception
    assert at.toggle(key="noncentered").value is False
    assert at.number_input(key="seed").value == 0
