"""AppTest of the "Your data" page: examples of each shape, the paste flow (AppTest cannot drive
st.file_uploader; the upload path itself is upload.parse, tested in test_upload.py), a rejected
paste keeping the last good dataset, columns chosen by hand, sorting, NUTS wiring, 10,000 groups;
and the page's figure builders as objects."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from hbviz import beta_binomial, upload
from hbviz.plots import your_data as figs
from tests.conftest import array, figures, metric
from tests.test_scripts import (
    assert_regression_offers_each_fits_code,
    assert_your_data_offers_its_code,
)

PAGE = "pages/your_data.py"
EXAMPLE_LABELS = {
    "counts": "Counts: baseball hits (Efron & Morris)",
    "estimates": "Estimates: BCG vaccine trials",
    "raw": "Raw: chick weights by feed",
    "large": "Counts: 10,000 simulated groups",
}


def results(at) -> pd.DataFrame:
    return next(f.value for f in at.dataframe if "p_best" in f.value.columns)


def test_counts_example_matches_the_exact_sampler(page):
    at = page()
    data = upload.parse(upload.example("counts")).table
    y, n = data["successes"].to_numpy(), data["trials"].to_numpy()
    assert metric(at, "Complete pooling").startswith(f"{y.sum() / n.sum():.3g}")
    post = beta_binomial.sample_posterior(y, n, draws=4000, seed=0)
    table = results(at)
    means = pd.Series(post.theta.mean(axis=0), index=data["group"])
    np.testing.assert_allclose(table["mean"], means[table.index], rtol=1e-12)
    assert table["p_best"].sum() == pytest.approx(1.0)
    # shrinkage plot, pooling forest, (α, β) contour, sorted forest, Pr(best)
    names = {t.get("name") for f in figures(at) for t in f["data"]}
    assert {"no pooling", "complete pooling", "partial pooling", "Pr(best | y)"} <= names
    assert any(t["type"] == "contour" for f in figures(at) for t in f["data"])


def test_counts_go_to_the_logit_scale_with_the_interval_ends_transformed(page):
    from scipy import special

    at = page(scale="logit")
    data = upload.parse(upload.example("counts")).table
    y, n = data["successes"].to_numpy(), data["trials"].to_numpy()
    post = beta_binomial.sample_posterior(y, n, draws=4000, seed=0)
    forest = next(
        f for f in figures(at) if [t.get("name") for t in f["data"]][:1] == ["no pooling"]
    )
    partial = next(t for t in forest["data"] if t["name"] == "partial pooling")
    np.testing.assert_allclose(
        array(partial["x"]), special.logit(np.median(post.theta, axis=0)), rtol=1e-9
    )
    no = next(t for t in forest["data"] if t["name"] == "no pooling")
    np.testing.assert_allclose(array(no["x"]), np.log((y + 0.5) / (n - y + 0.5)))


@pytest.mark.parametrize("shape", ["estimates", "raw"])
def test_normal_examples_show_p_tau(page, shape):
    at = page(example=EXAMPLE_LABELS[shape])
    assert not at.error
    assert any(t.get("name") == "p(τ | y)" for f in figures(at) for t in f["data"])
    assert metric(at, "Groups") == {"estimates": "13", "raw": "6"}[shape]


def test_sorting_changes_the_table_order(page):
    at = page()
    by_mean = list(results(at).index)
    assert results(at)["mean"].is_monotonic_decreasing
    at.selectbox(key="sort").set_value("group").run()
    assert list(results(at).index) != by_mean
    assert list(results(at).index) == sorted(by_mean, key=str.lower, reverse=True)


def test_pasted_text_then_a_rejected_paste_keeps_the_last_good_dataset(page):
    at = page(source="Paste CSV text")
    at.text_area(key="pasted").input("team,y,n\nA,3,10\nB,5,12\n<b>C</b>,1,9\n").run()
    assert not at.exception and not at.error
    assert metric(at, "Groups") == "3"
    assert "pasted text" in at.success[0].value
    labels = json.dumps(figures(at))
    assert "&lt;b&gt;C&lt;/b&gt;" in labels and "<b>C</b>" not in labels

    at.text_area(key="pasted").input("team,y,n\nA,x,10\nB,15,12\n").run()
    assert not at.exception
    message = at.error[0].value
    assert "Row 2, column 'y'" in message and "Row 3, column 'y'" in message
    assert (
        "analyses the pasted text, the last data you loaded" in at.info[0].value
    )  # says what is analysed and why
    assert metric(at, "Groups") == "3"  # the rejected paste did not replace it


def test_a_rejected_first_paste_shows_its_problems_and_no_example(page):
    at = page(source="Paste CSV text")
    at.text_area(key="pasted").input("team,y,n\nA,x,10\nB,15,12\n").run()
    assert not at.exception
    assert "Cannot use **the pasted text**" in at.error[0].value
    assert "Nothing to analyse" in at.info[0].value
    assert not at.success and not at.get("plotly_chart") and not at.metric


@pytest.mark.parametrize("text", ["", "   \n\n  "])
def test_a_blank_paste_says_the_box_is_empty(page, text):
    at = page(source="Paste CSV text")
    at.text_area(key="pasted").input(text).run()
    assert not at.exception and not at.error
    assert "The text box is empty" in at.info[0].value
    assert not at.success and not at.get("plotly_chart")


def test_raw_example_is_the_varying_intercept_model_and_flags_per_group_sd(page):
    at = page(example=EXAMPLE_LABELS["raw"])
    assert not at.warning
    shrinkage = next(
        f for f in figures(at) if any(t.get("name") == "no pooling" for t in f["data"])
    )
    lines = [t["name"] for t in shrinkage["data"] if t.get("mode") == "lines" and t.get("name")]
    assert any(n.startswith("population mean E(μ | y)") for n in lines)
    assert any(n.startswith("complete pooling") for n in lines)
    assert any("pooled sd s_p" in c.value for c in at.caption)  # the prior, stated

    # the case: a group of 2 observations with its own sd would look the most precise
    rows = ["A,1.0", "A,1.1"] + [f"{g},{v:.1f}" for g in "BC" for v in np.linspace(0, 4, 12)]
    at = page(source="Paste CSV text", pooled_sd="false")
    at.text_area(key="pasted").input("group,value\n" + "\n".join(rows)).run()
    assert "fewer than 10 observations" in at.warning[0].value
    at.toggle(key="pooled_sd").set_value(True).run()
    assert not at.warning


def test_columns_chosen_by_hand(page):
    at = page(source="Paste CSV text")
    at.text_area(key="pasted").input("club,good,tried\nA,3,10\nB,5,12\nC,1,9\n").run()
    assert "No known columns" in at.error[0].value
    at.selectbox(key="map-shape").set_value("counts").run()
    for role, column in (("group", "club"), ("successes", "good"), ("trials", "tried")):
        at.selectbox(key=f"map-{role}").set_value(column)
    at.run()
    assert not at.exception and not at.error
    assert metric(at, "Groups") == "3"


def test_nuts_check_runs_and_reports_diagnostics(page):
    at = page(example=EXAMPLE_LABELS["estimates"], nuts="true", nuts_draws="50")
    assert metric(at, "divergences") is not None
    assert_your_data_offers_its_code(at, "estimates")
    names = {t.get("name") for f in figures(at) for t in f["data"]}
    assert {"exact", "NUTS"} <= names
    assert any("half-normal(scale" in m.value for m in at.markdown)  # the shared prior, stated


def test_nuts_check_refuses_a_prior_it_cannot_share(page):
    at = page(example=EXAMPLE_LABELS["estimates"], nuts="true", tau_prior="uniform")
    assert "MCMC needs a proper prior" in at.info[-1].value
    assert metric(at, "Complete pooling")  # the exact analysis is still there


def test_ten_thousand_groups_stay_summarized(page):
    at = page(example=EXAMPLE_LABELS["large"])
    assert metric(at, "Groups") == "10,000"
    assert metric(at, "Exact draws") == "200"
    shrinkage = next(
        f for f in figures(at) if any(t.get("name") == "no pooling" for t in f["data"])
    )
    assert all(t["type"] == "scattergl" for t in shrinkage["data"])
    forest = next(
        f
        for f in figures(at)
        if any(t.get("name", "").startswith("posterior median") for t in f["data"])
    )
    assert len(forest["layout"]["yaxis"]["ticktext"]) == figs.FOREST_ROWS
    assert "NUTS is offered up to" in at.info[-1].value


# ------------------------------------------------------------------------------------------------
# Figure builders


def test_tau_posterior_names_the_units():
    grid = np.linspace(0, 10, 50)
    fig = figs.tau_posterior(grid, np.exp(-grid), value_title="yi, your units")
    assert fig.layout.xaxis.title.text == "τ, sd of the true group values (yi, your units)"
    assert np.isfinite(np.asarray(fig.data[0].y)).all()


def test_posterior_forest_caps_rows_and_escapes_names():
    table = pd.DataFrame(
        {"50%": np.arange(60.0), "2.5%": np.arange(60.0) - 1, "97.5%": np.arange(60.0) + 1},
        index=[f"<i>g{j}</i>" for j in range(60)],
    )
    fig = figs.posterior_forest(table, x_title="rate", rows=40, reference=3.0)
    assert len(fig.layout.yaxis.ticktext) == 40
    assert fig.layout.yaxis.ticktext[0] == "&lt;i&gt;g0&lt;/i&gt;"
    assert fig.layout.xaxis.title.text == "rate"
    with pytest.raises(ValueError, match="no column '50%'"):
        figs.posterior_forest(table.drop(columns="50%"), x_title="rate")


def test_best_bars_show_the_top_groups_largest_first():
    p = np.array([0.1, 0.5, 0.0, 0.4])
    fig = figs.best_bars(["a", "b", "c", "d"], p, top=3)
    assert list(fig.data[0].y) == ["b", "d", "a"]
    assert list(fig.data[0].x) == [0.5, 0.4, 0.1]


REGRESSION = "Regression: radon-like, 85 counties (simulated)"


def test_regression_example_shows_the_three_poolings_and_refits(page):
    """The regression shape: the lines, size, population and shrinkage figures, each fit's
    diagnostics and ArviZ download; a bad link value falls back with a note; moving the τ scale
    refits partial pooling; the switch lets the slopes vary."""
    at = page(example=REGRESSION, reg_tau_scale="garbage")
    assert any("**reg\\_tau\\_scale**" in w.value for w in at.warning)
    assert at.select_slider(key="reg_tau_scale").value == 1.0
    names = [t.get("name") for f in figures(at) for t in f["data"]]
    assert {"complete pooling", "no pooling", "partial pooling", "observations"} <= set(names)
    assert "population line (posterior mean)" in names
    table = next(f.value for f in at.dataframe if "intercept" in f.value.columns)
    assert len(table) == 85 and table["slope"].nunique() == 1
    assert float(metric(at, "Population slope")) < 0  # the simulation's floor effect is −0.7
    labels = [b.label for b in at.get("download_button")]
    assert labels.count("Download draws (ArviZ NetCDF)") == 3
    assert_regression_offers_each_fits_code(at)
    at.select_slider(key="reg_tau_scale").set_value(0.1).run()
    assert not at.exception
    tighter = next(f.value for f in at.dataframe if "intercept" in f.value.columns)
    # a tighter prior on τ pulls the intercepts together
    assert tighter["intercept"].std() < table["intercept"].std()
    at.toggle(key="reg_slopes").set_value(True).run()
    assert not at.exception
    varying = next(f.value for f in at.dataframe if "intercept" in f.value.columns)
    assert varying["slope"].nunique() == 85
