"""The downloadable NUTS scripts (hbviz.scripts): their models are hbviz's, they run in a fresh
Python without hbviz and reproduce the fit, user text cannot become code, and every NUTS page
offers them."""

from __future__ import annotations

import ast
import io
import os
import subprocess
import sys
from pathlib import Path

import jax
import numpy as np
import pandas as pd
import pytest
from numpyro import handlers
from numpyro.infer.util import log_density

from hbviz import (
    datasets,
    estimate_tables,
    models,
    nuts,
    priors,
    regression,
    scripts,
    upload,
    your_data,
)
from pages import _code

ROOT = Path(__file__).resolve().parent.parent


class _Captured(Exception):
    """Raised by the patched ``nuts._fit`` with the model and arguments a fit would run."""


@pytest.fixture
def fit_call(monkeypatch):
    """``fit_call(fit, *data, **settings)``: the (model, options, model_args) hbviz.nuts runs."""

    def capture(model_name, options, model_args, *_):
        raise _Captured(model_name, options, model_args)

    monkeypatch.setattr(nuts, "_fit", capture)

    def call(fit, *data, **settings):
        with pytest.raises(_Captured) as caught:
            getattr(nuts, fit)(*data, **settings)
        return caught.value.args

    return call


def script_namespace(text: str) -> dict:
    """The script's module namespace, its main() not run."""
    namespace = {"__name__": "hbviz_script_under_test"}
    exec(compile(text, "<script>", "exec"), namespace)
    return namespace


def group_names_of(script, tmp_path) -> tuple[list, list]:
    """The script's GROUP_NAMES as its source writes them (a literal) and as its namespace holds
    them, loaded in ``tmp_path``, where nothing may appear (a name that ran code would leave a
    file): hostile names must stay strings."""
    (names,) = [
        node.value
        for node in ast.parse(script.text).body
        if isinstance(node, ast.Assign) and node.targets[0].id == "GROUP_NAMES"
    ]
    cwd = os.getcwd()
    os.chdir(tmp_path)
    try:
        ns = script_namespace(script.text)
    finally:
        os.chdir(cwd)
    assert not (tmp_path / "pwned").exists()
    return ast.literal_eval(names), ns["GROUP_NAMES"]


def assert_same_log_density(script, call, params_list):
    """The script's model and hbviz's give the same log joint density at each parameter set."""
    model_name, options, model_args = call
    assert script.model == model_name
    ns = script_namespace(script.text)
    hbviz_model = getattr(models, model_name)
    for params in params_list:
        theirs, _ = log_density(hbviz_model, model_args, dict(options), params)
        ours, _ = log_density(ns["model"], (), ns["DATA"], params)
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12, abs=1e-9), params


def prior_draws(model_name, options, model_args, seeds=(0, 1, 2)):
    """Parameter values from hbviz's model's prior: every sampled latent site."""
    out = []
    for seed in seeds:
        model = handlers.seed(getattr(models, model_name), jax.random.PRNGKey(seed))
        trace = handlers.trace(model).get_trace(*model_args, **dict(options))
        out.append(
            {
                k: v["value"]
                for k, v in trace.items()
                if v["type"] == "sample" and not v["is_observed"]
            }
        )
    return out


# (regime, centered) of every model of a shape, crossed with each τ prior the shape offers
FORMS = (("no", False), ("complete", False), ("partial", True), ("partial", False))
ESTIMATES = [(*form, prior) for prior in priors.names("estimates") for form in FORMS]


@pytest.mark.parametrize(("regime", "centered", "tau_prior"), ESTIMATES)
def test_estimates_scripts_have_hbviz_models_log_density(
    fit_call, schools, regime, centered, tau_prior
):
    settings = dict(regime=regime, centered=centered, tau_prior=tau_prior, tau_scale=3.5)
    settings["mu_prior"] = (1.5, 7.0)
    call = fit_call("fit_normal_hierarchy", *schools, **settings)
    script = scripts.nuts_script("fit_normal_hierarchy", *schools, **settings)
    assert_same_log_density(script, call, prior_draws(*call))


RAW = [(*form, prior) for prior in priors.names("raw") for form in FORMS]


