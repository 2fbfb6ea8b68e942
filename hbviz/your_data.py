"""Analyses of a user's dataset (``hbviz.upload.Dataset``): the Your-data page's calls, for
notebooks as well.

>>> data = upload.parse(upload.example("raw"))
>>> res = analyse(data)                  # the page's default exact analysis
>>> res.table                            # mean, sd, 2.5%, 50%, 97.5%, p_best per group
>>> chk = nuts_check(data)               # the same model by NUTS; chk.table, chk.fit

The models:

- counts → the beta–binomial hierarchy with p(α, β) ∝ (α+β)^(-5/2) (BDA3 §5.3), exact on a grid
  (:mod:`hbviz.beta_binomial`), and by NUTS (:func:`hbviz.nuts.fit_binomial_hierarchy`);
- estimates → the normal–normal hierarchy with known σ_j (BDA3 §5.4), exact
  (:mod:`hbviz.normal_normal`) and by NUTS (:func:`hbviz.nuts.fit_normal_hierarchy`);
- raw observations → the varying-intercept model y ~ 1 + (1 | group) of NumPyro's partial-pooling
  tutorial: v_i ~ N(θ_g[i], σ²), θ_g ~ N(μ, τ²), one σ shared by all groups. The group means are
  sufficient for the θ_g given σ, so the exact path is the normal–normal hierarchy on the group
  means with σ_j = s_p / √n_j, s_p the pooled within-group sd; NUTS fits the model on the values
  and estimates σ jointly (:func:`hbviz.nuts.fit_pooling`).

Priors on the normal shapes are on the data's scale: τ ~ half-normal (or half-Cauchy) with scale
the spread of the group estimates unless given, μ ~ N(their mean, (10 · that spread)²); the exact
analysis and the NUTS check use the same ones (:func:`priors`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from hbviz import (
    _validate,
    beta_binomial,
    export,
    normal_normal,
    nuts,
    pooling,
    regression,
    summaries,
)
from hbviz import priors as tau_priors
from hbviz.upload import Dataset, UploadError

WITHIN_SD = ("pooled", "per_group")
# The τ prior the analysis starts from; the others are those hbviz.priors offers the exact model.
DEFAULT_TAU_PRIOR = "half_normal"
# A group's own sd from fewer observations than this is too rough to be taken as known: with
# n_j − 1 degrees of freedom, s_j/σ is below 1/4 one time in five for n_j = 2, and below 2/3 one
# time in ten for n_j = 10.
FEW_OBSERVATIONS = 10
# Exact draws kept per analysis: ~2 million numbers (16 MB), so that 10,000 groups stay quick;
# small data sets get 4,000 draws.
DRAW_BUDGET = 2_000_000
MAX_DRAWS = 4000
MIN_DRAWS = 200
# Largest data set offered to NUTS: beyond it a fit takes minutes on a 2-core server.
NUTS_MAX_GROUPS = 500
NUTS_MAX_ROWS = 20_000
# NUTS draws (and warm-up iterations) per chain of the check, the page's default: at 4 × (1000 +
# 1000) the check passes its diagnostics on every shipped example; the counts check needs ≥ 500.
NUTS_DRAWS = 1000
# Warm-up steps of the NUTS check whatever its draws (the lecture pages' 500): the warm-up length is
# the one size that compiles a NUTS program, so the draws control never does
NUTS_WARMUP = 500
TABLE_COLUMNS = ("mean", "sd", "2.5%", "50%", "97.5%", "p_best")
_LEVELS = (0.025, 0.5, 0.975)

# What each column a reader meets means, for the page's tables (one place for the wording).
COLUMN_HELP = {
    "raw": "The group's own estimate, no pooling: successes/trials, the estimate, or the mean.",
    "raw_se": "Standard error of raw: √(p(1−p)/n) for counts, σ_j for estimates, σ/√n_j for "
    "raw data.",
    "size": "What the group's evidence rests on: trials, observations, or precision 1/σ_j².",
    "own_sd": "The sd of the group's own values (none for a single value).",
    "sd": "Posterior sd of the group's true value.",
    "sd_source": "Which within-group sd gave raw_se: pooled (shared by all groups), the group's "
    "own, or a known one.",
    "mean": "Posterior mean of the group's true value (partial pooling).",
    "2.5%": "Posterior 2.5% quantile: with 97.5%, a 95% interval.",
    "50%": "Posterior median.",
    "97.5%": "Posterior 97.5% quantile.",
    "p_best": "Pr(this group has the largest true value | data).",
    "mean_rank": "Posterior mean of the group's rank, 1 = largest true value.",
}


class Groups(NamedTuple):
    """One row per group: what each analysis starts from.

    Attributes
    ----------
    table : DataFrame indexed by group
        ``raw`` (no-pooling estimate: y_j/n_j, the estimate, or the group mean), ``std_error``
        (its standard error), ``size`` (trials, observations, or precision 1/σ_j²) and, for
        raw data, ``own_sd`` (the group's own sd, NaN for a single observation) and
        ``sd_source``.
    size_label : str
        What ``size`` is, for the shrinkage plot's legend.
    pooled_sd : float or None
        Raw data: the pooled within-group sd s_p.
    """

    table: pd.DataFrame
    size_label: str
    pooled_sd: float | None = None


class Priors(NamedTuple):
    """The priors of one analysis, shared by the exact analysis and the NUTS check.

    Attributes
    ----------
    tau_prior : str or None
        "half_normal", "half_cauchy" or "uniform"; None for counts (BDA3's hyperprior).
    tau_scale : float or None
        Scale of the half-normal / half-Cauchy prior on τ, in the data's units.
    reference_scale : float or None
        The data's spread that ``tau_scale`` defaults to (sd of the group estimates).
    mu_prior : (float, float) or None
        Mean and sd of the normal prior on μ.
    sigma_rate : float or None
        Raw data, NUTS only: rate of the exponential prior on σ (mean s_p).
    description : str
        The priors in words, for the page.
    """

    tau_prior: str | None
    tau_scale: float | None
    reference_scale: float | None
    mu_prior: tuple[float, float] | None
    sigma_rate: float | None
    description: str


def draws_for(n_groups: int) -> int:
    """Exact draws to keep for ``n_groups`` groups (4,000 for small data, fewer for large)."""
    return int(np.clip(DRAW_BUDGET // max(n_groups, 1), MIN_DRAWS, MAX_DRAWS))


def decimals(scale: float) -> int:
    """Decimals that show two significant digits of ``scale`` (e.g. a typical posterior sd)."""
    scale = abs(float(scale))
    if not np.isfinite(scale) or scale == 0:
        return 3
    return int(np.clip(1 - np.floor(np.log10(scale)), 0, 10))


def raw_group_estimates(table: pd.DataFrame, *, within_sd: str | float = "pooled") -> pd.DataFrame:
    """Group means of raw observations and their standard errors σ_j / √n_j.

    Parameters
    ----------
    table : DataFrame with columns ``group`` and ``value``
    within_sd : "pooled", "per_group" or a positive number
        The within-group sd σ behind each standard error. "pooled" (the varying-intercept model
        y ~ 1 + (1 | group), NumPyro's partial-pooling model): one σ for every group, estimated
        by s_p = √(Σ_j (n_j − 1) s_j² / Σ_j (n_j − 1)). "per_group": each group's own sd s_j
        where it has one (n_j ≥ 2 and not all values equal), s_p elsewhere; unsafe for small
        groups (:data:`FEW_OBSERVATIONS`). A number: a known σ.

    Returns
    -------
    DataFrame indexed by group (in order of first appearance): ``n``, ``mean``, ``sd``,
    ``std_error``, ``sd_source`` ("own", "pooled" or "known"); ``attrs["pooled_sd"]`` is s_p.
    """
    grouped = table.groupby("group", sort=False)["value"]
    out = pd.DataFrame({"n": grouped.size(), "mean": grouped.mean(), "sd": grouped.std(ddof=1)})
    usable = (out["n"] >= 2) & (out["sd"] > 0)
    if not usable.any():
        raise ValueError(
            "no group has two or more different values, so the spread within groups cannot be "
            "estimated; give each group's estimate and standard error instead"
        )
    dof = out.loc[usable, "n"] - 1
    pooled = float(np.sqrt((dof * out.loc[usable, "sd"] ** 2).sum() / dof.sum()))
    if isinstance(within_sd, str):
        if within_sd not in WITHIN_SD:
            raise ValueError(
                f"within_sd must be one of {', '.join(WITHIN_SD)} or a number > 0; "
                f"got {within_sd!r}"
            )
        own = usable & (within_sd == "per_group")
        sd_used = np.where(own, out["sd"], pooled)
        out["sd_source"] = np.where(own, "own", "pooled")
    else:
        known = _validate.positive_scalar(within_sd, "within_sd")
        sd_used = np.full(len(out), known)
        out["sd_source"] = "known"
    out["std_error"] = sd_used / np.sqrt(out["n"])
    out.index = out.index.astype(str)
    out.attrs["pooled_sd"] = pooled
    return out


def groups(data: Dataset, *, within_sd: str | float = "pooled") -> Groups:
    """The no-pooling estimate, its standard error and a size for every group of ``data``.

    ``within_sd`` applies to raw data only (see :func:`raw_group_estimates`).
    """
    t = data.table
    if data.shape == "counts":
        y, n = t["successes"].to_numpy(float), t["trials"].to_numpy(float)
        rate = y / n
        table = pd.DataFrame(
            {
                "raw": rate,
                "std_error": np.sqrt(rate * (1 - rate) / n),
                "size": n,
                "successes": y,
                "trials": n,
            },
            index=pd.Index(t["group"], name="group"),
        )
        return Groups(table, "trials")
    if data.shape == "estimates":
        sigma = t["std_error"].to_numpy(float)
        table = pd.DataFrame(
            {"raw": t["estimate"].to_numpy(float), "std_error": sigma, "size": 1 / sigma**2},
            index=pd.Index(t["group"], name="group"),
        )
        return Groups(table, "precision 1/σ²")
    est = raw_group_estimates(t, within_sd=within_sd)
    table = pd.DataFrame(
        {
            "raw": est["mean"],
            "std_error": est["std_error"],
            "size": est["n"].astype(float),
            "own_sd": est["sd"],
            "sd_source": est["sd_source"],
        }
    )
    table.index.name = "group"
    return Groups(table, "observations", est.attrs["pooled_sd"])


def warnings_for(g: Groups) -> list[str]:
    """What makes this analysis unsafe, in words (empty when nothing does)."""
    if "sd_source" not in g.table or not (g.table["sd_source"] == "own").any():
        return []
    own = g.table[g.table["sd_source"] == "own"]
    few = own[own["size"] < FEW_OBSERVATIONS]
    if few.empty:
        return []
    return [
        f"{len(few)} of {len(g.table)} groups use their own sd from fewer than "
        f"{FEW_OBSERVATIONS} observations. Such an sd is a rough estimate (from 2 observations "
        "it is below a quarter of the true sd one time in five) and is taken here as known, so "
        "these groups can look far more precise than they are. The pooled sd, the "
        "varying-intercept model's assumption, is the safer choice."
    ]


def complete_pooling(data: Dataset, g: Groups) -> tuple[float, float]:
    """The complete-pooling estimate and its sd (the τ = 0 limit).

    Counts: Σy/Σn. Estimates: the precision-weighted mean. Raw data: the grand mean of all
    values with sd s_p/√N (the pooled σ, whichever σ the groups use).
    """
    if data.shape == "counts":
        y, n = g.table["successes"].sum(), g.table["trials"].sum()
        p = y / n
        return float(p), float(np.sqrt(p * (1 - p) / n))
    if data.shape == "raw":
        values = data.table["value"].to_numpy(float)
        return float(values.mean()), float(g.pooled_sd / np.sqrt(values.size))
    return normal_normal.complete_pooling(g.table["raw"], g.table["std_error"])


def default_tau_scale(g: Groups) -> float:
    """The spread of the group estimates (sd, ddof 1): the default scale of the τ prior.

    Falls back to the root mean square standard error when every estimate is the same.
    """
    y = g.table["raw"].to_numpy(float)
    spread = float(np.std(y, ddof=1)) if y.size > 1 else 0.0
    if spread > 0:
        return spread
    return float(np.sqrt(np.mean(g.table["std_error"].to_numpy(float) ** 2)))


def _number(x: float) -> str:
    return f"{x:.3g}"


def priors(
    data: Dataset, g: Groups, *, tau_prior: str = DEFAULT_TAU_PRIOR, tau_scale: float | None = None
) -> Priors:
    """The priors of the analysis of ``data``, on the data's scale.

    Normal shapes: τ ~ ``tau_prior`` with scale ``tau_scale`` (default: :func:`default_tau_scale`),
    μ ~ N(mean of the group estimates, (10 · √(spread² + mean σ_j²))²), nearly flat where the
    data are; raw data add σ ~ Exponential(mean s_p) for NUTS, which estimates σ. Counts: BDA3's
    p(α, β) ∝ (α+β)^(-5/2).
    """
    if data.shape == "counts":
        return Priors(
            None,
            None,
            None,
            None,
            None,
            "Prior p(α, β) ∝ (α+β)^(−5/2) (BDA3 §5.3), in the exact analysis and in NUTS.",
        )
    prior = tau_priors.check(tau_prior, "exact")
    reference = default_tau_scale(g)
    scale = reference if tau_scale is None else _validate.positive_scalar(tau_scale, "tau_scale")
    y = g.table["raw"].to_numpy(float)
    se = g.table["std_error"].to_numpy(float)
    mu_prior = (float(np.mean(y)), 10 * float(np.sqrt(reference**2 + np.mean(se**2))))
    tau_text = (
        f"τ {prior.label} on (0, ∞)"
        if not prior.proper
        else f"τ ~ {prior.label}(scale {_number(scale)}; the spread of the group estimates is "
        f"{_number(reference)})"
    )
    text = f"Priors: {tau_text}, μ ~ N({_number(mu_prior[0])}, {_number(mu_prior[1])}²)"
    sigma_rate = None
    if data.shape == "raw":
        sigma_rate = 1 / g.pooled_sd
        text += (
            f"; within-group σ fixed at the pooled sd s_p = {_number(g.pooled_sd)} in the exact "
            f"analysis, σ ~ Exponential(mean {_number(g.pooled_sd)}) where NUTS estimates it"
        )
    return Priors(tau_prior, float(scale), reference, mu_prior, sigma_rate, text + ".")


def pooling_intervals(
    data: Dataset, g: Groups, theta_draws, *, interval: float = 0.95
) -> pd.DataFrame:
    """No, complete and partial pooling side by side: one row per (group, series).

    Counts use Beta(1 + y, 1 + n − y) intervals for no pooling and Beta(1 + Σy, 1 + Σ(n − y))
    for complete pooling (a uniform prior, so 0 of n still gets an interval); the normal
    shapes use y_j ± z σ_j and the complete-pooling estimate ± z times its sd.

    Returns
    -------
    DataFrame with columns ``group``, ``series``, ``estimate``, ``lower``, ``upper``.
    """
    tail = (1 - interval) / 2
    names = list(g.table.index)
    ones = np.ones(len(names))
    if data.shape == "counts":
        y, n = g.table["successes"].to_numpy(), g.table["trials"].to_numpy()
        lo, hi = stats.beta.ppf([[tail], [1 - tail]], 1 + y, 1 + n - y)
        no = (y / n, lo, hi)
        a, b = 1 + y.sum(), 1 + (n - y).sum()
        clo, chi = stats.beta.ppf([tail, 1 - tail], a, b)
        complete = (ones * y.sum() / n.sum(), ones * clo, ones * chi)
    else:
        z = stats.norm.ppf(1 - tail)
        raw, se = g.table["raw"].to_numpy(), g.table["std_error"].to_numpy()
        no = (raw, raw - z * se, raw + z * se)
        m, s = complete_pooling(data, g)
        complete = (ones * m, ones * (m - z * s), ones * (m + z * s))
    return pooling.pooling_table(
        names, no=no, complete=complete, theta_draws=theta_draws, interval=interval
    )


def group_table(theta_draws, names: Sequence[str]) -> pd.DataFrame:
    """Posterior mean, sd, 2.5%, 50%, 97.5% and Pr(best) per group: :data:`TABLE_COLUMNS`."""
    table = summaries.posterior_quantiles(theta_draws, names, levels=_LEVELS)
    table["p_best"] = summaries.prob_best(theta_draws)
    return table


def results_table(g: Groups, theta_draws) -> pd.DataFrame:
    """Per group: raw estimate, its se, size, posterior summaries, Pr(best) and mean rank."""
    names = list(g.table.index)
    ranks = summaries.ranking_table(theta_draws, names)
    head = g.table[["raw", "std_error", "size"]].rename(columns={"std_error": "raw_se"})
    return pd.concat([head, group_table(theta_draws, names), ranks[["mean_rank"]]], axis=1)


class Analysis(NamedTuple):
    """The Your-data page's exact analysis of one dataset.

    Attributes
    ----------
    table : DataFrame indexed by group
        :data:`TABLE_COLUMNS`: posterior mean, sd, 2.5%, 50%, 97.5% of θ_j and Pr(best).
    results : DataFrame indexed by group
        ``raw``, ``raw_se``, ``size``, the columns of ``table`` and ``mean_rank`` (the page's).
    groups : Groups
    priors : Priors
    posterior : NormalPosterior or BetaBinomialPosterior
        The exact draws (``theta`` of shape (draws, J)).
    pooling : DataFrame
        :func:`pooling_intervals`.
    population_mean : float
        E(μ | y), or E(α/(α+β) | y) for counts.
    population_label : str
        Its name, for legends.
    complete_pooling : (float, float)
        Estimate and sd, :func:`complete_pooling`.
    warnings : tuple of str
        What makes this analysis unsafe, in words.
    decimals : int
        Decimals for values in the data's units (two significant digits of the typical
        posterior sd).
    """

    table: pd.DataFrame
    results: pd.DataFrame
    groups: Groups
    priors: Priors
    posterior: normal_normal.NormalPosterior | beta_binomial.BetaBinomialPosterior
    pooling: pd.DataFrame
    population_mean: float
    population_label: str
    complete_pooling: tuple[float, float]
    warnings: tuple[str, ...]
    decimals: int


def analyse(
    data: Dataset,
    *,
    within_sd: str | float = "pooled",
    tau_prior: str = DEFAULT_TAU_PRIOR,
    tau_scale: float | None = None,
    draws: int | None = None,
    seed: int = 0,
    varying_slopes: bool = False,
) -> Analysis:
    """The exact hierarchical analysis of ``data``, as the Your-data page shows it by default.

    Parameters
    ----------
    data : upload.Dataset
    within_sd : "pooled", "per_group" or a number
        Raw data: the within-group sd (see :func:`raw_group_estimates`).
    tau_prior : {"half_normal", "half_cauchy", "uniform"}
        Normal shapes: the prior on τ.
    tau_scale : float, optional
        Its scale in the data's units; by default the spread of the group estimates.
    draws : int, optional
        Exact draws; by default :func:`draws_for` the number of groups (regression: NUTS draws
        per chain, by default :data:`hbviz.regression.DRAWS`).
    seed : int
    varying_slopes : bool
        Regression shape only: varying intercepts and slopes instead of a common slope.

    Returns
    -------
    Analysis, or for the regression shape (group, x, y) a
    :class:`hbviz.regression.RegressionAnalysis` (NUTS, varying intercepts with a common slope)
    whose ``table`` holds each group's ``intercept`` and ``slope``; there ``varying_slopes=True``
    lets the slopes vary too, ``tau_scale`` multiplies the data-scaled τ prior scales, and
    ``within_sd`` and ``tau_prior`` do not apply.
    """
    if data.shape == "regression":
        return regression.analyse(
            data,
            varying_slopes=varying_slopes,
            tau_scale=1.0 if tau_scale is None else tau_scale,
            draws=draws,
            seed=seed,
        )
    g = groups(data, within_sd=within_sd)
    pri = priors(data, g, tau_prior=tau_prior, tau_scale=tau_scale)
    names = list(g.table.index)
    draws = draws_for(len(names)) if draws is None else draws
    found = warnings_for(g)
    if data.shape == "counts":
        t = g.table
        post = beta_binomial.sample_posterior(
            t["successes"].to_numpy(int), t["trials"].to_numpy(int), draws=draws, seed=seed
        )
        population = float(np.mean(post.alpha / (post.alpha + post.beta)))
        label = "population mean E(α/(α+β) | y)"
        if post.truncated:
            found.append(
                "With these counts the hierarchical posterior is improper (e.g. no successes or "
                f"no failures anywhere): {post.edge_mass:.1%} of its mass lies on the edge of the "
                "grid, so the population estimates depend on where the grid was cut off."
            )
    else:
        post = normal_normal.sample_posterior(
            g.table["raw"].to_numpy(float),
            g.table["std_error"].to_numpy(float),
            tau_prior=pri.tau_prior,
            tau_scale=pri.tau_scale,
            mu_prior=pri.mu_prior,
            draws=draws,
            seed=seed,
        )
        population = float(np.mean(post.mu))
        label = "population mean E(μ | y)"
    results = results_table(g, post.theta)
    return Analysis(
        table=results[list(TABLE_COLUMNS)],
        results=results,
        groups=g,
        priors=pri,
        posterior=post,
        pooling=pooling_intervals(data, g, post.theta),
        population_mean=population,
        population_label=label,
        complete_pooling=complete_pooling(data, g),
        warnings=tuple(found),
        decimals=decimals(float(np.median(results["sd"]))),
    )


def sorted_table(table: pd.DataFrame, column: str, *, descending: bool = True) -> pd.DataFrame:
    """``table`` sorted by ``column`` (or by group name when ``column`` is "group")."""
    if column == "group":
        return table.sort_index(ascending=not descending, key=lambda s: s.str.lower())
    if column not in table.columns:
        raise ValueError(f"cannot sort by {column!r}; the columns are {list(table.columns)}")
    return table.sort_values(column, ascending=not descending, kind="stable")


def observed_data(g: Groups) -> dict[str, np.ndarray]:
    """What the exact analysis conditions on, one value per group, for an ArviZ file's
    ``observed_data``: successes and trials, or the group estimates and their standard errors
    (raw data: group means and σ_j = s_p/√n_j)."""
    t = g.table
    columns = ("successes", "trials") if "successes" in t else ("raw", "std_error")
    return {c: t[c].to_numpy() for c in columns}


def draws_table(theta_draws, names: Sequence[str]) -> pd.DataFrame:
    """Posterior draws as a table: one row per draw, one column per group."""
    draws = np.asarray(theta_draws, dtype=float)
    return pd.DataFrame(draws, columns=[str(n) for n in names]).rename_axis("draw")


def draws_csv(theta_draws, names: Sequence[str]) -> bytes:
    """The posterior draws as spreadsheet-safe CSV (group names neutralized as column names)."""
    return export.to_csv(draws_table(theta_draws, names))


def compare_intervals(
    names: Sequence[str], exact_draws, nuts_draws, *, interval: float = 0.95
) -> pd.DataFrame:
    """Exact and NUTS posterior medians and central intervals of θ_j, one row per (group, method)."""
    tail = (1 - interval) / 2
    rows = []
    for label, draws in (("exact", exact_draws), ("NUTS", nuts_draws)):
        lo, med, hi = np.quantile(np.asarray(draws, dtype=float), [tail, 0.5, 1 - tail], axis=0)
        rows.append(
            pd.DataFrame(
                {"group": list(names), "series": label, "estimate": med, "lower": lo, "upper": hi}
            )
        )
    return pd.concat(rows, ignore_index=True)


def raw_arrays(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Values and group ids 0..G-1 in order of first appearance (the order of :func:`groups`)."""
    codes, _ = pd.factorize(data.table["group"])
    return data.table["value"].to_numpy(float), codes.astype(np.int64)


def nuts_group_draws(fit: nuts.Fit) -> np.ndarray:
    """The group parameters of a NUTS fit with the chains stacked, shape (chains·draws, J)."""
    site = "theta" if "theta" in fit.samples else "mu"
    draws = np.asarray(fit.samples[site])
    return draws.reshape(-1, draws.shape[-1])


def offered_tau_priors() -> tuple[str, ...]:
    """The τ priors of the exact analysis (:mod:`hbviz.priors`), :data:`DEFAULT_TAU_PRIOR` first."""
    others = [n for n in tau_priors.names("exact") if n != DEFAULT_TAU_PRIOR]
    return (DEFAULT_TAU_PRIOR, *others)


def nuts_tau_priors(shape: str) -> tuple[str, ...] | None:
    """The τ priors the NUTS check of a normal ``shape`` shares with the exact analysis (those
    both its model and the exact one offer); None for counts, which have no τ."""
    model = {"estimates": "estimates", "raw": "raw"}.get(shape)
    if model is None:
        return None
    exact = tau_priors.names("exact")
    return tuple(n for n in tau_priors.names(model) if n in exact)


def nuts_unavailable(data: Dataset, *, tau_prior: str = DEFAULT_TAU_PRIOR) -> str | None:
    """Why the NUTS check cannot fit the same model as the exact analysis, or None if it can."""
    if data.n_groups > NUTS_MAX_GROUPS or len(data.table) > NUTS_MAX_ROWS:
        return (
            f"NUTS is offered up to {NUTS_MAX_GROUPS} groups and {NUTS_MAX_ROWS:,} rows; beyond "
            "that a fit takes minutes here, and the exact answer above is enough."
        )
    offered = nuts_tau_priors(data.shape)
    if offered is not None and tau_prior not in offered:
        names = " or ".join(tau_priors.label(p) for p in offered)
        return (
            f"The NUTS check of this shape has a {names} prior on τ, not the "
            f"{tau_priors.label(tau_prior)} one chosen (MCMC needs a proper prior), so it would "
            f"check another model. Choose {names} to run it."
        )
    return None


def centered_form(g: Groups) -> bool:
    """Whether the NUTS check fits the normal shapes in the centered form (else non-centered).

    The rule: centered when every group's data dominate its prior, i.e. each standard error
    σ_j (raw data: σ/√n_j) is below τ̂, the method-of-moments population sd
    τ̂² = max(var(group estimates) − mean σ_j², 0); equivalently every shrinkage factor
    σ_j²/(σ_j² + τ̂²) < 1/2. Then the likelihood pins each θ_j and the centered posterior is
    nearly Gaussian, while the non-centered one couples θ̃_j and τ (θ_j = μ + τ θ̃_j) and mixes
    slowly (chick weights: σ/√n_j ≈ 16 g against τ̂ ≈ 63 g). Otherwise, when some group's
    prior outweighs its data (eight schools, τ̂ = 0), the centered form has Neal's funnel in
    (τ, θ_j) and diverges, and the non-centered form is the right one (Betancourt & Girolami,
    2015; Stan's User Guide, "Reparameterization").
    """
    y = g.table["raw"].to_numpy(float)
    se = g.table["std_error"].to_numpy(float)
    if y.size < 2:
        return False
    tau_hat_sq = max(float(np.var(y, ddof=1) - np.mean(se**2)), 0.0)
    return bool(np.max(se**2) < tau_hat_sq)


# Bins of NUTS's σ draws for :func:`exact_given_sigma`: within a bin σ varies by well under
# 1 % of itself for a few hundred draws, far below what moves the θ_j.
_SIGMA_BINS = 40


def exact_given_sigma(exact: Analysis, sigma_draws, *, draws: int = 200, seed: int = 0):
    """Exact draws of θ under the raw-data model with σ drawn from ``sigma_draws``.

    Given σ the group means are sufficient for (μ, τ, θ), so p(θ | σ, y) is the normal–normal
    hierarchy with σ_j = σ/√n_j and the same priors. Mixing it over NUTS's draws of σ gives
    the exact p(θ | y) of the model NUTS fits (σ estimated), up to NUTS's error in p(σ | y):
    the like-for-like reference for a raw-data NUTS check, where :func:`analyse` fixes σ = s_p.

    Parameters
    ----------
    exact : Analysis
        :func:`analyse` of raw data (its groups and priors are used).
    sigma_draws : array
        NUTS's draws of the within-group σ.
    draws : int
        Exact draws per bin of σ (:data:`_SIGMA_BINS` equal-count bins, each at its median).

    Returns
    -------
    array, shape (bins · draws, J)
    """
    g, pri = exact.groups, exact.priors
    if "own_sd" not in g.table:
        raise ValueError("exact_given_sigma needs the analysis of raw data (one shared σ)")
    sigma = np.sort(np.asarray(sigma_draws, dtype=float).ravel())
    sqrt_n = np.sqrt(g.table["size"].to_numpy(float))
    pieces = [
        normal_normal.sample_posterior(
            g.table["raw"].to_numpy(float),
            float(np.median(part)) / sqrt_n,
            tau_prior=pri.tau_prior,
            tau_scale=pri.tau_scale,
            mu_prior=pri.mu_prior,
            draws=draws,
            seed=seed + k,
        ).theta
        for k, part in enumerate(np.array_split(sigma, _SIGMA_BINS))
    ]
    return np.concatenate(pieces)


def agreement(reference_theta, fit: nuts.Fit) -> pd.DataFrame:
    """NUTS against independent reference draws of θ: gaps in posterior mean and sd per group,
    and the same in units of their Monte Carlo error.

    The Monte Carlo sd of a posterior mean from n effective draws is sd/√n, of an sd about
    sd/√(2n) (normal draws); the gap's error adds the reference's (its draw count) and NUTS's
    (the bulk ESS of each θ_j) in quadrature.

    Returns
    -------
    DataFrame indexed by position 0..J-1: ``mean_gap``, ``sd_gap`` (NUTS − reference),
    ``z_mean``, ``z_sd`` (gap / its Monte Carlo sd), ``ess_bulk``.
    """
    ref = np.asarray(reference_theta, dtype=float)
    flat = nuts_group_draws(fit)
    site = "theta" if "theta" in fit.samples else "mu"
    ess = fit.summary.loc[[f"{site}[{j}]" for j in range(flat.shape[1])], "n_eff"].to_numpy()
    sd_ref = ref.std(axis=0, ddof=1)
    mean_gap = flat.mean(axis=0) - ref.mean(axis=0)
    sd_gap = flat.std(axis=0, ddof=1) - sd_ref
    se_mean = sd_ref * np.sqrt(1 / ref.shape[0] + 1 / ess)
    se_sd = sd_ref * np.sqrt(1 / (2 * ref.shape[0]) + 1 / (2 * ess))
    return pd.DataFrame(
        {
            "mean_gap": mean_gap,
            "sd_gap": sd_gap,
            "z_mean": mean_gap / se_mean,
            "z_sd": sd_gap / se_sd,
            "ess_bulk": ess,
        }
    )


class NutsCheck(NamedTuple):
    """A NUTS fit of the exact analysis's model, summarised like it.

    Attributes
    ----------
    table : DataFrame indexed by group
        :data:`TABLE_COLUMNS` from the NUTS draws.
    fit : nuts.Fit
    comparison : DataFrame
        :func:`compare_intervals` of the exact and NUTS draws.
    largest_sd_gap : float
        max_j |sd_NUTS(θ_j) − sd_exact(θ_j)| / sd_exact(θ_j), against the page's exact analysis.
    description : str
        What NUTS fits and how it relates to the exact analysis, for the page.
    agreement : DataFrame indexed by group
        :func:`agreement` of NUTS with the exact posterior of the model NUTS fits: the page's
        exact analysis, except for raw data, where NUTS estimates σ and the reference is
        :func:`exact_given_sigma`. Its ``z_mean`` and ``z_sd`` should be within a few units.
    centered : bool
        Whether NUTS used the centered form (:func:`centered_form`); False for counts.
    """

    table: pd.DataFrame
    fit: nuts.Fit
    comparison: pd.DataFrame
    largest_sd_gap: float
    description: str
    agreement: pd.DataFrame
    centered: bool


# The settings of the model that :func:`analyse` fits, which :func:`nuts_check` shares with it.
MODEL_SETTINGS = ("within_sd", "tau_prior", "tau_scale")


def nuts_check(
    data: Dataset,
    *,
    draws: int = NUTS_DRAWS,
    num_chains: int = 4,
    seed: int = 0,
    progress: Callable[[float], object] | None = None,
    exact: Analysis | None = None,
    **settings,
) -> NutsCheck:
    """Fit the model of :func:`analyse` by NUTS, with the same priors, and compare.

    Parameters
    ----------
    data : upload.Dataset
    draws : int
        Warm-up iterations and draws per chain. At the default, 4 × (1000 + 1000), the check
        passes its diagnostics on every shipped example (``bench/nuts_check.py``).
    num_chains, seed, progress
        As in :func:`hbviz.nuts.fit_normal_hierarchy`.
    exact : Analysis, optional
        The exact analysis with the same settings, if already computed.
    **settings
        The model's settings, ``within_sd``, ``tau_prior`` and ``tau_scale``, passed on to
        :func:`analyse` (the exact analysis's own ``draws`` and ``seed`` are not among them).

    Raises
    ------
    ValueError
        When the NUTS model cannot have the same prior (:func:`nuts_unavailable`).
    """
    unknown = sorted(set(settings) - set(MODEL_SETTINGS))
    if unknown:
        raise ValueError(f"nuts_check has no setting {unknown[0]!r}; it takes {MODEL_SETTINGS}")
    reason = nuts_unavailable(data, tau_prior=settings.get("tau_prior", DEFAULT_TAU_PRIOR))
    if reason:
        raise ValueError(reason)
    if exact is None:
        exact = analyse(data, **settings)
    g, pri = exact.groups, exact.priors
    centered = data.shape != "counts" and centered_form(g)
    form = "centered" if centered else "non-centered"
    run = dict(
        num_chains=num_chains,
        num_warmup=NUTS_WARMUP,
        num_samples=draws,
        seed=seed,
        progress=progress,
    )
    if data.shape == "counts":
        t = g.table
        fit = nuts.fit_binomial_hierarchy(
            t["successes"].to_numpy(int), t["trials"].to_numpy(int), hierarchy="beta", **run
        )
        text = (
            "NUTS fits the same beta–binomial model with the same hyperprior "
            "p(α, β) ∝ (α+β)^(−5/2): its intervals should match the exact ones up to Monte Carlo "
            "error."
        )
    elif data.shape == "estimates":
        fit = nuts.fit_normal_hierarchy(
            g.table["raw"].to_numpy(float),
            g.table["std_error"].to_numpy(float),
            centered=centered,
            tau_prior=pri.tau_prior,
            tau_scale=pri.tau_scale,
            mu_prior=pri.mu_prior,
            **run,
        )
        text = (
            f"NUTS fits the same normal–normal model with the same priors ({form} form): "
            "its intervals should match the exact ones up to Monte Carlo error."
        )
    else:
        values, codes = raw_arrays(data)
        fit = nuts.fit_pooling(
            values,
            codes,
            regime="partial",
            centered=centered,
            tau_prior=pri.tau_prior,
            tau_scale=pri.tau_scale,
            mu_prior=pri.mu_prior,
            sigma_rate=pri.sigma_rate,
            **run,
        )
        text = (
            "NUTS fits NumPyro's partial-pooling model to the values, θ_g ~ N(μ, τ²), "
            f"v_i ~ N(θ_g[i], σ²) ({form} form), with the same priors on μ and τ. It estimates "
            "the shared σ where the exact analysis fixes it at s_p, so its intervals are a "
            "little wider when there are few values in all."
        )
        if (g.table["sd_source"] == "own").any():
            text += (
                " The exact analysis above uses each group's own sd, another model: gaps are "
                "expected, and show what that choice changes."
            )
    nuts_draws = nuts_group_draws(fit)
    names = list(g.table.index)
    table = group_table(nuts_draws, names)
    gap = float(np.max(np.abs(table["sd"] - exact.table["sd"]) / exact.table["sd"]))
    comparison = compare_intervals(names, exact.posterior.theta, nuts_draws)
    if data.shape == "raw":
        reference = exact_given_sigma(exact, fit.samples["sigma"], seed=seed)
        same = agreement(reference, fit).set_axis(names)
        text += (
            f" Against the exact analysis with σ = s_p the largest gap in posterior sd is "
            f"{gap:.0%}; against the exact analysis given NUTS's draws of σ (the model NUTS "
            f"fits), the largest gaps are {same['z_mean'].abs().max():.1f} Monte Carlo sds in "
            f"a mean and {same['z_sd'].abs().max():.1f} in an sd."
        )
    else:
        same = agreement(exact.posterior.theta, fit).set_axis(names)
    return NutsCheck(table, fit, comparison, gap, text, same, centered)


def column_notes(columns: Sequence[str]) -> str:
    """What the table's columns mean, for a caption under it (from :data:`COLUMN_HELP`)."""
    return " · ".join(f"**{c}**: {COLUMN_HELP[c]}" for c in columns if c in COLUMN_HELP)


def number_formats(shape: str, value_decimals: int) -> dict[str, str]:
    """printf formats of the page's table columns: values in the data's units with one number of
    decimals (:attr:`Analysis.decimals`), probabilities with 3, mean ranks with 1."""
    value = f"%.{value_decimals}f"
    formats = dict.fromkeys(["raw", "raw_se", "mean", "sd", "2.5%", "50%"], value)
    formats |= {"97.5%": value, "own_sd": value, "p_best": "%.3f", "mean_rank": "%.1f"}
    return formats | {"size": "%.3g" if shape == "estimates" else "%d"}


def value_unit(data: Dataset) -> str:
    """What the group values are, for axis titles: a rate for counts, else the value column."""
    if data.shape == "counts":
        return "rate, successes / trials"
    return f"{data.columns.get('estimate', data.columns.get('value'))}, your units"


class Pick(NamedTuple):
    """The dataset the Your-data page analyses after the user gave ``raw``, and what to say.

    Attributes
    ----------
    chosen : (label, Dataset) or None
        What to analyse; None for an empty state.
    loaded : bool
        Whether ``chosen`` is the input just given (the page keeps it as the last good dataset).
    problems : UploadError or None
        Why the input given was rejected.
    note : str or None
        Plain text for the page: what to do, and which dataset is analysed instead and why.
    """

    chosen: tuple[str, Dataset] | None
    loaded: bool
    problems: UploadError | None
    note: str | None


def pick_dataset(
    label: str | None,
    raw: bytes | None,
    kept: tuple[str, Dataset] | None,
    *,
    parse: Callable[[bytes], Dataset],
    blank_is_empty: bool = False,
) -> Pick:
    """Parse the user's input, or fall back to the last good dataset they loaded, saying so.

    Parameters
    ----------
    label : str or None
        The input's name (a file name, "the pasted text").
    raw : bytes or None
        None when nothing was given yet (no file chosen).
    kept : (label, Dataset) or None
        The last dataset the user loaded that could be read; never an example they did not pick.
    parse : callable
        ``upload.parse`` or a cached equivalent.
    blank_is_empty : bool
        Treat blank input as "nothing given" (a paste box) rather than as an empty file.
    """
    problems = None
    if raw is None:
        what = "Choose a CSV file with a header row."
    elif blank_is_empty and not raw.strip():
        what = "The text box is empty: paste CSV text with a header row."
    else:
        try:
            return Pick((label, parse(raw)), True, None, None)
        except UploadError as err:
            problems, what = err, f"Fix the problems above to analyse {label}."
    if kept is None:
        return Pick(None, False, problems, f"Nothing to analyse. {what} Or pick an example.")
    return Pick(
        kept,
        False,
        problems,
        f"{what} Until then the page analyses {kept[0]}, the last data you loaded that could be "
        "read.",
    )
