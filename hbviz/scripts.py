"""Runnable Python scripts that reproduce a page's NUTS fit outside hbviz.

A page that fits NUTS offers the fit as a script: its data, priors and sampler settings inline,
the model as plain NumPyro code, and a summary table with the columns of
:data:`hbviz.nuts.SUMMARY_COLUMNS`, printed. It needs only the packages of ``requirements.txt``
(no hbviz), so a student can run it in a fresh Python and read every line that runs.

The scripts cannot import :mod:`hbviz.models`, so each model is written out here once more, with
the priors as numbers. ``tests/test_scripts.py`` holds them to the models NUTS runs in hbviz: for
every model and τ prior, the script's model and :mod:`hbviz.models`' give the same log density at
the same parameters, so a change to either that the other lacks fails a test. The beta–binomial
model is the real source of :func:`hbviz.models.counts_beta_binomial`, its likelihood
:class:`hbviz.models.BetaBinomial` and their helpers (``inspect.getsource``), written once.

The regression fits of the Your-data page (:func:`regression_script`) are
:mod:`hbviz.regression`'s own source too: its models, their likelihood through per-group sums of
the standardized data, and :func:`hbviz.regression.lines_in_data_units`, which turns the draws
into each group's line in the data's units.

User text (group names from an upload) enters a script only through :func:`repr` of a ``str``,
which Python reads back as that string and nothing else; numbers through ``repr(float)`` /
``repr(int)``.

>>> script = nuts_script("fit_normal_hierarchy", [28.0, 8.0], [15.0, 10.0], names=["A", "B"])
>>> script.file_name
'estimates_partial_pooling_noncentered.py'
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from hbviz import _validate, models, nuts, priors, regression, your_data

__all__ = [
    "FITS",
    "Script",
    "nuts_script",
    "regression_script",
    "tau_prior_code",
    "your_data_script",
]

FITS = ("fit_normal_hierarchy", "fit_pooling", "fit_binomial_hierarchy")
"""The fits of :mod:`hbviz.nuts` that have scripts: those the pages run."""


class Script(NamedTuple):
    """A runnable script of one NUTS fit.

    Attributes
    ----------
    text : str
        The whole script: ``python <file_name>`` fits and prints the summary table;
        ``--num-warmup``, ``--num-samples``, ``--seed`` override the page's settings.
    model_code : str
        The model function(s) of ``text``, as the page shows them.
    file_name : str
        ``<model name>.py``, the name of the model function in :mod:`hbviz.models`.
    model : str
        That model's name (as :attr:`hbviz.nuts.Fit.model`).
    """

    text: str
    model_code: str
    file_name: str
    model: str


# --- the τ priors, as NumPyro code --------------------------------------------------------------
# One expression per entry of hbviz.priors.TAU_PRIORS that NUTS offers; ``s`` is the scale.
_TAU_PRIOR_CODE = {
    "half_cauchy": "dist.HalfCauchy({s})",
    "half_normal": "dist.HalfNormal({s})",
    "exponential": "dist.Exponential(1.0 / {s})",
}


def tau_prior_code(tau_prior: str, tau_scale: float) -> str:
    """The NumPyro distribution of τ as code: ``dist.HalfCauchy(5.0)`` for ("half_cauchy", 5)."""
    prior = priors.TAU_PRIORS.get(tau_prior) if isinstance(tau_prior, str) else None
    if prior is None or tau_prior not in _TAU_PRIOR_CODE:
        offered = ", ".join(repr(n) for n in _TAU_PRIOR_CODE)
        raise ValueError(f"tau_prior must be one of {offered}; got {tau_prior!r}")
    return _TAU_PRIOR_CODE[tau_prior].format(s=_number(tau_scale))


def _number(value) -> str:
    """A float as a literal Python reads back exactly."""
    return repr(float(value))


# --- the models, as the scripts write them --------------------------------------------------------
# Placeholders: {mu} = "mean, sd" of the normal prior, {population} = μ and τ's sample lines
# (:func:`_population`), {effect} = the group effects (:func:`_effect`), {sigma_rate},
# {groups} = G. Site names are those of hbviz.models.

_GROUP_EFFECT = {
    True: '{name} = numpyro.sample("{name}", dist.Normal({mean}, tau))',
    False: '{name}_decentered = numpyro.sample("{name}_decentered", dist.Normal(0.0, 1.0))\n'
    '{name} = numpyro.deterministic("{name}", {mean} + tau * {name}_decentered)',
}

_ESTIMATES = {
    "no": """
