"""The lecture's derivations (hbviz.lecture_notes) against published numbers and independent
computations, and the pages showing the numbers that were computed."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from hbviz import beta_binomial, datasets, lecture_notes, normal_normal, pooling
from tests.test_normal_normal import TABLE_5_3


@pytest.fixture(scope="module")
def historical():
    rats = datasets.rat_tumor()
    return rats["y"].to_numpy()[:-1], rats["n"].to_numpy()[:-1]


def test_moment_matching_is_the_lectures_0_136_and_0_103(historical):
    mm = lecture_notes.moment_matching(*historical)
    rates = historical[0] / historical[1]
    # BDA3 §5.1 / the lecture: mean 0.136, sd 0.103, (α, β) = (1.356, 8.615) unrounded
    assert (round(mm.mean, 3), round(mm.sd, 3)) == (0.136, 0.103)
    assert mm.mean == pytest.approx(rates.mean(), rel=1e-12)
    assert mm.sd == pytest.approx(rates.std(ddof=1), rel=1e-12)
    assert (round(mm.alpha, 3), round(mm.beta, 3)) == (1.356, 8.615)
    # the equations shown solve for them
    assert mm.size == pytest.approx(mm.mean * (1 - mm.mean) / mm.sd**2 - 1, rel=1e-12)
    latex = " ".join(latex for _, latex in lecture_notes.moment_matching_steps(mm))
    assert "= 0.136" in latex and "= 0.103" in latex and "= 1.36" in latex and "= 8.62" in latex


@pytest.mark.parametrize("mu_prior", [None, (5.0, 10.0)])
def test_normal_steps_show_mu_hat_and_v_mu_of_bda3_eq_5_20(schools, mu_prior):
    y, sigma = schools
    tau = 7.5
    weights = 1 / (sigma**2 + tau**2)
    precision, total = weights.sum(), (weights * y).sum()
    if mu_prior is not None:
        precision += 1 / mu_prior[1] ** 2
        total += mu_prior[0] / mu_prior[1] ** 2
    v_mu = 1 / precision
    mu_hat = total * v_mu
    b = sigma[0] ** 2 / (sigma[0] ** 2 + tau**2)
    steps = lecture_notes.normal_steps(y, sigma, tau, mu_prior=mu_prior, names=list("ABCDEFGH"))
    latex = " ".join(latex for _, latex in steps)
    assert f"= {mu_hat:.2f}" in latex
    assert f"V_\\mu = {v_mu:.2f}" in latex
    assert f"\\hat\\theta = {b * mu_hat + (1 - b) * y[0]:.2f}" in latex
    assert f"V = {(1 - b) * sigma[0] ** 2:.2f}" in latex
    assert ("\\hat\\mu - 5" in steps[0][1]) == (mu_prior is not None)  # its factor in p(τ | y)


def test_beta_binomial_steps_show_bda3s_mode(rats):
    post = beta_binomial.sample_posterior(*rats, draws=1000)
    text = " ".join(latex for _, latex in lecture_notes.beta_binomial_steps(post, *rats))
    mode = text.split(r"\approx (")[1].split(")")[0]
    u, v = (float(part.replace(r"\ ", "")) for part in mode.split(","))
    # BDA3 Fig. 5.3: near (−1.75, 2.8)
    assert abs(u + 1.75) < 0.1 and abs(v - 2.8) < 0.1
    mean = beta_binomial.hyperparameter_summary(post).loc["population_mean", "mean"]
    assert f"= {mean:.3f}" in text


def test_book_table_is_bda3_table_5_3():
    book = lecture_notes.table_5_3()
    assert list(book.columns) == list(lecture_notes.BOOK_LEVELS)
    for school, row in TABLE_5_3.items():
        assert tuple(book.loc[school]) == row


def test_order_statistic_sd_matches_repeated_200_draw_estimates(rng):
    # a known posterior: a skewed one, like a tail of θ
    draws = rng.gamma(2.0, 3.0, size=(200_000, 1))
    comparison = lecture_notes.book_comparison(
        draws,
        ["A"],
        book=pd.DataFrame({lvl: [0.0] for lvl in lecture_notes.BOOK_LEVELS}, index=["A"]),
    )
    repeated = np.quantile(rng.gamma(2.0, 3.0, size=(4000, 200)), [0.025, 0.5, 0.975], axis=1)
    for label, estimates in zip(("2.5%", "50%", "97.5%"), repeated, strict=True):
        row = comparison.loc[("A", label)]
        # sd of 4000 estimates is within ~2.2% of its value; allow the order-statistic rule
        # against np.quantile's interpolation between neighbouring order statistics too
        assert row["sd_small"] == pytest.approx(estimates.std(), rel=0.1), label
        low, high = np.quantile(estimates, [0.025, 0.975])
        assert row["low"] == pytest.approx(low, rel=0.1) and row["high"] == pytest.approx(
            high, rel=0.1
        )


def test_book_differences_single_out_fs_97_5_percent(schools):
    post = normal_normal.sample_posterior(*schools, draws=8000, seed=3)
    comparison = lecture_notes.book_comparison(post.theta, list("ABCDEFGH"))
    far = comparison.index[comparison["z"].abs() > 4].tolist()
    assert far == [("F", "97.5%")]
    assert comparison.loc[("F", "97.5%"), "exact"] == pytest.approx(18.5, abs=1.0)  # the issue's
    text = lecture_notes.book_differences(comparison)
    assert "F's 97.5% (28 against" in text and "200 draws" in text
    wide = lecture_notes.book_table(comparison)
    assert list(wide.index) == list("ABCDEFGH")
    assert wide.loc["F", "97.5% book"] == 28
    sds = lecture_notes.book_table(comparison, ["sd_small"])
    assert list(sds.columns) == list(lecture_notes.BOOK_LEVELS)
    assert sds.loc["F", "97.5%"] == comparison.loc[("F", "97.5%"), "sd_small"]


def test_book_comparison_applies_to_the_books_settings_only(schools):
    y, sigma = schools
    names = list("ABCDEFGH")
    ok = dict(tau_prior="uniform", mu_prior=None)
    assert lecture_notes.book_comparison_unavailable(y, sigma, names, **ok) is None
    assert "prior" in lecture_notes.book_comparison_unavailable(
        y, sigma, names, tau_prior="half_cauchy", mu_prior=None
    )
    assert "data" in lecture_notes.book_comparison_unavailable(y + 1, sigma, names, **ok)


# --- the pages ------------------------------------------------------------------------------------


def test_drug_trial_shows_the_method_of_moments_and_the_analytic_steps(app_page, historical):
    at = app_page("pages/drug_trial.py")
    assert not at.exception
    mm = lecture_notes.moment_matching(*historical)
    labels = [e.label for e in at.expander]
    assert (
        f"Method of moments: m = {mm.mean:.3f}, s = {mm.sd:.3f} → α = {mm.alpha:.2f}, β = {mm.beta:.2f}"
        in labels
    )
    assert any(label.startswith("The analytic steps: p(α, β | y)") for label in labels)
    latex = [el.value for el in at.latex]
    expected = [latex for _, latex in lecture_notes.moment_matching_steps(mm)]
    assert all(any(step in shown for shown in latex) for step in expected)


def open_expanders(at, *keys: str):
    """Open the page's lazy expanders ``keys`` (pages/_ui.lazy_expander) and rerun."""
    for key in keys:
        at.session_state[key] = True
    return at.run()


