"""Analyses of a user's dataset (``hbviz.upload.Dataset``), arranged as tables for the page.

The samplers are the lecture's: counts → :mod:`hbviz.beta_binomial`; estimates →
:mod:`hbviz.normal_normal`; raw observations → normal–normal on the group means with
σ_j = s_j / √n_j, and NumPyro's partial-pooling model on the raw values (:func:`hbviz.nuts.fit_pooling`).

Groups of raw data with a single observation (or with no spread, all values equal) have no
within-group sd of their own; they get the pooled within-group sd
s_p = √(Σ_j (n_j − 1) s_j² / Σ_j (n_j − 1)), so σ_j = s_p / √n_j. With ``pooled_sd=True``
every group uses s_p (the equal-variance assumption of the NumPyro model).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd
from scipy import stats

from hbviz import export, normal_normal, summaries
from hbviz.upload import Dataset

POOLING_SERIES = ("no pooling", "complete pooling", "partial pooling")
# Exact draws kept per analysis: ~2 million numbers (16 MB), so that 10,000 groups stay quick;
# small data sets get 4,000 draws.
DRAW_BUDGET = 2_000_000
MAX_DRAWS = 4000
MIN_DRAWS = 200
# Largest data set offered to NUTS: beyond it a fit takes minutes on a 2-core server.
NUTS_MAX_GROUPS = 500
NUTS_MAX_ROWS = 20_000


class Groups(NamedTuple):
    """One row per group: what each analysis starts from.

    Attributes
    ----------
    table : DataFrame indexed by group
        ``raw`` (no-pooling estimate: y_j/n_j, the estimate, or the group mean), ``std_error``
        (its standard error), ``size`` (trials, observations, or precision 1/σ_j²) and, for
        raw data, ``n``, ``sd`` and ``sd_source``.
    size_label : str
        What ``size`` is, for the shrinkage plot's legend.
    """

    table: pd.DataFrame
    size_label: str


def draws_for(n_groups: int) -> int:
    """Exact draws to keep for ``n_groups`` groups (4,000 for small data, fewer for large)."""
    return int(np.clip(DRAW_BUDGET // max(n_groups, 1), MIN_DRAWS, MAX_DRAWS))


def raw_group_estimates(table: pd.DataFrame, *, pooled_sd: bool = False) -> pd.DataFrame:
    """Group means of raw observations and their standard errors σ_j = s_j / √n_j.

    Parameters
    ----------
    table : DataFrame with columns ``group`` and ``value``
    pooled_sd : bool
        Use the pooled within-group sd s_p for every group (else only where s_j is unusable).

    Returns
    -------
    DataFrame indexed by group (in order of first appearance): ``n``, ``mean``, ``sd``,
    ``std_error``, ``sd_source`` ("own" or "pooled").
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
    own = usable & (not pooled_sd)
    sd_used = np.where(own, out["sd"], pooled)
    out["std_error"] = sd_used / np.sqrt(out["n"])
    out["sd_source"] = np.where(own, "own", "pooled")
    out.index = out.index.astype(str)
    return out


def groups(data: Dataset, *, pooled_sd: bool = False) -> Groups:
    """The no-pooling estimate, its standard error and a size for every group of ``data``."""
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
    est = raw_group_estimates(t, pooled_sd=pooled_sd)
    table = pd.DataFrame(
        {
            "raw": est["mean"],
            "std_error": est["std_error"],
            "size": est["n"].astype(float),
            "n": est["n"],
            "sd": est["sd"],
            "sd_source": est["sd_source"],
        }
    )
    table.index.name = "group"
    return Groups(table, "observations")


def complete_pooling(data: Dataset, g: Groups) -> tuple[float, float]:
    """The complete-pooling estimate and its sd: Σy/Σn for counts, else the precision-weighted mean."""
    if data.shape == "counts":
        y, n = g.table["successes"].sum(), g.table["trials"].sum()
        p = y / n
        return float(p), float(np.sqrt(p * (1 - p) / n))
    return normal_normal.complete_pooling(g.table["raw"], g.table["std_error"])