def model(sigma, y=None):
    # no pooling: each θ_j on its own, with the prior μ gets in the other regimes
    with numpyro.plate("group", len(sigma)):
        theta = numpyro.sample("theta", dist.Normal({mu}))
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)
""",
    "complete": """
def model(sigma, y=None):
    # complete pooling: one μ for every group (τ = 0)
    mu = numpyro.sample("mu", dist.Normal({mu}))
    with numpyro.plate("group", len(sigma)):
        numpyro.deterministic("theta", jnp.broadcast_to(mu, sigma.shape))
        numpyro.sample("y", dist.Normal(mu, sigma), obs=y)
""",
    "partial": """
def model(sigma, y=None):
    # partial pooling: θ_j ~ N(μ, τ²), y_j ~ N(θ_j, σ_j²)
    {population}
    with numpyro.plate("group", len(sigma)):
        {effect}
        numpyro.sample("y", dist.Normal(theta, sigma), obs=y)
""",
}

_RAW = {
    "no": """
def model(group, values=None):
    # no pooling: every value its own mean and its own noise sd
    with numpyro.plate("obs", len(group)):
        mu = numpyro.sample("mu", dist.Normal({mu}))
        sigma = numpyro.sample("sigma", dist.Exponential({sigma_rate}))
        numpyro.sample("values", dist.Normal(mu, sigma), obs=values)
""",
    "complete": """
def model(group, values=None):
    # complete pooling: one mean and one noise sd for all values
    mu = numpyro.sample("mu", dist.Normal({mu}))
    sigma = numpyro.sample("sigma", dist.Exponential({sigma_rate}))
    with numpyro.plate("obs", len(group)):
        numpyro.sample("values", dist.Normal(mu, sigma), obs=values)
""",
    "partial": """
def model(group, values=None):
    # partial pooling: group means μ_g ~ N(μ_pop, τ²), one noise sd σ
    {population}
    with numpyro.plate("group", {groups}):
        {effect}
    sigma = numpyro.sample("sigma", dist.Exponential({sigma_rate}))
    with numpyro.plate("obs", len(group)):
        numpyro.sample("values", dist.Normal(mu[group], sigma), obs=values)
""",
}

# The beta–binomial model's statements are hbviz.models.counts_beta_binomial's own source
# (:func:`_statements`), under this header.
_BETA_HEADER = """
def model(n, y=None):
    # θ_j ~ Beta(α, β) integrated out: y_j | α, β ~ BetaBinomial(n_j, α, β); NUTS samples
    # u = log(α/β) and v = log(α+β), with p(α, β) ∝ (α+β)^(-5/2) times the Jacobian αβ
"""

_COUNTS = {
    "logit_normal": """
def model(n, y=None):
    # logit θ_j ~ N(μ, τ²), y_j ~ Bin(n_j, θ_j)
    {population}
    with numpyro.plate("group", len(n)):
        {effect}
        numpyro.deterministic("theta", sigmoid(logit_theta))
        numpyro.sample("y", dist.Binomial(n, logits=logit_theta), obs=y)
""",
}

# Draws θ_j | α, β, y exactly after NUTS, as hbviz.nuts.fit_binomial_hierarchy does.
_EXACT_THETA = """
    # θ_j | α, β, y ~ Beta(α + y_j, β + n_j − y_j), one draw per draw of (α, β)
    rng = np.random.default_rng(args.seed)
    a = samples["alpha"][..., None] + DATA["y"]
    b = samples["beta"][..., None] + DATA["n"] - DATA["y"]
    samples = {"theta": rng.beta(a, b), **samples}
