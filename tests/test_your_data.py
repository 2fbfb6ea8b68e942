"""hbviz.your_data: raw data analysed as the varying-intercept model y ~ 1 + (1 | group), priors
on the data's scale, the notebook API (analyse, nuts_check)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from hbviz import normal_normal, upload
from hbviz import your_data as yd

MU, TAU, SIGMA = 10.0, 2.0, 5.0


@pytest.fixture(scope="module")
def simulated():
    """40 groups of 1 to 100 observations from v_i ~ N(θ_g, σ²), θ_g ~ N(μ, τ²)."""
    rng = np.random.default_rng(11)
    sizes = np.concatenate([[1, 1, 2, 2, 3, 100], rng.integers(1, 101, size=34)])
    theta = rng.normal(MU, TAU, size=sizes.size)
    group = np.repeat(np.arange(sizes.size), sizes)
    values = rng.normal(theta[group], SIGMA)
    table = pd.DataFrame({"group": [f"g{k:02d}" for k in group], "value": values})
    return upload.Dataset("raw", table, {"group": "group", "value": "value"}), values, group


def group_means(values, group):
    n = np.bincount(group)
    return np.bincount(group, weights=values) / n, n


def test_group_means_at_fixed_tau_are_the_blups_of_the_varying_intercept_model(simulated):
    # Henderson's BLUPs at known variance components: μ̂ the GLS mean, then each group mean
    # shrunk toward it by τ² / (τ² + σ²/n_j). The exact sampler's E(θ_j | τ, y) with flat μ is
    # the same closed form when σ_j = σ/√n_j, so they agree to rounding (no Monte Carlo here).
    data, values, group = simulated
    ybar, n = group_means(values, group)
    v = SIGMA**2 / n + TAU**2
    mu_hat = np.sum(ybar / v) / np.sum(1 / v)
    blup = mu_hat + TAU**2 / v * (ybar - mu_hat)
    g = yd.groups(data, within_sd=SIGMA)
    np.testing.assert_allclose(g.table["std_error"], SIGMA / np.sqrt(n), rtol=1e-12)
    at = normal_normal.conditional_posterior(g.table["raw"], g.table["std_error"], TAU)
    np.testing.assert_allclose(at.theta_mean[0], blup, rtol=1e-10)


def test_pooled_sd_is_the_within_group_sd_and_orders_standard_errors_by_size(simulated):
    data, values, group = simulated
    ybar, n = group_means(values, group)
    resid = values - ybar[group]
    s_p = np.sqrt(np.sum(resid**2) / (values.size - n.size))
    g = yd.groups(data)
    assert g.pooled_sd == pytest.approx(s_p, rel=1e-12)
    # s_p² (N − G)/σ² ~ χ²(N − G): its relative sd is √(2/(N − G)) ≈ 2 % here; 5 of them.
    assert abs(s_p / SIGMA - 1) < 5 * np.sqrt(0.5 / (values.size - n.size))
    np.testing.assert_allclose(g.table["std_error"], s_p / np.sqrt(n), rtol=1e-12)
    assert (g.table["sd_source"] == "pooled").all()
    # the bug of issue 11: a group of 2 must not look more precise than one of 100
    order = np.argsort(n)
    assert np.all(np.diff(g.table["std_error"].to_numpy()[order]) <= 1e-15)


def posterior_means_by_quadrature(ybar, se, tau_scale, mu_prior):
    """E(θ_j | y) under τ ~ HalfNormal(tau_scale), μ ~ N(m0, s0²): ∫ E(θ_j | τ, y) p(τ | y) dτ,
    with μ integrated out in closed form (BDA3 §5.4 with a normal prior on μ)."""
    m0, s0 = mu_prior
    tau = np.linspace(1e-9, 12 * tau_scale, 40_001)[:, None]
    v = se**2 + tau**2
    prec = np.sum(1 / v, axis=1, keepdims=True) + 1 / s0**2
    mu_hat = (np.sum(ybar / v, axis=1, keepdims=True) + m0 / s0**2) / prec
    log_post = (
        -0.5 * np.sum(np.log(v), axis=1, keepdims=True)
        - 0.5 * np.log(prec)
        - 0.5 * np.sum((ybar - mu_hat) ** 2 / v, axis=1, keepdims=True)
        - 0.5 * (mu_hat - m0) ** 2 / s0**2
        - 0.5 * (tau / tau_scale) ** 2
    )
    weight = np.exp(log_post - special.logsumexp(log_post))
    cond = (ybar / se**2 + mu_hat / tau**2) / (1 / se**2 + 1 / tau**2)
    return np.sum(weight * cond, axis=0)


def test_posterior_means_match_the_varying_intercept_model_within_monte_carlo_error(simulated):
    data, values, group = simulated
    draws = 20_000
    res = yd.analyse(data, within_sd=SIGMA, tau_scale=3.0, draws=draws)
    ybar, n = group_means(values, group)
    expected = posterior_means_by_quadrature(ybar, SIGMA / np.sqrt(n), 3.0, res.priors.mu_prior)
    # Exact draws are independent: the Monte Carlo sd of each mean is sd_j/√draws. Over 40
    # groups, |z| < 4.5 fails by chance with probability < 40 · 7e-6.
    z = (res.table["mean"].to_numpy() - expected) / (res.table["sd"].to_numpy() / np.sqrt(draws))
    assert np.max(np.abs(z)) < 4.5, z
    # the partial-pooling estimates are not the raw means: small groups moved toward μ
    assert abs(res.table["mean"].iloc[0] - ybar[0]) > 0.5 * abs(ybar[0] - res.population_mean)


def test_per_group_sd_is_flagged_unsafe_for_small_groups(simulated):
    data, *_ = simulated
    res = yd.analyse(data, within_sd="per_group", draws=500)
    assert res.warnings and "fewer than 10 observations" in res.warnings[0]
    assert not yd.analyse(data, draws=500).warnings
    with pytest.raises(ValueError, match="within_sd"):
        yd.groups(data, within_sd="own")


def test_complete_pooling_of_raw_data_is_the_grand_mean_with_the_pooled_sd(simulated):
    data, values, _ = simulated
    g = yd.groups(data, within_sd="per_group")
    est, sd = yd.complete_pooling(data, g)
    assert est == pytest.approx(values.mean(), rel=1e-12)
    assert sd == pytest.approx(g.pooled_sd / np.sqrt(values.size), rel=1e-12)


@pytest.mark.parametrize("shape", ["estimates", "raw"])
def test_default_tau_scale_follows_the_data_scale(shape):
    data = upload.parse(upload.example(shape))
    res = yd.analyse(data, draws=500)
    spread = np.std(res.groups.table["raw"], ddof=1)
    assert res.priors.tau_scale == pytest.approx(spread)
    # rescaling the data rescales the prior and the posterior: nothing depends on the units
    scaled = upload.Dataset(data.shape, data.table.copy(), data.columns)
    column = "value" if shape == "raw" else "estimate"
    scaled.table[column] *= 1000
    if shape == "estimates":
        scaled.table["std_error"] *= 1000
    big = yd.analyse(scaled, draws=500)
    assert big.priors.tau_scale == pytest.approx(1000 * res.priors.tau_scale)
    np.testing.assert_allclose(big.table["mean"], 1000 * res.table["mean"], rtol=1e-6)
    assert f"{res.priors.tau_scale:.3g}" in res.priors.description


def test_analyse_table_has_the_documented_columns_and_population_mean():
    data = upload.parse(upload.example("counts"))
    res = yd.analyse(data)
    assert list(res.table.columns) == ["mean", "sd", "2.5%", "50%", "97.5%", "p_best"]
    assert list(res.table.index) == list(data.table["group"])
    assert res.table["p_best"].sum() == pytest.approx(1.0)
    post = res.posterior
    assert res.population_mean == pytest.approx(np.mean(post.alpha / (post.alpha + post.beta)))
    assert "α/(α+β)" in res.population_label


def test_nuts_check_refuses_a_prior_it_cannot_share():
    data = upload.parse(upload.example("raw"))
    with pytest.raises(ValueError, match="half-normal"):
        yd.nuts_check(data, tau_prior="half_cauchy", draws=50)
    assert yd.nuts_unavailable(data, tau_prior="uniform")


def test_nuts_check_names_a_setting_analyse_does_not_take():
    data = upload.parse(upload.example("raw"))
    with pytest.raises(ValueError, match="'within'"):
        yd.nuts_check(data, within="pooled", draws=50)


def test_nuts_check_of_raw_data_fits_the_same_model():
    data = upload.parse(upload.example("raw"))
    exact = yd.analyse(data)
    chk = yd.nuts_check(data, draws=300, exact=exact)
    assert list(chk.table.columns) == list(exact.table.columns)
    assert chk.fit.model.startswith("raw_partial_pooling")
    # 4 × 300 draws: NUTS means within a few Monte Carlo sds (n_eff ≥ ~300) of the exact ones;
    # chick weights have 71 values, so σ's own uncertainty (~8 %) widens NUTS a little.
    z = (chk.table["mean"] - exact.table["mean"]) / (exact.table["sd"] / np.sqrt(300))
    assert np.max(np.abs(z)) < 5
    assert chk.largest_sd_gap < 0.3


GOOD = b"team,y,n\nA,3,10\nB,5,12\n"
BAD = b"team,y,n\nA,x,10\nB,15,12\n"


def test_pick_dataset_never_shows_what_the_user_did_not_load():
    kept = ("first.csv", upload.parse(GOOD))
    new = yd.pick_dataset("new.csv", GOOD, kept, parse=upload.parse)
    assert new.loaded and new.chosen[0] == "new.csv" and new.note is None
    rejected = yd.pick_dataset("bad.csv", BAD, None, parse=upload.parse)
    assert rejected.chosen is None and len(rejected.problems.problems) == 2
    assert rejected.note.startswith("Nothing to analyse. Fix the problems above")
    fallback = yd.pick_dataset("bad.csv", BAD, kept, parse=upload.parse)
    assert fallback.chosen is kept and not fallback.loaded
    assert "the page analyses first.csv, the last data you loaded" in fallback.note


def test_pick_dataset_says_when_nothing_or_an_empty_file_was_given():
    blank = yd.pick_dataset(
        "the pasted text", b"  \n", None, parse=upload.parse, blank_is_empty=True
    )
    assert blank.problems is None and "The text box is empty" in blank.note
    empty = yd.pick_dataset("empty.csv", b"", None, parse=upload.parse)
    assert "The file is empty" in str(empty.problems)
    assert "Choose a CSV file" in yd.pick_dataset(None, None, None, parse=upload.parse).note
