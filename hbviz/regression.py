"""Groups with a predictor: a line per group under complete, no and partial pooling (NUTS).

The data are the "regression" shape of :mod:`hbviz.upload`: ``group, x, y``, one row per
observation (Gelman & Hill's radon: county, floor, log radon). The models, one function per
regime with one signature, as in NumPyro's ``examples/baseball.py``:

- complete pooling, one line for everyone: y_i ~ N(a + b x_i, σ²);
- no pooling, a line per group, nothing shared but σ: a_g ~ N(0, A²) independently, with one
  common slope b (Gelman & Hill §12.2's ``y ~ x + factor(county)``), or with a slope b_g per
  group (``varying_slopes=True``);
- partial pooling, varying intercepts with a common slope (the default, Gelman & Hill §12.3,
  ``y ~ x + (1 | group)``): a_g = μ_a + τ_a z_g, z_g ~ N(0, 1) (non-centered);
- partial pooling, varying intercepts and slopes (Gelman & Hill §13.1, ``y ~ x + (1 + x | group)``):
  (a_g, b_g) = μ + diag(τ) L z_g with L the Cholesky factor of their correlation,
  L ~ LKJCholesky(2, η = 2) (non-centered, as in the Stan User's Guide §1.13).

The models work on standardized data, x̃ = (x − x̄)/s_x and ỹ = (y − ȳ)/s_y: the priors then
have fixed scales that are scaled to the data (rstanarm's autoscaled defaults, Gabry & Goodrich,
"Prior distributions for rstanarm models"), NUTS sees unit scales whatever the units, and a
refit with new data of the same size re-uses the compiled program (:mod:`hbviz.nuts`). Each
fit is returned in the data's units: ``intercept`` (the line's value at x = 0) and ``slope`` per
group. The priors, in the data's units (:func:`priors` says them for the page):
a ~ N(ȳ, (2.5 s_y)²) at x = x̄, b ~ N(0, (2.5 s_y/s_x)²), σ ~ Exponential(mean s_y),
τ_a ~ HalfNormal(c·s_y), τ_b ~ HalfNormal(c·s_y/s_x), c the τ scale (1 by default).

The check (tests/test_regression.py) is against the closed-form BLUPs of ``y ~ x + (1 | group)``
at the REML variance components, computed here with NumPy and SciPy (:func:`reml`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import jax.numpy as jnp
import numpy as np
import numpyro
import numpyro.distributions as dist
import pandas as pd
from scipy import optimize

from hbviz import _validate, diagnostics, nuts
from hbviz.upload import Dataset

__all__ = [
    "MODEL_NAMES",
    "REGIMES",
    "RegressionAnalysis",
    "RegressionData",
    "Reml",
    "analyse",
    "blup",
    "chosen_groups",
    "fit",
    "group_table",
    "line_table",
    "lines_in_data_units",
    "population_band",
    "prepare",
    "priors",
    "reml",
    "shrinkage_table",
    "simulate",
]

REGIMES = ("complete", "no", "partial")
# Prior scales in standardized units (data units: × s_y, and ÷ s_x for slopes).
INTERCEPT_SD = 2.5
SLOPE_SD = 2.5
LKJ_CONCENTRATION = 2.0
# Draws per chain of the page's fits, after WARMUP warm-up steps: at 4 × (500 + 1000) the shipped
# example passes R̂ ≤ 1.01 and ESS ≥ 400 in every regime (R̂ ≤ 1.006 over four seeds); with 500
# draws R̂ of the varying intercepts reached 1.011–1.013, and 1000 warm-up steps cost 12 % more
# time for nothing visible. Refit times: bench/regression.py.
DRAWS = 1000
WARMUP = 500
# Past this many groups the page's fits report progress (a bar and the time left): a gradient
# costs O(groups), not O(observations) (sufficient statistics), and 500 groups took 7× the time
# of 85 (bench/RESULTS.md §16).
PROGRESS_GROUPS = 200
QUANTILES = (0.025, 0.5, 0.975)


# --- the models ----------------------------------------------------------------------------------
# One signature: (stats, tau_scale). ``stats`` holds each group's sufficient statistics of the
# standardized data (:func:`sufficient_statistics`), so that a gradient costs O(G), not O(N): the
# normal likelihood of a line depends on a group's data only through them, exactly. Sites: "a"
# and "b" (sampled per group under no pooling, scalars under complete pooling), "sigma"; partial
# pooling samples "mu_a", "tau_a", "a_decentered" and "b" (or "mu_b", "tau_b", "L",
# "ab_decentered"); the group lines are computed from them after the fit (:func:`fit`).

STATISTICS = ("n", "sum_x", "sum_y", "sum_xx", "sum_xy", "sum_yy")


def sufficient_statistics(x, y, group, num_groups: int) -> np.ndarray:
    """Per group: n, Σx, Σy, Σx², Σxy, Σy² (:data:`STATISTICS`), shape (G, 6)."""
    columns = (np.ones_like(x), x, y, x * x, x * y, y * y)
    return np.stack([np.bincount(group, c, num_groups) for c in columns], axis=1)


def _likelihood(stats, a, b):
    """Σ_i log N(y_i | a_g + b_g x_i, σ²), summed within groups through the statistics:
    Σ(y − a − b x)² = Σy² − 2aΣy − 2bΣxy + n a² + 2ab Σx + b² Σx²."""
    sigma = numpyro.sample("sigma", dist.Exponential(1.0))
    n, sx, sy, sxx, sxy, syy = (stats[:, k] for k in range(6))
    squares = syy - 2 * a * sy - 2 * b * sxy + n * a**2 + 2 * a * b * sx + b**2 * sxx
    numpyro.factor(
        "y",
        -jnp.sum(n) * (jnp.log(sigma) + 0.5 * jnp.log(2 * jnp.pi))
        - jnp.sum(squares) / (2 * sigma**2),
    )


def regression_complete_pooling(stats, tau_scale):
    """One line for all groups: y_i ~ N(a + b x_i, σ²)."""
    a = numpyro.sample("a", dist.Normal(0.0, INTERCEPT_SD))
    b = numpyro.sample("b", dist.Normal(0.0, SLOPE_SD))
    _likelihood(stats, a, b)


def regression_no_pooling(stats, tau_scale):
    """A line per group with a common slope: a_g ~ N(0, A²) independently, y ~ N(a_g + b x, σ²)."""
    with numpyro.plate("groups", stats.shape[0]):
        a = numpyro.sample("a", dist.Normal(0.0, INTERCEPT_SD))
    b = numpyro.sample("b", dist.Normal(0.0, SLOPE_SD))
    _likelihood(stats, a, b)


def regression_no_pooling_slopes(stats, tau_scale):
    """A line per group: a_g ~ N(0, A²), b_g ~ N(0, B²) independently."""
    with numpyro.plate("groups", stats.shape[0]):
        a = numpyro.sample("a", dist.Normal(0.0, INTERCEPT_SD))
        b = numpyro.sample("b", dist.Normal(0.0, SLOPE_SD))
    _likelihood(stats, a, b)


def regression_varying_intercepts(stats, tau_scale):
    """y ~ x + (1 | group): a_g = μ_a + τ_a z_g, z_g ~ N(0, 1), τ_a ~ HalfNormal(tau_scale)."""
    mu_a = numpyro.sample("mu_a", dist.Normal(0.0, INTERCEPT_SD))
    tau_a = numpyro.sample("tau_a", dist.HalfNormal(tau_scale))
    b = numpyro.sample("b", dist.Normal(0.0, SLOPE_SD))
    with numpyro.plate("groups", stats.shape[0]):
        z = numpyro.sample("a_decentered", dist.Normal(0.0, 1.0))
    _likelihood(stats, mu_a + tau_a * z, b)


def _correlated_effects(mu_a, mu_b, tau_a, tau_b, chol, z):
    """(a_g, b_g) = μ + diag(τ) L z_g for z of shape (G, 2); works on NumPy and JAX arrays."""
    scaled = jnp.stack([tau_a, tau_b], axis=-1)[..., :, None] * chol
    effects = jnp.einsum("...gk,...jk->...gj", z, scaled)
    return mu_a[..., None] + effects[..., 0], mu_b[..., None] + effects[..., 1]


def regression_varying_slopes(stats, tau_scale):
    """y ~ x + (1 + x | group): (a_g, b_g) = μ + diag(τ) L z_g, L ~ LKJCholesky(2, 2),
    non-centered."""
    mu_a = numpyro.sample("mu_a", dist.Normal(0.0, INTERCEPT_SD))
    mu_b = numpyro.sample("mu_b", dist.Normal(0.0, SLOPE_SD))
    tau_a = numpyro.sample("tau_a", dist.HalfNormal(tau_scale))
    tau_b = numpyro.sample("tau_b", dist.HalfNormal(tau_scale))
    chol = numpyro.sample("L", dist.LKJCholesky(2, LKJ_CONCENTRATION))
    numpyro.deterministic("rho", chol[1, 0])
    with numpyro.plate("groups", stats.shape[0]):
        z = numpyro.sample("ab_decentered", dist.Normal(0.0, 1.0).expand([2]).to_event(1))
    a, b = _correlated_effects(mu_a, mu_b, tau_a, tau_b, chol, z)
    _likelihood(stats, a, b)


MODEL_NAMES = {
    ("complete", False): "regression_complete_pooling",
    ("complete", True): "regression_complete_pooling",
    ("no", False): "regression_no_pooling",
    ("no", True): "regression_no_pooling_slopes",
    ("partial", False): "regression_varying_intercepts",
    ("partial", True): "regression_varying_slopes",
}
for _name in set(MODEL_NAMES.values()):
    nuts.MODELS[_name] = globals()[_name]


# --- the data ------------------------------------------------------------------------------------


class RegressionData(NamedTuple):
    """A regression dataset as the models take it.

    Attributes
    ----------
    x, y : array, shape (N,)
        In the data's units.
    group : int array, shape (N,)
        Group ids 0..G-1 in order of first appearance.
    names : tuple of str, length G
    sizes : int array, shape (G,)
        Observations per group.
    x_mean, x_sd, y_mean, y_sd : float
        The standardization (sd with ddof 1; 1 when a column is constant).
    """

    x: np.ndarray
    y: np.ndarray
    group: np.ndarray
    names: tuple[str, ...]
    sizes: np.ndarray
    x_mean: float
    x_sd: float
    y_mean: float
    y_sd: float

    @property
    def x_std(self) -> np.ndarray:
        return (self.x - self.x_mean) / self.x_sd

    @property
    def y_std(self) -> np.ndarray:
        return (self.y - self.y_mean) / self.y_sd


def prepare(data: Dataset | pd.DataFrame) -> RegressionData:
    """The arrays of a regression dataset (an ``upload.Dataset`` or a table with group, x, y)."""
    table = data.table if isinstance(data, Dataset) else data
    if isinstance(data, Dataset) and data.shape != "regression":
        raise ValueError(f"expected a regression dataset (group, x, y); got the {data.shape} shape")
    missing = [c for c in ("group", "x", "y") if c not in table]
    if missing:
        raise ValueError(f"the table needs columns group, x, y; {', '.join(missing)} missing")
    x = _validate.as_vector(table["x"], "x")
    y = _validate.as_vector(table["y"], "y")
    codes, names = pd.factorize(table["group"].astype(str))
    sizes = np.bincount(codes, minlength=len(names))
    x_sd = float(np.std(x, ddof=1)) if x.size > 1 else 0.0
    y_sd = float(np.std(y, ddof=1)) if y.size > 1 else 0.0
    return RegressionData(
        x=x,
        y=y,
        group=codes.astype(np.int64),
        names=tuple(str(n) for n in names),
        sizes=sizes,
        x_mean=float(x.mean()),
        x_sd=x_sd if x_sd > 0 else 1.0,
        y_mean=float(y.mean()),
        y_sd=y_sd if y_sd > 0 else 1.0,
    )


class Priors(NamedTuple):
    """The priors of the regression models in the data's units, and in words."""

    intercept: tuple[float, float]
    slope_sd: float
    sigma_mean: float
    tau_intercept: float
    tau_slope: float
    description: str