"""


def _beta_binomial_source() -> str:
    """The real source of hbviz.models' accurate beta–binomial (class and helpers)."""
    parts = [f"_STIRLING_FROM = {models._STIRLING_FROM!r}"]
    parts += [
        inspect.getsource(f)
        for f in (models._stirling_tail, models.log_rising_factorial, models.BetaBinomial)
    ]
    return "\n\n\n".join(p.strip() for p in parts)


def _statements(function) -> str:
    """The source of ``function``'s statements after its docstring, indented as in a module's
    top-level function."""
    source = textwrap.dedent(inspect.getsource(function))
    first = ast.parse(source).body[0].body[1].lineno
    return "\n".join(source.splitlines()[first - 1 :]) + "\n"


# Parsed once, at import (app.py imports every module before a page runs): CPython 3.11's
# ast.parse is not safe beside another thread's ast.parse, which a page thread could meet.
_COUNTS_BETA_BINOMIAL_BODY = _statements(models.counts_beta_binomial)


def _population(mean: str, mu: str, tau: str) -> str:
    """The population level of every partial-pooling model (``hbviz.models._population``)."""
    return (
        f'{mean} = numpyro.sample("{mean}", dist.Normal({mu}))\n'
        f'    tau = numpyro.sample("tau", {tau})'
    )


def _effect(name: str, mean: str, centered: bool, indent: int) -> str:
    code = _GROUP_EFFECT[centered].format(name=name, mean=mean)
    return code.replace("\n", "\n" + " " * indent)


# --- the script around a model --------------------------------------------------------------------

_TEMPLATE = '''"""{title}

The NUTS fit of hbviz's page, with the page's data, priors and sampler settings, in plain NumPyro.
Needs only the packages of hbviz's requirements.txt. Run:

    python {file_name}                      # the page's settings
    python {file_name} --num-samples 200    # fewer draws, faster

It prints the summary table the page shows: mean, sd, median, 5% and 95% quantiles, bulk and
tail effective sample sizes (n_eff, ess_tail) and rank-normalized R-hat (r_hat), per parameter.
"""

import argparse

import jax
{jnp}import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
from arviz_stats.base import array_stats
{extra}from numpyro.infer import MCMC, NUTS

jax.config.update("jax_enable_x64", True)  # hbviz computes in 64-bit floats

# The data, as on the page
# fmt: off
DATA = {{
{data}
}}
# fmt: on
{names}
# The sampler settings of the page
NUM_CHAINS = {num_chains}
NUM_WARMUP = {num_warmup}
NUM_SAMPLES = {num_samples}
SEED = {seed}
MOMENTS_UNDEFINED = {moments_undefined}  # their posterior mean is infinite: no mean, no sd


# The model, priors inline
{model_code}

def summary(samples):
    """One row per parameter (theta[0], theta[1], ...), the columns of hbviz's summary."""
    rows = {{}}
    for name, draws in samples.items():
        draws = np.asarray(draws, dtype=np.float64)  # (chains, draws, ...)
        flat = draws.reshape((-1, *draws.shape[2:]))
        undefined = np.full(draws.shape[2:], np.nan)
        stats = {{
            "mean": undefined if name in MOMENTS_UNDEFINED else flat.mean(axis=0),
            "sd": undefined if name in MOMENTS_UNDEFINED else flat.std(axis=0, ddof=1),
            "median": np.median(flat, axis=0),
            "5%": np.quantile(flat, 0.05, axis=0),
            "95%": np.quantile(flat, 0.95, axis=0),
            "n_eff": array_stats.ess(draws, chain_axis=0, draw_axis=1, method="bulk"),
            "ess_tail": array_stats.ess(draws, chain_axis=0, draw_axis=1, method="tail", prob=0.05),
            "r_hat": array_stats.rhat(draws, chain_axis=0, draw_axis=1),
        }}
        for index in np.ndindex(draws.shape[2:]):
            label = f"{{name}}[{{','.join(map(str, index))}}]" if index else name
            rows[label] = [float(np.asarray(value)[index]) for value in stats.values()]
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(stats))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-warmup", type=int, default=NUM_WARMUP)
    parser.add_argument("--num-samples", type=int, default=NUM_SAMPLES)
    parser.add_argument("--seed", type=int, default=SEED)
    args = parser.parse_args(argv)
    mcmc = MCMC(
        NUTS(model),
        num_warmup=args.num_warmup,
        num_samples=args.num_samples,
        num_chains=NUM_CHAINS,
        chain_method="vectorized",
        progress_bar=False,
    )
    mcmc.run(jax.random.PRNGKey(args.seed), **DATA, extra_fields=("diverging",))
    samples = {{k: np.asarray(v) for k, v in mcmc.get_samples(group_by_chain=True).items()}}
{after}    diverging = np.asarray(mcmc.get_extra_fields()["diverging"])
    with pd.option_context("display.max_rows", None, "display.width", 200):
        print(summary(samples).to_string(float_format="{{:.6g}}".format))
    print(f"divergences: {{int(diverging.sum())}} of {{diverging.size}} draws")


if __name__ == "__main__":
    main()
'''