def pooling_intervals(
    data: Dataset, g: Groups, theta_draws, *, interval: float = 0.95
) -> pd.DataFrame:
    """No, complete and partial pooling side by side: one row per (group, series).

    Counts use Beta(1 + y, 1 + n − y) intervals for no pooling and Beta(1 + Σy, 1 + Σ(n − y))
    for complete pooling (a uniform prior, so 0 of n still gets an interval); the normal
    shapes use y_j ± z σ_j and the precision-weighted mean ± z times its sd.

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
    draws = np.asarray(theta_draws, dtype=float)
    lower, median, upper = np.quantile(draws, [tail, 0.5, 1 - tail], axis=0)
    parts = dict(zip(POOLING_SERIES, (no, complete, (median, lower, upper)), strict=True))
    return pd.concat(
        [
            pd.DataFrame({"group": names, "series": s, "estimate": e, "lower": lo, "upper": hi})
            for s, (e, lo, hi) in parts.items()
        ],
        ignore_index=True,
    )


def results_table(g: Groups, theta_draws) -> pd.DataFrame:
    """Per group: raw estimate, size, posterior mean, sd and quantiles, Pr(best), mean rank."""
    names = list(g.table.index)
    quantiles = summaries.posterior_quantiles(theta_draws, names)
    ranks = summaries.ranking_table(theta_draws, names)
    head = g.table[["raw", "std_error", "size"]].rename(columns={"std_error": "raw_se"})
    return pd.concat([head, quantiles, ranks], axis=1)


def sorted_table(table: pd.DataFrame, column: str, *, descending: bool = True) -> pd.DataFrame:
    """``table`` sorted by ``column`` (or by group name when ``column`` is "group")."""
    if column == "group":
        return table.sort_index(ascending=not descending, key=lambda s: s.str.lower())
    if column not in table.columns:
        raise ValueError(f"cannot sort by {column!r}; the columns are {list(table.columns)}")
    return table.sort_values(column, ascending=not descending, kind="stable")


def draws_table(theta_draws, names: Sequence[str]) -> pd.DataFrame:
    """Posterior draws as a table: one row per draw, one column per group."""
    draws = np.asarray(theta_draws, dtype=float)
    return pd.DataFrame(draws, columns=[str(n) for n in names]).rename_axis("draw")


def raw_nuts_priors(table: pd.DataFrame) -> dict:
    """Weakly informative priors for :func:`hbviz.nuts.fit_pooling` on the data's own scale.

    μ_pop ~ N(mean, (10·sd)²), τ ~ HalfNormal(2·sd), σ ~ Exponential(rate 1/sd), with mean and
    sd those of all the values (the tutorial's N(0, 10), Exponential(1) assume unit-scale data).
    """
    values = table["value"].to_numpy(float)
    sd = float(values.std(ddof=1)) if values.size > 1 else 1.0
    sd = sd if sd > 0 else 1.0
    return {
        "mu_prior": (float(values.mean()), 10 * sd),
        "tau_scale": 2 * sd,
        "sigma_rate": 1 / sd,
    }


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


def draws_csv(theta_draws, names: Sequence[str]) -> bytes:
    """The posterior draws as spreadsheet-safe CSV (group names neutralized as column names)."""
    return export.to_csv(draws_table(theta_draws, names))


class NutsPlan(NamedTuple):
    """What the NUTS check fits, with which proper priors, and how it compares with the exact run.

    Attributes
    ----------
    model : {"beta_binomial", "normal", "raw_pooling"}
    priors : dict
        Keyword arguments of the fit (and, for "normal", of the exact sampler it is compared with).
    description : str
        One paragraph for the page.
    """

    model: str
    priors: dict
    description: str


def nuts_plan(data: Dataset, g: Groups, tau_prior: str, tau_scale: float) -> NutsPlan:
    """The NUTS fit that checks the exact analysis of ``data``."""
    if data.shape == "counts":
        return NutsPlan(
            "beta_binomial",
            {},
            "NUTS fits the same beta–binomial model with the same hyperprior "
            "p(α, β) ∝ (α+β)^(-5/2), sampled in (log(α/β), log(α+β)): its intervals should "
            "match the exact ones up to Monte Carlo error.",
        )
    if data.shape == "estimates":
        y = g.table["raw"].to_numpy(float)
        spread = float(np.sqrt(np.var(y) + np.mean(g.table["std_error"].to_numpy(float) ** 2)))
        scale = tau_scale if tau_prior != "uniform" else spread
        prior = tau_prior if tau_prior != "uniform" else "half_cauchy"
        mu_prior = (float(np.mean(y)), 10 * spread)
        return NutsPlan(
            "normal",
            {"tau_prior": prior, "tau_scale": float(scale), "mu_prior": mu_prior},
            f"NUTS needs proper priors: τ ~ {prior.replace('_', '-')}(0, {scale:.3g}) and "
            f"μ ~ N({mu_prior[0]:.3g}, {mu_prior[1]:.3g}²), on the data's scale. The exact "
            "posterior it is compared with is recomputed under these same priors.",
        )
    priors = raw_nuts_priors(data.table)
    mu_mean, mu_sd = priors["mu_prior"]
    return NutsPlan(
        "raw_pooling",
        priors,
        "NUTS fits NumPyro's partial-pooling model to the raw values: μ_g ~ N(μ_pop, τ²), "
        f"v_i ~ N(μ_g[i], σ²), with μ_pop ~ N({mu_mean:.3g}, {mu_sd:.3g}²), "
        f"τ ~ HalfNormal({priors['tau_scale']:.3g}), σ ~ Exponential(rate "
        f"{priors['sigma_rate']:.3g}). It shares one σ across groups and estimates it, where the "
        "exact analysis takes each σ_j = s_j/√n_j as known, so small groups can differ.",
    )


def raw_arrays(data: Dataset) -> tuple[np.ndarray, np.ndarray]:
    """Values and group ids 0..G-1 in order of first appearance (the order of :func:`groups`)."""
    codes, _ = pd.factorize(data.table["group"])
    return data.table["value"].to_numpy(float), codes.astype(np.int64)


def nuts_group_draws(fit) -> np.ndarray:
    """The group parameters of a NUTS fit with the chains stacked, shape (chains·draws, J)."""
    site = "theta" if "theta" in fit.samples else "mu"
    draws = np.asarray(fit.samples[site])
    return draws.reshape(-1, draws.shape[-1])
