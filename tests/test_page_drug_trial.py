"""The drug-trial page in AppTest: BDA3's empirical-Bayes numbers, controls that change the view."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import array, figures, metrics

PAGE = "pages/drug_trial.py"


def eb_update(at) -> str:
    """The "prior → posterior" line of the empirical-Bayes panel."""
    return next(m.value for m in at.markdown if m.value.startswith("#### Beta"))


def current_table(at):
    return next(df.value for df in at.dataframe if "analysis" in (df.value.index.name or ""))


def grid_medians() -> tuple[float, float]:
    """Medians of α and β under the exact grid posterior of the lecture's 71 experiments, from the
    grid's cell weights (no draws)."""
    from hbviz import beta_binomial, datasets

    rats = datasets.rat_tumor()
    post = beta_binomial.sample_posterior(rats["y"], rats["n"], draws=200)
    u, v = np.meshgrid(post.logit_mean, post.log_size)  # density rows are v, columns u
    weight = (post.density / post.density.sum()).ravel()
    medians = []
    for value in (np.exp(v) / (1 + np.exp(-u)), np.exp(v) / (1 + np.exp(u))):
        order = np.argsort(value.ravel())
        cumulative = np.cumsum(weight[order])
        medians.append(float(value.ravel()[order][np.searchsorted(cumulative, 0.5)]))
    return medians[0], medians[1]


def test_lecture_values_are_shown(app_page):
    at = app_page(PAGE)
    assert not at.exception
    shown = metrics(at)
    # BDA3 §5.1 / the lecture: prior Beta(1.4, 8.6), posterior Beta(5.4, 18.6), mean 0.223, sd 0.083
    assert eb_update(at) == "#### Beta(1.4, 8.6) → Beta(5.4, 18.6)"
    assert shown["posterior mean of θ"] == "0.223"
    assert shown["posterior sd of θ"] == "0.083"
    assert any("standard deviation" in c.value and '"var"' in c.value for c in at.caption)
    # full Bayes: E(α|y) and E(β|y) are infinite under (α+β)^(-5/2) and not shown; the medians
    # of the 4000 draws match the grid's weighted medians within Monte Carlo and cell error
    # (sd of a median ≈ 1.25 sd/√4000: 0.02 for α, 0.1 for β), E(α/(α+β)|y) ≈ 0.144 (grid sum)
    assert not any(label.startswith("E(α |") for label in shown)
    median_alpha, median_beta = grid_medians()
    assert float(shown["median of α | y"]) == pytest.approx(median_alpha, abs=0.1)
    assert float(shown["median of β | y"]) == pytest.approx(median_beta, abs=0.5)
    assert float(shown["E(α/(α+β) | y)"]) == pytest.approx(0.144, abs=0.002)
    table = current_table(at)
    assert list(table.index) == ["independent", "empirical Bayes", "full Bayes"]
    assert table.loc["empirical Bayes", "mean"] == pytest.approx(0.2234, abs=5e-4)
    # pooling pulls 4/14 = 0.286 down toward the historical rates
    assert table.loc["full Bayes", "mean"] < 4 / 14 < table.loc["independent", "mean"] + 0.05
    current, history, contour, intervals, *_ = figures(at)
    assert [t["name"] for t in history["data"]] == [
        "70 historical rates",
        "fitted prior Beta(1.4, 8.6)",
    ]
    assert [t["type"] for t in contour["data"]] == ["contour", "scattergl"]
    assert [t["name"] for t in current["data"]] == ["independent", "empirical Bayes", "full Bayes"]
    # Fig. 5.4: the 45° line, 70 historical experiments and the current one
    assert array(intervals["data"][1]["x"]).size == 70
    assert array(intervals["data"][2]["x"]).size == 1
    for trace in intervals["data"][1:]:
        assert np.all(np.isfinite(array(trace["x"]))) and np.all(np.isfinite(array(trace["y"])))


def test_moving_the_current_y_changes_the_posterior(app_page):
    at = app_page(PAGE)
    before = current_table(at)
    curves_before = array(figures(at)[0]["data"][1]["y"])
    at.number_input(key="current_y").set_value(9).run()
    assert not at.exception
    shown = metrics(at)
    assert eb_update(at).endswith("→ Beta(10.4, 13.6)")
    assert float(shown["posterior mean of θ"]) == pytest.approx(10.356 / 23.971, abs=1e-3)
    after = current_table(at)
    assert after.loc["full Bayes", "mean"] > before.loc["full Bayes", "mean"] + 0.1
    curves_after = array(figures(at)[0]["data"][1]["y"])
    assert not np.allclose(curves_after, curves_before)