# Imports only some models need: (line, the names it brings), in the order isort wants them.
_OPTIONAL_IMPORTS = (
    ("from jax.nn import {}", ("log_sigmoid", "sigmoid")),
    ("from jax.scipy.special import {}", ("gammaln",)),
    ("from numpyro.distributions import {}", ("constraints",)),
)


def _imports(code: str) -> dict[str, str]:
    """The ``{jnp}`` and ``{extra}`` import lines of :data:`_TEMPLATE` that ``code`` uses."""
    used = set(re.findall(r"\b\w+\b", code))
    extra = ""
    for line, names in _OPTIONAL_IMPORTS:
        needed = [n for n in names if n in used]
        if needed:
            extra += line.format(", ".join(needed)) + "\n"
    return {"jnp": "import jax.numpy as jnp\n" if "jnp" in used else "", "extra": extra}


def _array_code(values: np.ndarray) -> str:
    """``np.array([...])`` of the values (full precision), wrapped within 100 columns."""
    integer = values.dtype.kind in "iu"
    items = ", ".join(repr(int(v) if integer else float(v)) for v in values)
    dtype = ", dtype=np.int64" if integer else ""
    if len(items) <= 60:
        return f"np.array([{items}]{dtype})"
    lines = textwrap.wrap(items, width=88, break_long_words=False, break_on_hyphens=False)
    body = "\n".join(f"            {line}" for line in lines)
    return f"np.array(\n        [\n{body}\n        ]{dtype}\n    )"


def _literal(text: str) -> str:
    """A Python literal of ``text``: its ``repr``, which reads back as exactly this string, in
    double quotes when that needs no escaping (as ruff's formatter writes strings)."""
    literal = repr(text)
    if literal.startswith("'") and '"' not in text:
        # repr chose single quotes, so ``text`` has no single quote either: nothing to escape
        literal = f'"{literal[1:-1]}"'
    return literal


def _names_code(label: str, names: Sequence[str] | None) -> str:
    if names is None:
        return ""
    items = [_literal(str(n)) for n in names]
    listed = f"GROUP_NAMES = [{', '.join(items)}]"
    if len(listed) > 100:  # one name a line, as ruff's formatter writes a long list
        listed = "GROUP_NAMES = [\n" + "".join(f"    {item},\n" for item in items) + "]"
    return f"# {label}[0] is GROUP_NAMES[0], {label}[1] is GROUP_NAMES[1], …\n{listed}\n"


