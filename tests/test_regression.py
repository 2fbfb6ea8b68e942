"""Groups with a predictor: the regression shape, its models, REML/BLUP check, figures, notebook API."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpyro.infer.util import log_density
from scipy import stats

from hbviz import diagnostics, regression, upload, your_data
from hbviz.plots import regression as figs

# Wiring checks only: 2 chains × (50 + 50) draws. The BLUP check below uses real sizes.
TINY = {"num_chains": 2, "draws": 50}


@pytest.fixture(scope="module")
def example():
    return upload.parse(upload.example("regression"))


@pytest.fixture(scope="module")
def rd(example):
    return regression.prepare(example)


# --- the shape -----------------------------------------------------------------------------------


def test_the_example_is_the_documented_simulation(example):
    assert example.shape == "regression"
    assert example.columns == {"group": "county", "x": "floor", "y": "log_radon"}
    assert example.n_groups == 85 and len(example.table) == 1037
    again = regression.simulate()
    np.testing.assert_allclose(example.table["y"], again["log_radon"])
    assert any("0 and 1" in note for note in example.notes)


@pytest.mark.parametrize(
    "header", ["group,x,y", "county,floor,log_radon", "school,pretest,outcome", "id;dose;response"]
)
def test_regression_columns_are_recognized(header):
    sep = ";" if ";" in header else ","
    rows = [sep.join(r) for r in (("A", "0", "1.5"), ("A", "1", "2"), ("B", "0", "1"))]
    data = upload.parse("\n".join([header, *rows]))
    assert data.shape == "regression"
    assert list(data.table.columns) == ["group", "x", "y"]


def test_a_value_column_without_a_predictor_stays_raw():
    assert upload.parse("group,value\nA,1\nA,2\nB,3\n").shape == "raw"


def test_the_template_parses_as_regression():
    assert upload.parse(upload.template("regression")).shape == "regression"


def test_every_problem_is_named_with_its_row_and_column():
    text = "county,floor,log_radon\nA,0,1.2\nA,one,1.0\nB,1,\nB,0,inf\n,1,2\n"
    with pytest.raises(upload.UploadError) as err:
        upload.parse(text)
    found = {(p.row, p.column) for p in err.value.problems}
    # group B: both its rows are bad, so it is also named as a group without observations
    assert found == {(3, "floor"), (4, "log_radon"), (5, "log_radon"), (6, "county"), (4, "county")}
    assert "'one' is not a number" in str(err.value)


def test_a_constant_predictor_and_single_observations_are_refused():
    with pytest.raises(upload.UploadError, match=r"same value, 2, in every row"):
        upload.parse("group,x,y\nA,2,1\nA,2,3\nB,2,2\n")
    with pytest.raises(upload.UploadError, match="single observation"):
        upload.parse("group,x,y\nA,0,1\nB,1,3\nC,2,2\n")


def test_columns_chosen_by_hand_give_the_regression_shape():
    data = upload.parse("a,b,c\nA,0,1\nA,1,2\nB,0,3\n", {"group": "a", "x": "b", "y": "c"})
    assert data.shape == "regression"


@pytest.fixture(scope="module")
def fits(rd):
    return {
        "complete": regression.fit(rd, regime="complete", **TINY),
        "no": regression.fit(rd, regime="no", **TINY),
        "partial": regression.fit(rd, regime="partial", **TINY),
    }


# --- the models ----------------------------------------------------------------------------------


def test_the_sufficient_statistics_give_the_normal_likelihood(rd):
    """The models' likelihood through per-group statistics equals Σ_i log N(y_i | a_g + b_g x_i, σ)."""
    rng = np.random.default_rng(0)
    G = len(rd.names)
    stats_ = regression.sufficient_statistics(rd.x_std, rd.y_std, rd.group, G)
    a, b, sigma = rng.normal(size=G), rng.normal(size=G), 0.8
    params = {"a": a, "b": b, "sigma": sigma}
    got, _ = log_density(regression.regression_no_pooling_slopes, (stats_, 1.0), {}, params)
    prior = stats.norm.logpdf(a, 0, 2.5).sum() + stats.norm.logpdf(b, 0, 2.5).sum()
    prior += stats.expon.logpdf(sigma)
    mean = a[rd.group] + b[rd.group] * rd.x_std
    expected = stats.norm.logpdf(rd.y_std, mean, sigma).sum() + prior
    np.testing.assert_allclose(float(got), expected, rtol=1e-10)


def test_the_varying_slopes_effects_follow_their_covariance():
    """(a_g, b_g) = μ + diag(τ) L z_g has covariance diag(τ) L Lᵀ diag(τ)."""
    rng = np.random.default_rng(1)
    tau, rho = np.array([0.5, 2.0]), -0.6
    chol = np.linalg.cholesky(np.array([[1, rho], [rho, 1]]))
    a, b = regression._correlated_effects(
        np.float64(1.0), np.float64(-1.0), *tau, chol, rng.standard_normal((200_000, 2))
    )
    cov = np.cov(np.asarray(a), np.asarray(b))
    expected = np.diag(tau) @ chol @ chol.T @ np.diag(tau)
    np.testing.assert_allclose(cov, expected, atol=0.02)