def priors(rd: RegressionData, *, tau_scale: float = 1.0) -> Priors:
    """The priors in the data's units (``tau_scale`` multiplies the scales of τ_a and τ_b)."""
    c = _validate.positive_scalar(tau_scale, "tau_scale")
    sx, sy = rd.x_sd, rd.y_sd
    p = Priors(
        (rd.y_mean, INTERCEPT_SD * sy),
        SLOPE_SD * sy / sx,
        sy,
        c * sy,
        c * sy / sx,
        "",
    )
    text = (
        f"Priors, scaled to the data (sd of y {sy:.3g}, sd of x {sx:.3g}): the line's height at "
        f"x = x̄ = {rd.x_mean:.3g} ~ N({rd.y_mean:.3g}, {p.intercept[1]:.3g}²); slope ~ "
        f"N(0, {p.slope_sd:.3g}²); σ ~ Exponential(mean {sy:.3g}); partial pooling: τ of the "
        f"intercepts ~ HalfNormal({p.tau_intercept:.3g}), τ of the slopes ~ "
        f"HalfNormal({p.tau_slope:.3g}), their correlation ~ LKJ(η = {LKJ_CONCENTRATION:g}). "
        "No pooling gives each group's line the same priors independently."
    )
    return p._replace(description=text)


# --- the fits ------------------------------------------------------------------------------------