def nuts_script(
    fit: str,
    *data,
    names: Sequence[str] | None = None,
    title: str | None = None,
    num_chains: int = 4,
    num_warmup: int = 1000,
    num_samples: int = 1000,
    seed: int = 0,
    **settings,
) -> Script:
    """The script of ``hbviz.nuts.<fit>(*data, **settings, num_chains=…, …, seed=…)``.

    Parameters
    ----------
    fit : {"fit_normal_hierarchy", "fit_pooling", "fit_binomial_hierarchy"}
        The fit of :mod:`hbviz.nuts` the page runs.
    *data : arrays
        Its data arguments: ``y, sigma``; ``values, group``; ``y, n``.
    names : sequence of str, optional
        Names of the groups, in the order of the group parameters (user text: written with
        ``repr``, never as code).
    title : str, optional
        The script's first line (hbviz's own text, not user text); the model's name otherwise.
    num_chains, num_warmup, num_samples, seed : int
        The sampler settings, as in the fit.
    **settings
        The fit's model settings (``regime``, ``centered``, ``tau_prior``, ``tau_scale``,
        ``mu_prior``, ``sigma_rate``, ``hierarchy``), with the fit's defaults for those not given.

    Returns
    -------
    Script

    Raises
    ------
    ValueError
        For an unknown fit or setting, data or settings the fit itself would reject.
    """
    if fit not in FITS:
        raise ValueError(f"fit must be one of {FITS}; got {fit!r}")
    defaults = {
        name: p.default
        for name, p in inspect.signature(getattr(nuts, fit)).parameters.items()
        if p.kind is p.KEYWORD_ONLY
    }
    sampler = {"num_chains", "num_warmup", "num_samples", "seed", "progress", "status"}
    unknown = sorted(set(settings) - set(defaults) - sampler)
    if unknown:
        raise ValueError(f"{fit} has no setting {unknown[0]!r}")
    s = {k: v for k, v in defaults.items() if k not in sampler} | settings
    sizes = {
        "num_chains": _validate.draw_count(num_chains, "num_chains"),
        "num_warmup": _validate.draw_count(num_warmup, "num_warmup"),
        "num_samples": _validate.draw_count(num_samples, "num_samples"),
        "seed": _validate.seed(seed),
    }
    if len(data) != 2:
        raise ValueError(f"{fit} takes two data arrays; got {len(data)}")
    regime = _validate.choice(s.get("regime", "partial"), "regime", ("no", "complete", "partial"))
    family = {"fit_normal_hierarchy": "estimates", "fit_pooling": "raw"}.get(fit, "counts")
    h = _validate.hierarchy(
        family,
        centered=s["centered"],
        tau_prior=s["tau_prior"],
        tau_scale=s["tau_scale"],
        mu_prior=s["mu_prior"],
    )
    after, undefined, label, num_groups, mean = "", (), "theta", 0, "mu"
    if family == "counts":
        y, n = _validate.counts(*data)
        hierarchy = _validate.choice(s["hierarchy"], "hierarchy", ("beta", "logit_normal"))
        arrays = {"n": n.astype(np.int64), "y": y.astype(np.int64)}
        if hierarchy == "beta":
            model_name = "counts_beta_binomial"
            code = "\n\n".join((_beta_binomial_source(), _BETA_HEADER + _COUNTS_BETA_BINOMIAL_BODY))
            after, undefined = _EXACT_THETA, ("alpha", "beta")
        else:
            form = "centered" if h.centered else "noncentered"
            model_name, code = f"counts_logit_normal_{form}", _COUNTS["logit_normal"]
        effect = _effect("logit_theta", "mu", h.centered, 8)
    elif family == "estimates":
        y = _validate.as_vector(data[0], "y")
        sigma = _validate.as_vector(data[1], "sigma")
        _validate.same_length(y, "y", sigma, "sigma")
        _validate.positive(sigma, "sigma")
        arrays = {"sigma": sigma, "y": y}
        model_name, code = nuts._model_name(family, regime, h.centered), _ESTIMATES[regime]
        effect = _effect("theta", "mu", h.centered, 8)
    else:
        values = _validate.as_vector(data[0], "values")
        group, num_groups = _validate.group_ids(data[1], values.size)
        arrays = {"group": group, "values": values}
        model_name, code = nuts._model_name(family, regime, h.centered), _RAW[regime]
        effect, label, mean = _effect("mu", "mu_pop", h.centered, 8), "mu", "mu_pop"
    if model_name != "counts_beta_binomial":
        mu = f"{_number(h.mu_mean)}, {_number(h.mu_sd)}"
        code = code.format(
            mu=mu,
            population=_population(mean, mu, tau_prior_code(h.tau_prior, h.tau_scale)),
            sigma_rate=_number(_validate.positive_scalar(s.get("sigma_rate", 1.0), "sigma_rate")),
            groups=num_groups,
            effect=effect,
        )
    model_code = code.strip() + "\n"
    if title is not None and (not title.isprintable() or '"' in title or "\\" in title):
        raise ValueError(f"title must be one printable line without quotes; got {title!r}")
    file_name = f"{model_name}.py"
    text = _TEMPLATE.format(
        title=title or f"hbviz: {model_name.replace('_', ' ')}, fitted by NUTS",
        file_name=file_name,
        data="\n".join(f"    {_literal(k)}: {_array_code(v)}," for k, v in arrays.items()),
        names=_names_code(label, names),
        moments_undefined="(" + ", ".join(map(_literal, undefined)) + ")",
        model_code=model_code,
        **_imports(model_code),
        after=textwrap.indent(textwrap.dedent(after).strip() + "\n", "    ") if after else "",
        **sizes,
    )
    return Script(text=text, model_code=model_code, file_name=file_name, model=model_name)