def test_eight_schools_shows_the_steps_and_the_books_table_beside_its_own(app_page):
    from pages._lecture_notes import SCHOOLS_STEPS_KEY, TABLE_5_3_KEY

    at = app_page("pages/eight_schools.py")
    assert not at.exception
    # closed, they are neither computed nor sent: no formula of the steps, no book table
    assert not any("V_\\mu" in el.value for el in at.latex)
    assert not [d for d in at.dataframe if "97.5% book" in d.value.columns]
    open_expanders(at, SCHOOLS_STEPS_KEY, TABLE_5_3_KEY)
    assert not at.exception
    schools = datasets.eight_schools()
    tau = at.slider(key="tau").value
    at_tau = normal_normal.conditional_posterior(schools["y"], schools["sigma"], tau)
    latex = " ".join(el.value for el in at.latex)
    assert f"= {at_tau.mu_mean[0]:.2f}" in latex and f"V_\\mu = {at_tau.mu_sd[0] ** 2:.2f}" in latex
    (book,) = [d.value for d in at.dataframe if "97.5% book" in d.value.columns]
    quantiles = next(d.value for d in at.dataframe if "sd" in d.value.columns)  # Table 5.3
    # the page's own Table 5.3 and the exact column beside the book's are the same numbers
    np.testing.assert_allclose(book["97.5% exact"], quantiles["97.5%"].iloc[:8], rtol=1e-9)
    assert book["97.5% book"].tolist() == [row[4] for row in TABLE_5_3.values()]
    assert any("F's 97.5%" in m.value for m in at.markdown)


