"""AppTest of the eight-schools page: published numbers shown, every main control wired.

The exact sampler is compiled once per process; NUTS runs use 50 draws per chain, which checks
the wiring only (the NUTS-against-exact agreement is tested in test_nuts_vs_exact.py).
"""

from __future__ import annotations

import numpy as np
import pytest

from hbviz import datasets, normal_normal, summaries
from tests.conftest import array, figures, metric
from tests.test_scripts import assert_eight_schools_offers_both_forms_code

PAGE = "pages/eight_schools.py"
DRAWS = 10_000  # the page's number of exact draws


def figure_with_trace(at, name_start: str) -> dict:
    for figure in figures(at):
        if any(str(t.get("name", "")).startswith(name_start) for t in figure["data"]):
            return figure
    raise AssertionError(f"no figure has a trace named {name_start!r}…")


def trace(figure: dict, name_start: str) -> dict:
    return next(t for t in figure["data"] if str(t.get("name", "")).startswith(name_start))


def table(at, first_column: str):
    """The first dataframe shown whose columns start with ``first_column``."""
    for frame in at.dataframe:
        if str(frame.value.columns[0]).startswith(first_column):
            return frame.value
    raise AssertionError(f"no table starts with column {first_column!r}")


@pytest.fixture(scope="module")
def lecture_posterior(schools):
    y, sigma = schools
    return normal_normal.sample_posterior(y, sigma, draws=DRAWS, seed=0)


def test_lecture_numbers_are_shown(page, lecture_posterior):
    at = page()
    assert metric(at, "Complete pooling") == "7.7 ± 4.1"

    quantiles = table(at, "mean")
    names = list(datasets.eight_schools()["school"])
    assert list(quantiles.index) == [*names, "μ", "τ"]
    np.testing.assert_allclose(
        quantiles.loc[names, "50%"], np.median(lecture_posterior.theta, axis=0), rtol=1e-9
    )
    # BDA3 Table 5.3 medians (10, 8, 7, 8, 5, 6, 10, 8), to their rounding
    np.testing.assert_allclose(quantiles.loc[names, "50%"], [10, 8, 7, 8, 5, 6, 10, 8], atol=0.8)

    probs = table(at, "Pr(θ_j ≥ 28)")
    assert probs.loc["A", "Pr(θ_j ≥ 28)"] < 0.10
    assert probs.loc["A", "Pr(θ_j ≥ 28)"] == pytest.approx(
        summaries.prob_greater(lecture_posterior.theta, 28)[0]
    )
    assert probs["Pr(best)"].sum() == pytest.approx(1.0)

    # the three levels of pooling side by side, and every figure free of NaN
    forest = figure_with_trace(at, "no pooling")
    assert [t["name"] for t in forest["data"][:3]] == [
        "no pooling",
        "complete pooling",
        "partial pooling",
    ]
    for figure in figures(at):
        for t in figure["data"]:
            for axis in ("x", "y"):
                if axis in t and t.get("type") != "heatmap":
                    values = array(t[axis])
                    if values.dtype.kind == "f":
                        assert not np.isnan(values).any(), t.get("name")
    assert "Switch on **Run NUTS**" in at.info[0].value


def test_tau_slider_moves_the_markers_and_the_conditional_shrinkage(page):
    at = page()
    before = array(trace(figure_with_trace(at, "at τ = 10"), "at τ = 10")["y"])
    at.slider(key="tau").set_value(2.0).run()
    assert not at.exception
    assert at.slider(key="tau").value == 2.0
    means = figure_with_trace(at, "at τ = 2")
    after = array(trace(means, "at τ = 2")["y"])
    assert np.all(array(trace(means, "at τ = 2")["x"]) == 2.0)
    # at a smaller τ every school's E(θ_j | τ, y) is closer to the others
    assert np.ptp(after) < np.ptp(before)
    arrows = figure_with_trace(at, "E(θ_j | τ = 2")
    np.testing.assert_allclose(array(trace(arrows, "E(θ_j | τ = 2")["x"]), after)
    marked = figure_with_trace(at, "chosen τ = 2")
    assert trace(marked, "chosen τ")["x"] == [2.0]


def test_tau_prior_and_mu_prior_change_the_posterior(page, schools):
    at = page()
    uniform = table(at, "mean")
    at.segmented_control(key="tau_prior").set_value("half_normal").run()
    at.slider(key="tau_scale").set_value(2.0).run()
    assert not at.exception
    half_normal = table(at, "mean")
    y, sigma = schools
    expected = normal_normal.sample_posterior(
        y, sigma, tau_prior="half_normal", tau_scale=2.0, draws=DRAWS, seed=0
    )
    assert half_normal.loc["τ", "50%"] == pytest.approx(np.median(expected.tau), rel=1e-9)
    assert half_normal.loc["τ", "50%"] < uniform.loc["τ", "50%"]

    at.toggle(key="mu_on").set_value(True).run()
    at.slider(key="mu_mean").set_value(-20.0).run()
    assert not at.exception
    assert table(at, "mean").loc["μ", "mean"] < half_normal.loc["μ", "mean"] - 1