@pytest.mark.parametrize(("regime", "centered", "tau_prior"), RAW)
def test_raw_scripts_have_hbviz_models_log_density(fit_call, regime, centered, tau_prior):
    data = datasets.pooling_demo()
    codes, _ = pd.factorize(data["group"])
    settings = dict(regime=regime, centered=centered, tau_prior=tau_prior, tau_scale=2.0)
    settings |= dict(mu_prior=(3.0, 9.0), sigma_rate=0.5)
    call = fit_call("fit_pooling", data["value"], codes, **settings)
    script = scripts.nuts_script("fit_pooling", data["value"], codes, **settings)
    assert_same_log_density(script, call, prior_draws(*call))


@pytest.mark.parametrize("centered", [True, False])
@pytest.mark.parametrize("tau_prior", priors.names("counts"))
def test_logit_normal_scripts_have_hbviz_models_log_density(fit_call, rats, centered, tau_prior):
    settings = dict(hierarchy="logit_normal", centered=centered, tau_prior=tau_prior)
    call = fit_call("fit_binomial_hierarchy", *rats, **settings)
    script = scripts.nuts_script("fit_binomial_hierarchy", *rats, **settings)
    assert_same_log_density(script, call, prior_draws(*call))


def test_beta_binomial_script_has_hbviz_models_log_density(fit_call, rats):
    call = fit_call("fit_binomial_hierarchy", *rats)
    script = scripts.nuts_script("fit_binomial_hierarchy", *rats)
    # BDA3's mode (−1.75, 2.8), a point far out in the tail, and one where the Stirling branch
    # of log_rising_factorial carries the whole likelihood (α + β = e^40)
    points = [(-1.75, 2.8), (0.5, -1.0), (-2.0, 40.0)]
    params = [{"log_alpha_over_beta": u, "log_alpha_plus_beta": v} for u, v in points]
    assert_same_log_density(script, call, params)


@pytest.mark.parametrize("example", ["counts_baseball", "estimates_bcg", "raw_chickwts"])
def test_your_data_script_is_the_model_nuts_check_runs(fit_call, example):
    data = upload.parse((ROOT / "data" / "examples" / f"{example}.csv").read_bytes())
    exact = your_data.analyse(data)
    with pytest.raises(_Captured) as caught:
        your_data.nuts_check(data, exact=exact, draws=10)
    call = caught.value.args
    centered = call[0].endswith("_centered")
    script = scripts.your_data_script(data, exact, centered=centered, draws=10)
    if script.model == "counts_beta_binomial":
        params = [{"log_alpha_over_beta": -1.2, "log_alpha_plus_beta": 4.0}]
    else:
        params = prior_draws(*call, seeds=(0,))
    assert_same_log_density(script, call, params)


def test_every_script_is_clean_python(tmp_path, schools, rats):
    """What students download passes the project's own linter and formatter."""
    demo = datasets.pooling_demo()
    codes, _ = pd.factorize(demo["group"])
    regimes = [("no", False), ("complete", False), ("partial", True), ("partial", False)]
    made = [
        scripts.nuts_script(
            "fit_normal_hierarchy", *schools, regime=r, centered=c, names=list("ABCDEFGH")
        )
        for r, c in regimes
    ]
    made += [
        scripts.nuts_script("fit_pooling", demo["value"], codes, regime=r, centered=c)
        for r, c in regimes
    ]
    made += [
        scripts.nuts_script("fit_binomial_hierarchy", *rats, hierarchy=h)
        for h in ("beta", "logit_normal")
    ]
    rd = regression.prepare(demo.set_axis(["group", "y"], axis=1).assign(x=np.arange(len(demo))))
    made += [
        scripts.regression_script(rd, regime=r, varying_slopes=v)
        for r in regression.REGIMES
        for v in (False, True)
    ]
    for script in made:
        (tmp_path / script.file_name).write_text(script.text, encoding="utf-8")
    ruff = [sys.executable, "-m", "ruff"]
    for command in (["check", "--select", "E,F,W,I,B,UP,SIM"], ["format", "--check"]):
        done = subprocess.run(
            [*ruff, *command, "--isolated", "--line-length", "100", str(tmp_path)],
            capture_output=True,
            text=True,
            check=False,
        )
        assert done.returncode == 0, done.stdout + done.stderr