def test_eight_schools_says_when_the_book_does_not_apply(app_page):
    from pages._lecture_notes import TABLE_5_3_KEY

    at = open_expanders(app_page("pages/eight_schools.py"), TABLE_5_3_KEY)
    at.segmented_control(key="tau_prior").set_value("half_cauchy").run()
    assert not at.exception
    assert any("uniform prior on τ" in i.value for i in at.info)
    assert not [d for d in at.dataframe if "97.5% book" in d.value.columns]


def test_pooling_divergence_note_counts_and_places_the_divergences():
    """Every number the note says is the fit's: count, share, where in τ; and the tutorial's
    count is compared only on its data, naming the settings that differ."""
    diverging = np.zeros((2, 1000), dtype=bool)
    diverging[0, :12] = True
    tau = np.full((2, 1000), 2.0)
    tau[diverging] = 9.0  # divergences at large τ: the non-centered form's turned funnel
    note = lecture_notes.pooling_divergence_note(
        "partial", diverging, chains=2, warmup=500, draws=1000, centered=False, tau=tau
    )
    assert "12 divergent transitions of 2,000 draws (0.6%)" in note
    assert "median τ 9.00 against 2.00" in note and "turned the funnel around" in note
    assert "Few enough to pass" in note and "hbviz's choice" in note
    sizes = dict(chains=2, warmup=500, draws=1000)
    neck = lecture_notes.pooling_divergence_note("partial", diverging, tau=1 / tau, **sizes)
    assert "median τ 0.11 against 0.50" in neck and "in the funnel's neck" in neck
    # where they are is measured, not assumed: the centered form's divergences at large τ
    high = lecture_notes.pooling_divergence_note("partial", diverging, tau=tau, **sizes)
    assert "neck" not in high and "at larger τ than the draws as a whole" in high

    none = lecture_notes.pooling_divergence_note(
        "complete", np.zeros((1, 50), bool), chains=1, warmup=500, draws=50
    )
    assert none.startswith("**This fit: no divergent transition in 50 draws.**")
    many = np.ones((1, 1000), dtype=bool)
    tutorial = lecture_notes.pooling_divergence_note("no", many, chains=1, warmup=500, draws=1000)
    assert "More than 1%" in tutorial and "the settings here" in tutorial
    assert "The tutorial reports 120" in tutorial
    other = lecture_notes.pooling_divergence_note("no", many, chains=4, warmup=100, draws=1000)
    assert "4 chains (tutorial 1), 100 warm-up steps (tutorial 500):" in other
    edited = lecture_notes.pooling_divergence_note(
        "no", many, chains=1, warmup=500, draws=1000, tutorial_data=False
    )
    assert "these data differ" in edited
    with pytest.raises(ValueError, match="'some'"):
        lecture_notes.pooling_divergence_note("some", many, chains=1, warmup=500, draws=1000)


def test_pooling_why_names_the_funnel_of_each_model_that_has_one():
    assert "**funnel**" in lecture_notes.pooling_why("no", groups=3)
    partial = lecture_notes.pooling_why("partial", groups=3)
    assert "here 3" in partial and "non-centered" in partial
    assert lecture_notes.pooling_why("complete", groups=3) is None
    assert set(lecture_notes.POOLING_MODELS) == set(pooling.POOLING_SERIES)
    with pytest.raises(ValueError, match="'some'"):
        lecture_notes.pooling_why("some", groups=3)