def your_data_script(
    data, exact, *, centered: bool, draws: int, num_chains: int = 4, seed: int = 0
) -> Script:
    """The script of :func:`hbviz.your_data.nuts_check` on ``data``.

    Parameters
    ----------
    data : upload.Dataset
        The checked dataset (counts, estimates or raw values).
    exact : your_data.Analysis
        Its exact analysis, whose priors the check shares.
    centered : bool
        The check's form (:attr:`hbviz.your_data.NutsCheck.centered`).
    draws, num_chains, seed : int
        As in ``nuts_check``: draws per chain, after ``your_data.NUTS_WARMUP`` warm-up steps.
    """
    sizes = dict(
        num_chains=num_chains, num_warmup=your_data.NUTS_WARMUP, num_samples=draws, seed=seed
    )
    t, pri = exact.groups.table, exact.priors
    names = [str(name) for name in t.index]
    title = "hbviz, Your data: the NUTS check of the exact analysis"
    if data.shape == "counts":
        counts = (t["successes"].to_numpy(int), t["trials"].to_numpy(int))
        return nuts_script(
            "fit_binomial_hierarchy", *counts, hierarchy="beta", names=names, title=title, **sizes
        )
    shared = dict(
        centered=centered,
        tau_prior=pri.tau_prior,
        tau_scale=pri.tau_scale,
        mu_prior=pri.mu_prior,
        names=names,
        title=title,
        **sizes,
    )
    if data.shape == "estimates":
        estimates = (t["raw"].to_numpy(float), t["std_error"].to_numpy(float))
        return nuts_script("fit_normal_hierarchy", *estimates, **shared)
    if data.shape == "raw":
        values, codes = your_data.raw_arrays(data)
        return nuts_script(
            "fit_pooling", values, codes, regime="partial", sigma_rate=pri.sigma_rate, **shared
        )
    raise ValueError(f"the NUTS check has no script for data of shape {data.shape!r}")


# --- the regression models of the Your-data page (hbviz.regression) -------------------------------

_REGRESSION_DATA = """
# The data are standardized, x̃ = (x − X_MEAN) / X_SD and ỹ = (y − Y_MEAN) / Y_SD (sd with ddof 1),
# and DATA["stats"] holds each group's n, Σx̃, Σỹ, Σx̃², Σx̃ỹ, Σỹ² of them, a row per group:
# the normal likelihood of a line depends on a group's data only through these sums.{pooled}
X_MEAN = {x_mean}
X_SD = {x_sd}
Y_MEAN = {y_mean}
Y_SD = {y_sd}
"""