def test_unknown_fit_setting_and_hostile_title_are_refused(schools):
    with pytest.raises(ValueError, match="fit_gaussian"):
        scripts.nuts_script("fit_gaussian", *schools)
    with pytest.raises(ValueError, match="'tau_sclae'"):
        scripts.nuts_script("fit_normal_hierarchy", *schools, tau_sclae=2.0)
    with pytest.raises(ValueError, match="tau_prior"):
        scripts.nuts_script("fit_normal_hierarchy", *schools, tau_prior="uniform")
    with pytest.raises(ValueError, match="title"):
        scripts.nuts_script("fit_normal_hierarchy", *schools, title='x"""; import os #')


HOSTILE = [
    '"]; import os; os.system("touch pwned"); x = ["',
    "'''\"\"\"\\\n__import__('os').system('touch pwned')",
    "A\u2028B\tC",
    "{DATA}{0}",
]


def test_hostile_group_names_stay_strings(tmp_path):
    data = upload.parse(
        "group,estimate,std_error\n"
        + "".join(
            f'"{name.replace(chr(34), chr(34) * 2)}",{i},{i + 5}\n'
            for i, name in enumerate(HOSTILE)
        )
    )
    res = your_data.analyse(data)
    script = scripts.your_data_script(data, res, centered=False, draws=10)
    # no call anywhere but the script's own: imports, numpy, numpyro, pandas, argparse
    written, loaded = group_names_of(script, tmp_path)
    assert written == list(res.groups.table.index)
    assert set(written) == set(HOSTILE)
    assert loaded == list(res.groups.table.index)