def fit(
    rd: RegressionData,
    *,
    regime: str = "partial",
    varying_slopes: bool = False,
    tau_scale: float = 1.0,
    num_chains: int = 4,
    draws: int | None = None,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    status: Callable[[str], object] | None = None,
) -> nuts.Fit:
    """NUTS fit of one level of pooling; ``draws`` per chain (default :data:`DRAWS`) after
    min(:data:`WARMUP`, ``draws``) warm-up steps.

    Returns
    -------
    nuts.Fit
        Its samples hold the sampled sites of the model (standardized units; its summary is
        theirs) and, in the data's units,
        ``intercept`` and ``slope`` (chains, draws, G): each group's line at x = 0 and its slope;
        partial pooling adds ``population_intercept`` and ``population_slope`` (the line of the
        group means μ), ``sigma_y`` (σ in y's units) and ``tau_intercept`` (τ_a at x = x̄).
    """
    regime = _validate.choice(regime, "regime", REGIMES)
    varying_slopes = _validate.flag(varying_slopes, "varying_slopes")
    c = np.float64(_validate.positive_scalar(tau_scale, "tau_scale"))
    name = MODEL_NAMES[(regime, varying_slopes)]
    draws = DRAWS if draws is None else draws
    stats = sufficient_statistics(rd.x_std, rd.y_std, rd.group, len(rd.names))
    if regime == "complete":
        stats = stats.sum(axis=0, keepdims=True)  # one group: the program fits any data
    result = nuts.fit_model(
        name,
        {},
        (stats, c),
        num_chains=num_chains,
        num_warmup=min(WARMUP, draws),
        num_samples=draws,
        seed=seed,
        progress=progress,
        status=status,
    )
    return _in_data_units(result, rd)


