"""AppTest of the levels-of-pooling page: short NUTS runs (2 chains × (500 + 100)) check the wiring.

The warm-up is the lecture's 500: only the warm-up length compiles a NUTS program (hbviz.nuts),
so these runs, the tutorial preset's 1 chain × (500 + 1000) and the reset's 2 × (500 + 1000) share
one program per model.
"""

from __future__ import annotations

import numpy as np
import pytest

from hbviz import lecture_path
from hbviz.nuts import SUMMARY_COLUMNS
from tests.conftest import array, figures
from tests.test_page_eight_schools import figure_with_trace
from tests.test_scripts import assert_levels_of_pooling_offers_each_fits_code

PAGE = "pages/levels_of_pooling.py"
SMALL = {"chains": "2", "warmup": "500", "draws": "100"}
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
    assert_levels_of_pooling_offers_each_fits_code(at, chains=2, warmup=500, draws=100)
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

    figure = figure_with_trace(at, "observed value")
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


def divergence_notes(at) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("**This fit: ")]


def test_each_fit_says_its_own_divergences_and_no_pooling_and_partial_draw_their_funnels(page):
    at = page(noncentered="true")
    notes = divergence_notes(at)
    assert len(notes) == 3
    # the counts the notes give are the diagnostics' counts, of 2 × 100 draws
    for note, count in zip(notes, divergences(at), strict=True):
        said = "no divergent transition in 200 draws" if count == 0 else f"{count:,d} divergent"
        assert said in note, (count, note)
    # the tutorial's 120 is named with the settings that differ from its run
    assert "The tutorial reports 120" in notes[0] and "2 chains (tutorial 1)" in notes[0]
    assert "hbviz's choice" in notes[2]
    funnel = figure_with_trace(at, "draw")
    assert funnel["layout"]["xaxis"]["title"]["text"] == "no pooling: μ of observation #1 (y = 10)"
    assert funnel["layout"]["yaxis"]["type"] == "log"
    # partial pooling: the centered form's funnel beside the chosen non-centered one
    partial = [
        f
        for f in figures(at)
        if f["layout"]["yaxis"].get("title", {}).get("text") == "τ (log scale)"
    ]
    assert len(partial) == 1
    titles = [partial[0]["layout"][axis]["title"]["text"] for axis in ("xaxis", "xaxis2")]
    assert titles == ["centered: μ_g of group a", "non-centered: μ_g of group a"]


def test_the_tutorial_preset_runs_the_tutorials_sampler_settings(page):
    at = page(seed="3", noncentered="true")
    at.button(key="preset-the tutorial's settings").click().run()
    assert not at.exception
    tutorial = lecture_path.TUTORIAL
    assert at.slider(key="chains").value == tutorial.chains == 1
    assert at.select_slider(key="warmup").value == tutorial.warmup == 500
    assert at.select_slider(key="draws").value == tutorial.draws == 1000
    assert at.number_input(key="seed").value == 0
    assert at.toggle(key="noncentered").value is False
    # what runs: the scripts offered hold 500 warm-up steps and 1000 draws, the fits 1000 draws
    assert_levels_of_pooling_offers_each_fits_code(at, chains=1, warmup=500, draws=1000)
    assert all("of 1,000 draws" in n or "in 1,000 draws" in n for n in divergence_notes(at))
    assert "the settings here" in divergence_notes(at)[0]
    # one chain: R-hat is the split R-hat within it (its two halves), a number, and said so
    r_hats = [m for m in at.metric if m.label.startswith("max R-hat")]
    assert [m.label for m in r_hats] == ["max R-hat (1 chain)"] * 3
    assert all(np.isfinite(float(m.value)) for m in r_hats), [m.value for m in r_hats]
    assert not any("chains disagree" in w.value for w in at.warning)