def run_script(script: scripts.Script, tmp_path, *args) -> tuple[pd.DataFrame, int]:
    """Run the script in a fresh, isolated Python (no hbviz on its path); its summary table and
    divergence count."""
    path = tmp_path / script.file_name
    path.write_text(script.text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    # JAX's persistent cache only saves compile time; it is not hbviz
    cache = os.environ.get("HBVIZ_JAX_CACHE_DIR", str(ROOT / ".jax_cache"))
    env |= {
        "JAX_COMPILATION_CACHE_DIR": cache,
        "JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS": "0",
        "JAX_PERSISTENT_CACHE_MIN_ENTRY_SIZE_BYTES": "-1",
    }
    done = subprocess.run(
        [sys.executable, "-I", str(path), *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    table, _, last = done.stdout.rpartition("divergences: ")
    summary = pd.read_csv(io.StringIO(table), sep=r"\s+")
    return summary, int(last.split()[0])


def assert_within_monte_carlo_error(ours: pd.DataFrame, theirs: pd.DataFrame, rows):
    """Posterior means agree within 4.5 combined Monte Carlo standard errors (sd / √ESS)."""
    for row in rows:
        a, b = ours.loc[row], theirs.loc[row]
        se = np.hypot(a["sd"] / np.sqrt(a["n_eff"]), b["sd"] / np.sqrt(b["n_eff"]))
        assert abs(a["mean"] - b["mean"]) <= 4.5 * se, (row, a["mean"], b["mean"], se)


def test_eight_schools_script_runs_without_hbviz_and_reproduces_the_fit(tmp_path, schools):
    """The eight-schools NUTS panel's non-centered fit, at a small size (both sides)."""
    sizes = dict(num_chains=2, num_warmup=300, num_samples=300)
    script = scripts.nuts_script("fit_normal_hierarchy", *schools, names=list("ABCDEFGH"), **sizes)
    summary, divergences = run_script(script, tmp_path)
    fit = nuts.fit_normal_hierarchy(*schools, **sizes)
    assert list(summary.columns) == list(nuts.SUMMARY_COLUMNS)
    assert list(summary.index) == list(fit.summary.index)
    assert divergences <= 0.01 * 600
    assert_within_monte_carlo_error(summary, fit.summary, ["mu", "tau", "theta[0]", "theta[4]"])


def test_counts_script_runs_without_hbviz_and_reproduces_the_fit(tmp_path):
    """Your data's NUTS check on the bundled surgical counts: the beta–binomial with its exact θ
    draws, and the --num-samples override."""
    table = pd.read_csv(ROOT / "data" / "surgical.csv")
    y, n = table["deaths"].to_numpy(), table["operations"].to_numpy()
    sizes = dict(num_chains=2, num_warmup=300, num_samples=300)
    script = scripts.nuts_script("fit_binomial_hierarchy", y, n, **sizes)
    summary, _ = run_script(script, tmp_path, "--num-samples", "300")
    fit = nuts.fit_binomial_hierarchy(y, n, **sizes)
    assert set(summary.index) == set(fit.summary.index)
    assert summary.loc[["alpha", "beta"], ["mean", "sd"]].isna().all().all()
    rows = ["population_mean", "log_alpha_plus_beta", "theta[0]", "theta[11]"]
    assert_within_monte_carlo_error(summary, fit.summary, rows)


# --- every NUTS page offers the code and the download ------------------------------------------
# Checked inside the page tests that already run these pages with NUTS on (test_page_*.py), so
# that no page fits NUTS once more for this alone.


def offered_scripts(at) -> list[str]:
    return [
        b.proto.label.removeprefix("Download ")
        for b in at.download_button
        if b.proto.label.endswith(".py")
    ]


def open_code_panels(at, *names: str):
    """Open the page's lazy code panels ``names`` (pages/_code.show_script) and rerun."""
    for name in names:
        at.session_state[_code.CODE_KEY + name] = True
    at.run()
    assert not at.exception, at.exception
    return at


def assert_levels_of_pooling_offers_each_fits_code(
    at, *, chains: int, warmup: int, draws: int, seed: int = 0
) -> None:
    """The page's default data and model, at ``chains`` × (``warmup`` + ``draws``): the code
    shown, and the sampler settings its caption says the script holds. The panels are lazy:
    nothing of them is sent until they are opened (which this does, and reruns ``at``)."""
    assert not at.code and not offered_scripts(at)
    open_code_panels(at, "no-pooling", "complete-pooling", "partial-pooling")
    assert offered_scripts(at) == [
        "raw_no_pooling.py",
        "raw_complete_pooling.py",
        "raw_partial_pooling_centered.py",
    ]
    values, codes = [10.0, 12.0, 9.0, 11.0, 8.0], [0, 0, 1, 1, 2]
    sizes = dict(num_chains=chains, num_warmup=warmup, num_samples=draws)
    expected = scripts.nuts_script("fit_pooling", values, codes, centered=True, **sizes)
    assert [c.value for c in at.code][2] == expected.model_code.rstrip()
    said = [c.value for c in at.caption if "Sampler: " in c.value]
    assert len(said) == 3 and all(_code.sampler_words(**sizes, seed=seed) in c for c in said)


def assert_eight_schools_offers_both_forms_code(at) -> None:
    """The NUTS panel at the page's default (improper) priors and their proper stand-ins, its
    lazy code panels opened (``at`` is rerun)."""
    assert not at.code and not offered_scripts(at)
    open_code_panels(at, "schools-centered", "schools-non-centered")
    assert offered_scripts(at) == [
        "estimates_partial_pooling_centered.py",
        "estimates_partial_pooling_noncentered.py",
    ]
    pri = estimate_tables.nuts_priors(tau_prior="uniform", tau_scale=5.0, mu_prior=None)
    tau = scripts.tau_prior_code(pri.tau_prior, pri.tau_scale)
    mu = ", ".join(repr(float(v)) for v in pri.mu_prior)
    codes = [c.value for c in at.code]
    assert len(codes) == 2
    assert all(f'numpyro.sample("tau", {tau})' in code for code in codes)
    assert all(f"dist.Normal({mu})" in code for code in codes)


def assert_your_data_offers_its_code(at, shape: str) -> None:
    (name,) = offered_scripts(at)
    assert name.startswith(
        {"estimates": "estimates_partial_pooling_", "raw": "raw_partial_"}.get(shape, "counts_")
    )


# --- the Your-data page's regression fits (hbviz.regression) ----------------------------------


@pytest.fixture(scope="module")
def small_regression():
    """Ten simulated groups, as the page prepares them."""
    table = regression.simulate(groups=10, seed=3).set_axis(["group", "x", "y"], axis=1)
    return regression.prepare(table)


def regression_call(monkeypatch, rd, **settings):
    """The (model, options, model_args) :func:`hbviz.regression.fit` hands to hbviz.nuts."""

    def capture(model_name, options, model_args, *_):
        raise _Captured(model_name, options, model_args)

    monkeypatch.setattr(nuts, "_fit", capture)
    with pytest.raises(_Captured) as caught:
        regression.fit(rd, **settings)
    return caught.value.args


@pytest.mark.parametrize("regime", regression.REGIMES)
@pytest.mark.parametrize("varying_slopes", [False, True])
def test_regression_scripts_have_hbviz_models_log_density(
    monkeypatch, small_regression, regime, varying_slopes
):
    settings = dict(regime=regime, varying_slopes=varying_slopes, tau_scale=0.5)
    model_name, options, model_args = regression_call(monkeypatch, small_regression, **settings)
    script = scripts.regression_script(small_regression, **settings)
    assert script.model == model_name and options == {}
    ns = script_namespace(script.text)
    hbviz_model = nuts.MODELS[model_name]
    for seed in (0, 1, 2):
        trace = handlers.trace(handlers.seed(hbviz_model, jax.random.PRNGKey(seed))).get_trace(
            *model_args
        )
        params = {k: v["value"] for k, v in trace.items() if v["type"] == "sample"}
        theirs, _ = log_density(hbviz_model, model_args, {}, params)
        ours, _ = log_density(ns["model"], (), ns["DATA"], params)
        assert float(ours) == pytest.approx(float(theirs), rel=1e-12, abs=1e-9), params
    # the script states the standardization it works in, and the group names in order
    assert (ns["X_MEAN"], ns["Y_SD"]) == (small_regression.x_mean, small_regression.y_sd)
    assert ns["GROUP_NAMES"] == list(small_regression.names)


def test_regression_script_keeps_hostile_group_names_strings(tmp_path):
    table = pd.DataFrame({"group": HOSTILE * 2, "x": np.arange(8.0), "y": np.arange(8.0) ** 1.5})
    rd = regression.prepare(table)
    script = scripts.regression_script(rd, regime="no")
    written, loaded = group_names_of(script, tmp_path)
    assert written == HOSTILE
    assert loaded == HOSTILE


def test_regression_script_runs_without_hbviz_and_reproduces_the_fit(tmp_path, small_regression):
    """Varying intercepts on ten groups at 2 × (200 + 200), both sides: the sampler's own
    parameters and, in the data's units, the lines and τ the page shows."""
    sizes = dict(num_chains=2, draws=200)
    script = scripts.regression_script(small_regression, **sizes)
    summary, divergences = run_script(script, tmp_path)
    fit = regression.fit(small_regression, **sizes)
    assert divergences <= 0.01 * 400
    assert set(fit.summary.index) <= set(summary.index)
    assert_within_monte_carlo_error(summary, fit.summary, ["mu_a", "tau_a", "b", "sigma"])
    for row, site, j in [("intercept[0]", "intercept", 0), ("intercept[7]", "intercept", 7)]:
        ours = summary.loc[row]
        theirs = fit.samples[site][..., j]
        se = np.sqrt(2) * ours["sd"] / np.sqrt(ours["n_eff"])
        assert abs(ours["mean"] - theirs.mean()) <= 4.5 * se, (row, ours["mean"], theirs.mean())
    for site in ("population_slope", "tau_intercept", "sigma_y"):
        ours = summary.loc[site]
        se = np.sqrt(2) * ours["sd"] / np.sqrt(ours["n_eff"])
        assert abs(ours["mean"] - fit.samples[site].mean()) <= 4.5 * se, site


def assert_regression_offers_each_fits_code(at) -> None:
    assert offered_scripts(at)[-3:] == [
        "regression_complete_pooling.py",
        "regression_no_pooling.py",
        "regression_varying_intercepts.py",
    ]
