"""The free-throws page in AppTest: the lecture's Beta(1, 1) table, sliders and choices that matter."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import array, figures

PAGE = "pages/free_throws.py"
LECTURE_TABLE = ["Beta(26, 22)", "Beta(42, 53)", "Beta(94, 84)", "Beta(80, 42)"]


def tables(at) -> dict[str, object]:
    """The page's read-only tables, by their index name."""
    return {df.value.index.name: df.value for df in at.dataframe if df.value.index.name}


def test_uniform_prior_gives_the_lectures_table(app_page):
    at = app_page(PAGE)
    assert not at.exception
    posterior = tables(at)["season"]
    assert posterior["posterior"].tolist() == LECTURE_TABLE
    assert posterior["mean"].to_numpy() == pytest.approx([26 / 48, 42 / 95, 94 / 178, 80 / 122])
    answers = tables(at)["question"]
    assert list(answers.index) == [
        "Pr(θ 2015-2016 > θ 2012-2013)",
        "Pr(θ 2015-2016 > θ 2013-2014)",
        "Pr(θ 2015-2016 > θ 2014-2015)",
        "Pr(2015-2016 is best)",
    ]
    # independent Betas: one-dimensional integrals, checked against 400,000 draws in
    # tests/test_beta_comparisons.py; here the values themselves, to the three decimals shown
    assert answers["independent"].to_numpy() == pytest.approx(
        [0.915, 0.999, 0.987, 0.906], abs=1e-3
    )
    # the hierarchy pulls the seasons together, so it is never more sure than the independent model
    assert np.all(answers["hierarchical"] <= answers["independent"] + 0.01)
    densities, bars, shrinkage = figures(at)
    assert len(densities["data"]) == 4 and densities["data"][3]["name"] == "2015-2016 (this)"
    assert [t["name"] for t in bars["data"]] == ["independent", "hierarchical"]
    assert list(bars["data"][0]["y"])[-1] == "best of all"
    independent, hierarchical = shrinkage["data"][1:3]
    # hierarchical means lie between the independent ones and the population mean
    assert np.all(np.ptp(array(hierarchical["x"])) < np.ptp(array(independent["x"])))


def test_moving_a_prior_slider_changes_the_table(app_page):
    at = app_page(PAGE)
    before = tables(at)["question"]["independent"].to_numpy()
    at.slider(key="prior_alpha").set_value(10.0).run()
    assert not at.exception
    assert tables(at)["season"]["posterior"].tolist() == [
        "Beta(35, 22)",
        "Beta(51, 53)",
        "Beta(103, 84)",
        "Beta(89, 42)",
    ]
    at.slider(key="prior_beta").set_value(10.0).run()
    assert tables(at)["season"]["posterior"].iloc[0] == "Beta(35, 31)"
    # the prior moves every season's posterior, so every answer of the independent model moves
    after = tables(at)["question"]["independent"].to_numpy()
    assert np.all(np.abs(after - before) > 5e-4)  # quadrature error ≤ 1.3e-4


def test_choosing_this_season_changes_the_question(app_page):
    at = app_page(PAGE)
    at.selectbox(key="this_season").set_value("2013-2014").run()
    assert not at.exception
    answers = tables(at)["question"]
    assert answers.index[-1] == "Pr(2013-2014 is best)"
    assert answers.loc["Pr(2013-2014 is best)", "independent"] < 0.01
    assert figures(at)[0]["data"][1]["name"] == "2013-2014 (this)"


def test_edited_seasons_from_the_link_are_analysed(app_page):
    at = app_page(PAGE, query={"seasons": "season,made,attempts\nA,5,10\nB,30,40\nC,2,2\n"})
    assert not at.exception
    posterior = tables(at)["season"]
    assert list(posterior.index) == ["A", "B", "C"]
    assert posterior["posterior"].tolist() == ["Beta(6, 6)", "Beta(31, 11)", "Beta(3, 1)"]
    assert tables(at)["question"].index[-1] == "Pr(C is best)"


def test_a_bad_table_in_the_link_falls_back_to_the_lecture_data(app_page):
    at = app_page(PAGE, query={"seasons": "season,made,attempts\nA,12,10\nB,3,4\n"})
    assert not at.exception
    assert any("**seasons**" in w.value and "cannot exceed" in w.value for w in at.warning)
    assert tables(at)["season"]["posterior"].tolist() == LECTURE_TABLE


def test_reset_restores_the_lecture_prior(app_page):
    at = app_page(PAGE, query={"prior_alpha": "5.0", "this_season": "2012-2013"})
    assert tables(at)["season"]["posterior"].iloc[0] == "Beta(30, 22)"
    at.button(key="reset").click().run()
    assert tables(at)["season"]["posterior"].tolist() == LECTURE_TABLE
    assert tables(at)["question"].index[-1] == "Pr(2015-2016 is best)"


def test_seasons_without_a_miss_warn_that_the_hierarchy_is_improper(app_page):
    at = app_page(PAGE, query={"seasons": "season,made,attempts\nA,5,5\nB,3,3\n"})
    assert not at.exception
    assert any("improper" in w.value for w in at.warning)


def test_the_shrinkage_plot_switches_to_the_logit_scale(app_page):
    from scipy import special

    at = app_page(PAGE, query={"scale": "logit"})
    assert not at.exception
    shrinkage = figures(at)[2]
    independent, hierarchical = shrinkage["data"][1:3]
    # E(logit θ) under each Beta(a, b) of LECTURE_TABLE: ψ(a) − ψ(b), not logit of the mean
    a, b = np.array([26, 42, 94, 80]), np.array([22, 53, 84, 42])
    np.testing.assert_allclose(array(independent["x"]), special.digamma(a) - special.digamma(b))
    assert np.ptp(array(hierarchical["x"])) < np.ptp(array(independent["x"]))
    assert "logit θ" in shrinkage["layout"]["xaxis"]["title"]["text"]
    assert any("ψ(a) − ψ(b)" in c.value for c in at.caption)