def test_each_fit_reports_every_group_line_in_data_units(rd, fits):
    G = len(rd.names)
    for fit in (*fits.values(), regression.fit(rd, regime="no", varying_slopes=True, **TINY)):
        assert fit.samples["intercept"].shape == fit.samples["slope"].shape == (2, 50, G)
    # complete pooling: one line that every group shares; no pooling: a line per group
    assert np.ptp(fits["complete"].samples["intercept"], axis=2).max() == 0
    assert np.ptp(fits["no"].samples["intercept"], axis=2).min() > 0


def test_analyse_returns_the_notebook_table(example, rd):
    res = your_data.analyse(example, draws=50)
    assert isinstance(res, regression.RegressionAnalysis)
    assert list(res.table.index) == list(rd.names)
    assert {"intercept", "slope", "intercept_sd", "slope_sd", "intercept_2.5%"} <= set(res.table)
    assert {"slope_50%", "slope_97.5%"} <= set(res.table)
    # a common slope by default; varying slopes on the switch
    assert res.table["slope"].nunique() == 1
    varying = your_data.analyse(example, draws=50, varying_slopes=True)
    assert varying.table["slope"].nunique() == len(rd.names)
    assert "HalfNormal" in varying.priors.description
    assert res.report.draws == 4 * 50  # 4 chains by default


def test_the_priors_are_on_the_data_scale(rd):
    p = regression.priors(rd, tau_scale=2.0)
    assert p.intercept == (pytest.approx(rd.y_mean), pytest.approx(2.5 * rd.y_sd))
    assert p.tau_intercept == pytest.approx(2 * rd.y_sd)
    assert p.tau_slope == pytest.approx(2 * rd.y_sd / rd.x_sd)
    with pytest.raises(ValueError, match="tau_scale"):
        regression.priors(rd, tau_scale=-1)


def test_bad_arguments_are_named(rd):
    with pytest.raises(ValueError, match="regime"):
        regression.fit(rd, regime="some")
    with pytest.raises(ValueError, match="raw shape"):
        regression.prepare(upload.parse(upload.example("raw")))


# --- REML and BLUPs ------------------------------------------------------------------------------


def test_reml_is_the_anova_estimate_in_a_balanced_one_way_layout():
    """Balanced one-way random effects: REML gives σ² = MSW and τ² = (MSB − MSW)/n when that is
    positive (Searle, Casella & McCulloch 1992, §4.8)."""
    rng = np.random.default_rng(3)
    J, n = 30, 6
    g = np.repeat(np.arange(J), n)
    y = 1.0 + rng.normal(0, 1.5, J)[g] + rng.normal(0, 2.0, J * n)
    means = np.bincount(g, y) / n
    msw = ((y - means[g]) ** 2).sum() / (J * (n - 1))
    msb = n * ((means - y.mean()) ** 2).sum() / (J - 1)
    fit = regression.reml(y, np.ones((y.size, 1)), g)
    np.testing.assert_allclose(
        fit.sigma2, msw, rtol=1e-6
    )  # L-BFGS-B with finite-difference gradients
    np.testing.assert_allclose(
        fit.tau2, (msb - msw) / n, rtol=1e-6
    )  # L-BFGS-B with finite-difference gradients


def test_blup_and_restricted_likelihood_match_the_dense_formulas():
    """û = τ² Zᵀ V⁻¹ (y − X β̂) and −½[log|V| + log|XᵀV⁻¹X| + rᵀV⁻¹r] with V built densely."""
    rng = np.random.default_rng(4)
    g = np.repeat(np.arange(7), [1, 2, 3, 5, 8, 2, 4])
    X = np.column_stack([np.ones(g.size), rng.normal(size=g.size)])
    y = rng.normal(size=g.size)
    sigma2, tau2 = 0.7, 0.4
    Z = (g[:, None] == np.arange(7)).astype(float)
    V = sigma2 * np.eye(g.size) + tau2 * Z @ Z.T
    Vi = np.linalg.inv(V)
    beta = np.linalg.solve(X.T @ Vi @ X, X.T @ Vi @ y)
    r = y - X @ beta
    loglik = -0.5 * (np.linalg.slogdet(V)[1] + np.linalg.slogdet(X.T @ Vi @ X)[1] + r @ Vi @ r)
    got_beta, got_u, got_loglik = regression.blup(y, X, g, sigma2, tau2)
    np.testing.assert_allclose(got_beta, beta, rtol=1e-10)
    np.testing.assert_allclose(got_u, tau2 * Z.T @ Vi @ r, rtol=1e-10)
    np.testing.assert_allclose(got_loglik, loglik, rtol=1e-10)