def test_threshold_and_new_school_controls(page):
    at = page()
    new_school = next(f.value for f in at.dataframe if "ỹ (estimate)" in f.value.index)
    at.slider(key="c").set_value(10.0).run()
    at.slider(key="sigma_new").set_value(30.0).run()
    assert not at.exception
    probs = table(at, "Pr(θ_j ≥ 10)")
    assert (probs["Pr(θ_j ≥ 10)"] > 0.2).all()
    wider = next(f.value for f in at.dataframe if "ỹ (estimate)" in f.value.index)
    assert wider.loc["ỹ (estimate)", "sd"] > new_school.loc["ỹ (estimate)", "sd"] + 5
    assert wider.loc["θ̃ (effect)", "sd"] == pytest.approx(
        new_school.loc["θ̃ (effect)", "sd"], rel=0.05
    )


def test_data_from_the_url_and_bad_data_are_handled(page):
    at = page(data="school,y,sigma\nP,10,5\nQ,-10,5\nR,30,5\n")
    names = list(table(at, "mean").index)
    assert names == ["P", "Q", "R", "μ", "τ"]
    assert metric(at, "Complete pooling") == "10.0 ± 2.9"

    # two schools cannot carry BDA3's uniform prior on τ with a flat μ: a message, no traceback
    at = page(data="school,y,sigma\nP,10,5\nQ,-10,5\n")
    assert any("improper" in e.value for e in at.error)


def test_reset_puts_the_lecture_values_back(page):
    # a bound option widget keeps its shown label in the URL
    at = page(tau="3", c="5", tau_prior="half-Cauchy")
    assert at.slider(key="tau").value == 3.0
    assert at.segmented_control(key="tau_prior").value == "half_cauchy"
    at.button(key="reset").click().run()
    assert not at.exception
    assert at.slider(key="tau").value == 10.0
    assert at.slider(key="c").value == 28.0
    assert at.segmented_control(key="tau_prior").value == "uniform"


def test_nuts_panel_compares_both_forms_with_the_exact_posterior(page):
    at = page(nuts="true", nuts_draws="50")
    assert [m.label for m in at.metric].count("divergences") == 2
    assert_eight_schools_offers_both_forms_code(at)
    comparison = figure_with_trace(at, "exact p(τ | y)")
    assert [t["name"] for t in comparison["data"]] == [
        "NUTS, centered",
        "NUTS, non-centered",
        "exact p(τ | y)",
    ]
    funnel = figure_with_trace(at, "divergent transition")
    assert funnel["layout"]["yaxis"]["type"] == "log"
    assert any("half-Cauchy(0, 5)" in m.value and "N(0, 5²)" in m.value for m in at.markdown)


def test_the_exact_posterior_is_offered_as_arviz_netcdf(page):
    at = page()
    labels = [button.proto.label for button in at.download_button]
    assert "Download the exact posterior draws (ArviZ NetCDF)" in labels


def test_predictive_panels_mark_the_observed_schools(page, schools):
    from pages._predictive import SCHOOLS_PRIOR_CHECK_KEY

    at = page()
    y, _ = schools
    names = list(datasets.eight_schools()["school"])
    # posterior predictive: each school again and a new school, observed y_j marked
    again = figure_with_trace(at, "ỹ_j | y")
    np.testing.assert_allclose(array(trace(again, "observed y_j")["x"]), y)
    shown = next(f.value for f in at.dataframe if "a new school" in f.value.index)
    assert list(shown.index) == [*names, "a new school"]
    widths = shown["ỹ 97.5%"] - shown["ỹ 2.5%"]
    assert np.all(widths > shown["θ 97.5%"] - shown["θ 2.5%"])
    # the prior predictive under the page's improper priors, cut at B: its spread follows B;
    # built only once its expander is opened
    assert not any(f["data"][0].get("name", "").startswith("θ_j drawn") for f in figures(at))
    at.session_state[SCHOOLS_PRIOR_CHECK_KEY] = True
    at.run()
    assert figure_with_trace(at, "ỹ_j drawn from the prior")
    assert any("τ uniform on (0, 100)" in m.value for m in at.markdown)
    priors_table = table(at, "τ 50%")
    assert priors_table.index[0] == "uniform (cut at B)"
    at.slider(key="cutoff").set_value(300.0).run()
    assert not at.exception
    wider = table(at, "τ 50%")
    assert wider.loc["uniform (cut at B)", "ỹ_j 97.5%"] > 2 * priors_table.iloc[0]["ỹ_j 97.5%"]