def _group_lines(s: dict, num_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """Each draw's (a_g, b_g) in standardized units, shape (chains, draws, G) each."""
    if "ab_decentered" in s:
        a, b = _correlated_effects(
            s["mu_a"], s["mu_b"], s["tau_a"], s["tau_b"], s["L"], s["ab_decentered"]
        )
        a, b = np.asarray(a), np.asarray(b)
    elif "a_decentered" in s:
        a = s["mu_a"][..., None] + s["tau_a"][..., None] * s["a_decentered"]
        b = s["b"]
    else:
        a, b = s["a"], s["b"]
    shape = (*s["sigma"].shape, num_groups)
    a = np.broadcast_to(a[..., None] if a.ndim == 2 else a, shape)
    b = np.broadcast_to(b[..., None] if b.ndim == 2 else b, shape)
    return a, b


def lines_in_data_units(
    s: dict, num_groups: int, x_mean: float, x_sd: float, y_mean: float, y_sd: float
) -> dict:
    """Each group's intercept (at x = 0) and slope in the data's units, and σ and the τ's:
    ỹ = a + b x̃ means y = ȳ + s_y a + (s_y b / s_x)(x − x̄). ``s``: a fit's samples in
    standardized units; the scripts of :mod:`hbviz.scripts` run this function's own source."""
    a, b = _group_lines(s, num_groups)
    slope = y_sd * b / x_sd
    added = {
        "intercept": y_mean + y_sd * a - slope * x_mean,
        "slope": slope,
        "sigma_y": y_sd * s["sigma"],
    }
    if "mu_a" in s:
        mu_b = s["mu_b"] if "mu_b" in s else s["b"]
        population_slope = y_sd * mu_b / x_sd
        added["population_intercept"] = y_mean + y_sd * s["mu_a"] - population_slope * x_mean
        added["population_slope"] = population_slope
        added["tau_intercept"] = y_sd * s["tau_a"]
        if "tau_b" in s:
            added["tau_slope"] = y_sd * s["tau_b"] / x_sd
    return {k: np.ascontiguousarray(v) for k, v in added.items()}


def _in_data_units(result: nuts.Fit, rd: RegressionData) -> nuts.Fit:
    """Add :func:`lines_in_data_units` to the fit's samples.

    The summary (R̂, ESS) stays that of the sampler's own parameters: the lines are functions
    of them, and summarizing them too would double the time a refit spends on diagnostics."""
    s = result.samples
    added = lines_in_data_units(s, len(rd.names), rd.x_mean, rd.x_sd, rd.y_mean, rd.y_sd)
    return result._replace(samples={**s, **added})


def group_table(result: nuts.Fit, names: Sequence[str]) -> pd.DataFrame:
    """Per group: posterior mean, sd and :data:`QUANTILES` of its intercept and slope.

    Returns
    -------
    DataFrame indexed by group: ``intercept``, ``intercept_sd``, ``intercept_2.5%``,
    ``intercept_50%``, ``intercept_97.5%`` and the same for ``slope``.
    """
    columns = {}
    for site in ("intercept", "slope"):
        draws = result.samples[site].reshape(-1, len(names))
        columns[site] = draws.mean(axis=0)
        columns[f"{site}_sd"] = draws.std(axis=0, ddof=1)
        for q, values in zip(QUANTILES, np.quantile(draws, QUANTILES, axis=0), strict=True):
            columns[f"{site}_{q:.1%}".replace(".0%", "%")] = values
    return pd.DataFrame(columns, index=pd.Index(list(names), name="group"))


class RegressionAnalysis(NamedTuple):
    """:func:`analyse`'s result.

    Attributes
    ----------
    table : DataFrame indexed by group
        :func:`group_table` of the partial-pooling fit.
    fit : nuts.Fit
    data : RegressionData
    priors : Priors
    report : diagnostics.ConvergenceReport
    varying_slopes : bool
    """

    table: pd.DataFrame
    fit: nuts.Fit
    data: RegressionData
    priors: Priors
    report: diagnostics.ConvergenceReport
    varying_slopes: bool


def analyse(
    data: Dataset,
    *,
    varying_slopes: bool = False,
    tau_scale: float = 1.0,
    draws: int | None = None,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
) -> RegressionAnalysis:
    """Partial pooling of a line per group: varying intercepts with a common slope, or varying
    intercepts and slopes. ``hbviz.your_data.analyse`` calls it for the regression shape."""
    rd = prepare(data)
    result = fit(
        rd,
        regime="partial",
        varying_slopes=varying_slopes,
        tau_scale=tau_scale,
        num_chains=num_chains,
        draws=draws,
        seed=seed,
        progress=progress,
    )
    report = diagnostics.convergence_report(
        result.summary,
        result.divergences,
        result.diverging.size,
        chains=result.diverging.shape[0],
    )
    return RegressionAnalysis(
        group_table(result, rd.names),
        result,
        rd,
        priors(rd, tau_scale=tau_scale),
        report,
        bool(varying_slopes),
    )


# --- tables for the figures ----------------------------------------------------------------------


def chosen_groups(rd: RegressionData, count: int = 8) -> list[str]:
    """The default groups to draw: the ``count // 2`` smallest and the rest largest (ties by
    order of appearance), smallest first."""
    order = np.argsort(rd.sizes, kind="stable")
    if len(order) <= count:
        picked = order
    else:
        small = count // 2
        picked = np.concatenate([order[:small], order[len(order) - (count - small) :]])
    return [rd.names[j] for j in picked]


def line_table(
    fits: dict[str, nuts.Fit], rd: RegressionData, groups: Sequence[str]
) -> pd.DataFrame:
    """Each chosen group's fitted line under each regime, at the ends of the observed x range.

    Parameters
    ----------
    fits : dict of regime → nuts.Fit
        From :func:`fit` (any of "complete", "no", "partial").

    Returns
    -------
    DataFrame with columns ``group``, ``series`` ("no pooling", …), ``x``, ``y``: two rows per
    (group, series), at min(x) and max(x).
    """
    index = {n: j for j, n in enumerate(rd.names)}
    unknown = [g for g in groups if g not in index]
    if unknown:
        raise ValueError(f"no group named {unknown[0]!r} in the data")
    ends = np.array([rd.x.min(), rd.x.max()])
    rows = []
    for regime, result in fits.items():
        a = result.samples["intercept"].reshape(-1, len(rd.names)).mean(axis=0)
        b = result.samples["slope"].reshape(-1, len(rd.names)).mean(axis=0)
        for g in groups:
            j = index[g]
            for x in ends:
                rows.append((g, f"{regime} pooling", float(x), float(a[j] + b[j] * x)))
    return pd.DataFrame(rows, columns=["group", "series", "x", "y"])


def size_table(result: nuts.Fit, rd: RegressionData, site: str = "intercept") -> pd.DataFrame:
    """Per group: size, posterior mean and 95% interval of ``site`` ("intercept" or "slope")."""
    draws = result.samples[site].reshape(-1, len(rd.names))
    lo, hi = np.quantile(draws, [0.025, 0.975], axis=0)
    return pd.DataFrame(
        {"group": rd.names, "size": rd.sizes, "mean": draws.mean(axis=0), "lower": lo, "upper": hi}
    )


def population_band(
    result: nuts.Fit, rd: RegressionData, *, points: int = 50, interval: float = 0.95
) -> pd.DataFrame:
    """The population line μ_a + μ_b x over the observed x range: posterior mean and band.

    Returns
    -------
    DataFrame with columns ``x``, ``mean``, ``lower``, ``upper``.
    """
    if "population_intercept" not in result.samples:
        raise ValueError("the population line needs a partial-pooling fit")
    grid = np.linspace(rd.x.min(), rd.x.max(), points)
    a = result.samples["population_intercept"].ravel()
    b = result.samples["population_slope"].ravel()
    lines = a[:, None] + b[:, None] * grid[None, :]
    tail = (1 - interval) / 2
    lo, hi = np.quantile(lines, [tail, 1 - tail], axis=0)
    return pd.DataFrame({"x": grid, "mean": lines.mean(axis=0), "lower": lo, "upper": hi})


def shrinkage_table(no: nuts.Fit, partial: nuts.Fit, rd: RegressionData) -> pd.DataFrame:
    """Per group: no-pooling and partial-pooling posterior means of intercept and slope."""
    out = {"group": rd.names, "size": rd.sizes}
    for label, result in (("no", no), ("partial", partial)):
        for site in ("intercept", "slope"):
            out[f"{site}_{label}"] = result.samples[site].reshape(-1, len(rd.names)).mean(axis=0)
    return pd.DataFrame(out)


# --- REML and BLUPs of y ~ x + (1 | group), the closed-form check ---------------------------------


class Reml(NamedTuple):
    """REML fit of the linear mixed model y = X β + u_group + ε, u ~ N(0, τ²), ε ~ N(0, σ²).

    Attributes
    ----------
    beta : array, shape (p,)
        GLS estimate of the fixed effects at the REML variance components.
    sigma2, tau2 : float
        REML variance components.
    u : array, shape (G,)
        BLUPs of the group effects.
    loglik : float
        The restricted log-likelihood at the optimum (up to a constant).
    """

    beta: np.ndarray
    sigma2: float
    tau2: float
    u: np.ndarray
    loglik: float


def blup(y, X, group, sigma2: float, tau2: float) -> tuple[np.ndarray, np.ndarray, float]:
    """GLS fixed effects, BLUPs and the restricted log-likelihood at given variance components.

    The covariance is block diagonal, V_g = σ² I + τ² 1 1ᵀ, so V_g⁻¹ = (I − w_g 1 1ᵀ/n_g)/σ²
    with w_g = n_g τ²/(σ² + n_g τ²) and log|V_g| = (n_g − 1) log σ² + log(σ² + n_g τ²); nothing
    N × N is formed. û_g = w_g (ȳ_g − x̄_gᵀ β̂) (Henderson's BLUP; Searle, Casella & McCulloch
    1992, §7.4), and the restricted log-likelihood is
    −½ [log|V| + log|Xᵀ V⁻¹ X| + rᵀ V⁻¹ r] with r = y − X β̂ (Harville 1977).

    Returns
    -------
    beta : array, shape (p,)
    u : array, shape (G,)
    loglik : float
    """
    y = np.asarray(y, dtype=float)
    X = np.asarray(X, dtype=float)
    group = np.asarray(group)
    G = int(group.max()) + 1
    n = np.bincount(group, minlength=G).astype(float)
    w = n * tau2 / (sigma2 + n * tau2)

    def vinv(m):  # V⁻¹ m for a column vector or a matrix of columns
        m = m.reshape(len(y), -1)
        means = np.stack([np.bincount(group, m[:, k], G) / n for k in range(m.shape[1])], 1)
        return (m - w[group, None] * means[group]) / sigma2

    vx = vinv(X)
    xtvx = X.T @ vx
    beta = np.linalg.solve(xtvx, vx.T @ y)
    r = y - X @ beta
    r_mean = np.bincount(group, r, G) / n
    u = w * r_mean
    logdet_v = np.sum((n - 1) * np.log(sigma2) + np.log(sigma2 + n * tau2))
    loglik = -0.5 * (logdet_v + np.linalg.slogdet(xtvx)[1] + float(r @ vinv(r).ravel()))
    return beta, u, float(loglik)


def reml(y, X, group) -> Reml:
    """REML variance components of y ~ X β + (1 | group), by maximizing the restricted
    log-likelihood of :func:`blup` over (log σ², log τ²) (scipy.optimize, L-BFGS-B); τ² may
    reach its floor, 10⁻¹⁰ of the variance of y.

    Parameters
    ----------
    y : array, shape (N,)
    X : array, shape (N, p)
        Fixed-effects design (a column of ones for the intercept).
    group : int array, shape (N,)
        Group ids 0..G-1, each present.
    """
    y = np.asarray(y, dtype=float)
    scale = float(np.var(y))
    floor = np.log(1e-10 * scale)

    def objective(params):
        return -blup(y, X, group, np.exp(params[0]), np.exp(params[1]))[2]

    start = np.log([scale / 2, scale / 2])
    bounds = [(floor, None), (floor, None)]
    # tight tolerances: the default stops about 1e-5 (relative) short of the optimum
    tight = {"ftol": 1e-15, "gtol": 1e-10}
    best = optimize.minimize(objective, start, method="L-BFGS-B", bounds=bounds, options=tight)
    sigma2, tau2 = np.exp(best.x)
    beta, u, loglik = blup(y, X, group, sigma2, tau2)
    return Reml(beta, float(sigma2), float(tau2), u, loglik)


# --- simulated data with known parameters --------------------------------------------------------


def simulate(
    *,
    groups: int = 85,
    mean_size: float = 11.5,
    intercept: float = 1.5,
    slope: float = -0.7,
    tau_intercept: float = 0.35,
    tau_slope: float = 0.2,
    rho: float = -0.3,
    sigma: float = 0.75,
    p_x: float = 0.2,
    seed: int = 16,
) -> pd.DataFrame:
    """Radon-like data with known parameters: ``groups`` counties of lognormal sizes (mean about
    ``mean_size``, at least 1; sd of log size 1), x ~ Bernoulli(``p_x``) (the floor: 0 basement,
    1 first floor), (a_g, b_g) ~ N((intercept, slope), Σ) with sds ``tau_intercept``,
    ``tau_slope`` and correlation ``rho``, y ~ N(a_g + b_g x, ``sigma``²).

    Returns
    -------
    DataFrame with columns ``county``, ``floor``, ``log_radon`` (recognized as group, x, y).
    """
    rng = np.random.default_rng(seed)
    sizes = np.maximum(1, np.round(np.exp(rng.normal(np.log(mean_size) - 0.5, 1.0, groups))))
    sizes = sizes.astype(int)
    cov = np.array(
        [
            [tau_intercept**2, rho * tau_intercept * tau_slope],
            [rho * tau_intercept * tau_slope, tau_slope**2],
        ]
    )
    effects = rng.multivariate_normal([intercept, slope], cov, size=groups)
    g = np.repeat(np.arange(groups), sizes)
    x = rng.binomial(1, p_x, g.size)
    y = effects[g, 0] + effects[g, 1] * x + sigma * rng.standard_normal(g.size)
    return pd.DataFrame(
        {"county": [f"county {j + 1:02d}" for j in g], "floor": x, "log_radon": np.round(y, 4)}
    )