@pytest.mark.slow
def test_nuts_intercepts_match_the_reml_blups_within_monte_carlo_error():
    """y ~ x + (1 | group) on 200 groups of 2 to 30 observations (τ = 0.5, σ = 1): the posterior
    means of the group intercepts agree with the BLUPs at the REML variance components.

    Given (τ, σ) the posterior mean of an intercept is its BLUP (a Gaussian model; the priors on
    the coefficients are wide on standardized data), so its posterior mean is the BLUP averaged
    over p(τ, σ | y): computed here in closed form at 400 of NUTS's own (τ, σ) draws
    (Rao–Blackwell; its own Monte Carlo error is far below the intercepts', as the BLUP barely
    moves over p(τ, σ | y)). NUTS's means must match it within Monte Carlo error, sd_g/√ESS_g:
    every |z| < 4.5, where the largest of 200 standard normals exceeds 4.5 with probability
    0.14 %, and the z's mean and sd are those of standard normals (|mean| < 4/√200, sd within
    0.8–1.2). REML's plug-in BLUP differs from that average by second-order terms only: with 200
    groups p(τ, σ | y) is narrow and centred near REML's values, so the gap must stay below 5 % of
    every intercept's posterior sd (it is ~0.5 %).
    """
    rng = np.random.default_rng(1)
    J = 200
    g = np.repeat(np.arange(J), rng.integers(2, 31, J))
    x = rng.normal(size=g.size)
    y = 2.0 + 0.5 * rng.standard_normal(J)[g] + 0.8 * x + rng.standard_normal(g.size)
    X = np.column_stack([np.ones_like(x), x])
    reml = regression.reml(y, X, g)
    blup_intercept = reml.beta[0] + reml.u
    rd = regression.prepare(pd.DataFrame({"group": g.astype(str), "x": x, "y": y}))
    fit = regression.fit(rd, regime="partial", draws=1000, seed=3)
    draws = fit.samples["intercept"]
    flat = draws.reshape(-1, J)
    sd = flat.std(axis=0, ddof=1)
    mcse = sd / np.sqrt(diagnostics.ess_bulk(draws))
    tau, sigma = fit.samples["tau_intercept"].ravel(), fit.samples["sigma_y"].ravel()
    picks = np.linspace(0, tau.size - 1, 400).astype(int)
    averaged = np.mean(
        [
            (lambda beta, u: beta[0] + u)(*regression.blup(y, X, g, sigma[i] ** 2, tau[i] ** 2)[:2])
            for i in picks
        ],
        axis=0,
    )
    assert np.all(np.abs(blup_intercept - averaged) < 0.05 * sd)
    z = (flat.mean(axis=0) - averaged) / mcse
    assert np.abs(z).max() < 4.5, np.abs(z).max()
    assert abs(z.mean()) < 4 / np.sqrt(J) and 0.8 < z.std() < 1.2, (z.mean(), z.std())
    assert fit.divergences == 0


# --- tables and figures --------------------------------------------------------------------------


def test_the_default_groups_are_the_smallest_and_largest(rd):
    chosen = regression.chosen_groups(rd)
    sizes = dict(zip(rd.names, rd.sizes, strict=True))
    picked = sorted(sizes[c] for c in chosen)
    ordered = sorted(rd.sizes)
    assert picked == ordered[:4] + ordered[-4:]


def test_the_figures_draw_what_the_tables_hold(example, rd, fits):
    chosen = regression.chosen_groups(rd)
    lines = regression.line_table(fits, rd, chosen)
    assert len(lines) == 2 * 3 * len(chosen)
    fig = figs.group_lines(
        example.table, lines, chosen, sizes=dict(zip(rd.names, rd.sizes, strict=True))
    )
    # per panel: the observations and three lines
    assert len(fig.data) == 4 * len(chosen)
    sizes = {
        s: regression.size_table(fits[r], rd)
        for s, r in (("no pooling", "no"), ("partial pooling", "partial"))
    }
    fig = figs.estimates_by_size(sizes, population=1.4)
    assert [t.name for t in fig.data] == ["no pooling", "partial pooling"]
    band = regression.population_band(fits["partial"], rd)
    assert (band["lower"] <= band["mean"]).all() and (band["mean"] <= band["upper"]).all()
    assert len(figs.population_line(band, example.table).data) == 3
    arrows = figs.shrinkage_arrows(regression.shrinkage_table(fits["no"], fits["partial"], rd))
    assert len(arrows.layout.annotations) == len(rd.names)
    with pytest.raises(ValueError, match="1 to 12 groups"):
        figs.group_lines(example.table, lines, [])
    with pytest.raises(ValueError, match="no group named"):
        regression.line_table(fits, rd, ["<nobody>"])
    with pytest.raises(ValueError, match="partial-pooling fit"):
        regression.population_band(fits["no"], rd)


def test_a_group_name_shows_as_text_in_the_figures(fits):
    rd = regression.prepare(
        pd.DataFrame(
            {"group": ["<b>x</b>"] * 3 + ["B"] * 2, "x": [0, 1, 2, 0, 1], "y": [1, 2, 3, 1, 0]}
        )
    )
    table = pd.DataFrame({"group": ["<b>x</b>"], "series": ["no pooling"] * 1, "x": [0], "y": [1]})
    fig = figs.group_lines(pd.DataFrame({"group": [], "x": [], "y": []}), table, ["<b>x</b>"])
    assert fig.layout.annotations[0].text == "&lt;b&gt;x&lt;/b&gt;"
    assert rd.names == ("<b>x</b>", "B")