# After NUTS: each group's line, σ and the τ's in the data's units (what the page shows).
_REGRESSION_AFTER = """
    # in the data's units: intercept (at x = 0) and slope per group, sigma_y, and the τ's
    num_groups = len(GROUP_NAMES)
    samples |= lines_in_data_units(samples, num_groups, X_MEAN, X_SD, Y_MEAN, Y_SD)
"""


def regression_script(
    rd: regression.RegressionData,
    *,
    regime: str = "partial",
    varying_slopes: bool = False,
    tau_scale: float = 1.0,
    num_chains: int = 4,
    draws: int | None = None,
    seed: int = 0,
) -> Script:
    """The script of :func:`hbviz.regression.fit` with the same arguments.

    The model is :mod:`hbviz.regression`'s own source (with its likelihood through the per-group
    sums and its prior scales), the data the per-group sums of the standardized data it takes,
    with the standardization written out; after NUTS the script adds each group's intercept and
    slope, σ and the τ's in the data's units (:func:`hbviz.regression.lines_in_data_units`'s
    source), so its table holds the numbers the page shows as well as the sampler's own.
    """
    regime = _validate.choice(regime, "regime", regression.REGIMES)
    varying_slopes = _validate.flag(varying_slopes, "varying_slopes")
    c = _validate.positive_scalar(tau_scale, "tau_scale")
    draws = regression.DRAWS if draws is None else draws
    sizes = {
        "num_chains": _validate.draw_count(num_chains, "num_chains"),
        "num_warmup": regression.WARMUP,
        "num_samples": _validate.draw_count(draws, "num_samples"),
        "seed": _validate.seed(seed),
    }
    name = regression.MODEL_NAMES[(regime, varying_slopes)]
    stats = regression.sufficient_statistics(rd.x_std, rd.y_std, rd.group, len(rd.names))
    if regime == "complete":
        stats = stats.sum(axis=0, keepdims=True)
    constants = "\n".join(
        f"{k} = {getattr(regression, k)!r}"
        for k in ("INTERCEPT_SD", "SLOPE_SD", "LKJ_CONCENTRATION")
    )
    helpers = [regression._likelihood]
    if name == "regression_varying_slopes":
        helpers.append(regression._correlated_effects)
    parts = [constants, *(inspect.getsource(f).strip() for f in (*helpers, nuts.MODELS[name]))]
    model_code = "\n\n\n".join(parts) + f"\n\n\nmodel = {name}\n"
    units = [regression._correlated_effects, regression._group_lines]
    units.append(regression.lines_in_data_units)
    units_code = "\n\n\n".join(inspect.getsource(f).strip() for f in units)
    if name == "regression_varying_slopes":
        units_code = units_code.split("\n\n\n", 1)[1]  # _correlated_effects is in the model's
    data = (
        f'    "stats": {_array_code(stats.ravel())}.reshape(-1, 6),\n    "tau_scale": {_number(c)},'
    )
    standardization = _REGRESSION_DATA.format(
        pooled="\n# Complete pooling: one row, all groups summed." if regime == "complete" else "",
        x_mean=_number(rd.x_mean),
        x_sd=_number(rd.x_sd),
        y_mean=_number(rd.y_mean),
        y_sd=_number(rd.y_sd),
    )
    names = _names_code("intercept", rd.names) + standardization
    file_name = f"{name}.py"
    text = _TEMPLATE.format(
        title=f"hbviz, Your data: {name.replace('_', ' ')} ({regime} pooling), fitted by NUTS",
        file_name=file_name,
        data=data,
        names=names,
        moments_undefined="()",
        model_code=model_code + "\n\n" + units_code + "\n",
        **_imports(model_code + units_code),
        after=textwrap.indent(textwrap.dedent(_REGRESSION_AFTER).strip() + "\n", "    "),
        **sizes,
    )
    return Script(text=text, model_code=model_code, file_name=file_name, model=name)