def test_moving_n_changes_the_posterior(app_page):
    at = app_page(PAGE)
    at.number_input(key="current_n").set_value(40).run()
    assert not at.exception
    assert eb_update(at).endswith("→ Beta(5.4, 44.6)")


def test_y_above_n_is_a_message_not_a_crash(app_page):
    at = app_page(PAGE, query={"current_y": "20"})
    assert not at.exception
    assert any("y cannot exceed n" in e.value for e in at.error)
    assert not at.get("plotly_chart")


def test_reset_restores_the_lecture_values(app_page):
    at = app_page(PAGE, query={"current_y": "0", "current_n": "30"})
    assert eb_update(at).endswith("→ Beta(1.4, 38.6)")
    at.button(key="reset").click().run()
    assert eb_update(at).endswith("→ Beta(5.4, 18.6)")


def predictive_table(at):
    return next(df.value for df in at.dataframe if df.value.index.name == "predictive of ỹ")


def test_predictive_of_the_current_and_a_new_experiment(app_page):
    at = app_page(PAGE)
    table = predictive_table(at)
    assert list(table.index) == ["the current experiment again, n = 14", "a new experiment, ñ = 14"]
    # E(ỹ) = n E(θ_71 | y): the current table's full-Bayes mean, within Monte Carlo error of the
    # 4000 draws' mean (sd of θ_71 ≈ 0.08: 14 × 0.08/√4000 ≈ 0.02)
    full_mean = current_table(at).loc["full Bayes", "mean"]
    assert table.iloc[0]["mean"] == pytest.approx(14 * full_mean, abs=0.1)
    # a new experiment: E(ỹ) = ñ E(α/(α+β) | y), the population mean the page shows (grid sum)
    population = float(metrics(at)["E(α/(α+β) | y)"])
    assert table.iloc[1]["mean"] == pytest.approx(14 * population, abs=0.1)
    pmf = next(
        f for f in figures(at) if any("observed y/n" in str(t.get("name")) for t in f["data"])
    )
    assert pmf["data"][-1]["name"] == f"observed y/n {4 / 14:.3f}"
    at.number_input(key="n_new").set_value(100).run()
    assert not at.exception
    assert predictive_table(at).index[1] == "a new experiment, ñ = 100"


def test_prior_predictive_is_computed_only_when_opened(app_page):
    at = app_page(PAGE)
    assert not any(df.value.index.name == "prior" for df in at.dataframe)
    assert len(figures(at)) == 5  # the two prior-predictive figures are not built while closed


def open_prior_check(at):
    from pages._predictive import PRIOR_CHECK_KEY

    at.session_state[PRIOR_CHECK_KEY] = True
    return at.run()


def test_prior_predictive_cuts_the_improper_hyperprior(app_page):
    at = open_prior_check(app_page(PAGE))
    assert not at.exception
    table = next(df.value for df in at.dataframe if df.value.index.name == "prior")
    assert list(table.index) == ["(α + β)^(−5/2), cut", "empirical Bayes Beta(1.4, 8.6)"]
    extreme = table["Pr(θ < 0.01 or > 0.99)"]
    # cut at log(α+β) ≥ −8 most draws have α + β < 0.14: U-shaped Betas, rates near 0 or 1
    assert extreme.iloc[0] > 0.5 and extreme.iloc[1] < 0.05
    assert any("improper" in m.value and "[-8, 25]" in m.value for m in at.markdown)
    at.slider(key="log_size_min").set_value(2.0).run()
    assert not at.exception
    cut = next(df.value for df in at.dataframe if df.value.index.name == "prior")
    assert cut["Pr(θ < 0.01 or > 0.99)"].iloc[0] < extreme.iloc[0] - 0.3


def test_fig_5_4_on_the_logit_scale_transforms_the_quantiles(app_page, rats):
    from hbviz import beta_binomial

    at = app_page(PAGE, query={"scale": "logit"})
    assert at.segmented_control(key="scale").value == "logit"
    fig = next(f for f in figures(at) if f["data"][0]["name"].startswith("45°"))
    historical = fig["data"][1]
    post = beta_binomial.sample_posterior(*rats, draws=4000, seed=0)
    medians = np.median(post.theta[:, :70], axis=0)
    np.testing.assert_allclose(array(historical["y"]), np.log(medians / (1 - medians)))
    assert "empirical logit" in fig["layout"]["xaxis"]["title"]["text"]
    at.segmented_control(key="scale").set_value("probability").run()
    fig = next(f for f in figures(at) if f["data"][0]["name"].startswith("45°"))
    np.testing.assert_allclose(array(fig["data"][1]["y"]), medians)
