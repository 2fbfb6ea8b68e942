"""The pages' predictive panels and the probability/logit switch of their shrinkage plots.

Prior predictive checks (eight schools, drug trial), the posterior predictive of an existing and
of a new group, and the scale switch on the pages with counts. Each page calls these in a line or
two; the computations are :mod:`hbviz.predictive` and :mod:`hbviz.scales`, the figures
:mod:`hbviz.plots.predictive`. Widgets here are kept in the link and checked like the sidebar's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import streamlit as st

from hbviz import beta_binomial, datasets, predictive, priors, scales
from hbviz.plots import beta_binomial as bb_figs
from hbviz.plots import common
from hbviz.plots import predictive as figs
from hbviz.plots.your_data import FOREST_ROWS
from pages import _ui

checked = _ui.LinkCheckedContainer(st)  # the page body, its bound widgets' link values checked
BIND = {"bind": "query-params"}
DRAWS = 4000  # prior predictive draws

SCALE_DEFAULTS = {"scale": "probability"}
SCHOOLS_DEFAULTS = {"cutoff": predictive.DEFAULT_CUTOFF}
DRUG_TRIAL_DEFAULTS = SCALE_DEFAULTS | {
    "n_new": int(datasets.rat_tumor()["n"].iloc[-1]),
    "log_size_min": beta_binomial.WIDE_LOG_SIZE[0],
}
IMPROPER = (
    "An improper prior has infinite total probability, so it is not a probability distribution "
    "and nothing can be drawn from it. "
)


def scale_switch() -> str:
    """The switch between the probability and the logit scale of a shrinkage plot."""
    return checked.segmented_control(
        "Scale of the plot below",
        list(scales.SCALES),
        default="probability",
        required=True,
        key="scale",
        help="Logit θ = log(θ/(1 − θ)): the scale on which the logit-normal hierarchy is linear, "
        "and rates near 0 or 1 spread out.",
        **BIND,
    )


# ---------------------------------------------------------------------------------------------
# The scale switch on the pages with counts


@st.fragment
def free_throws_shrinkage(made, attempts, alpha, beta, hier, names: Sequence[str]) -> None:
    """Independent → hierarchical posterior means on the chosen scale, and what is shown. A
    fragment: the scale switch redraws this figure alone."""
    scale = scale_switch()
    pop = float(scales.draws_mean(hier.alpha / (hier.alpha + hier.beta), scale))
    complete = float(scales.observed([made.sum()], [attempts.sum()], scale)[0])
    logit = scale == "logit"
    _ui.plot(
        bb_figs.shrinkage_between_models,
        scales.beta_mean(alpha, beta, scale),
        scales.draws_mean(hier.theta, scale),
        names,
        population_mean=pop,
        complete_pooling=complete,
        weight=attempts,
        value_title="posterior mean of "
        + ("logit θ (θ: " if logit else "θ (")
        + "probability of making a free throw)",
        population_label=f"population mean E({'log(α/β)' if logit else 'α/(α+β)'} | y)",
        key="shrinkage",
    )
    if logit:
        st.caption(
            f"Means of logit θ, which are not the logits of the means: ψ(a) − ψ(b) for the "
            f"independent Beta(a, b) posteriors, the mean of the logits of the draws for the "
            f"hierarchical ones. Dashed: E(log(α/β) | y) = {pop:.2f}; dotted: complete pooling's "
            f"empirical logit log((Σy + ½)/(Σn − Σy + ½)) = {complete:.2f}."
        )
        return
    st.caption(
        f"Dashed line: the population mean E(α/(α+β) | y) = {pop:.3f}; dotted: complete pooling, "
        f"all seasons' makes over all attempts ({complete:.3f}). Seasons with fewer attempts "
        "(smaller markers) have less evidence of their own and move further toward it; the "
        "independent means use the sliders' prior."
    )


@st.fragment
def drug_trial_intervals(quantiles: pd.DataFrame, y, n, names: Sequence[str]) -> None:
    """BDA3 Fig. 5.4 on the chosen scale: the quantiles' ends transformed, not recomputed. A
    fragment: the scale switch redraws this figure alone."""
    scale = scale_switch()
    logit = scale == "logit"
    q = {level: scales.quantile(quantiles[level], scale) for level in ("2.5%", "50%", "97.5%")}
    _ui.plot(
        bb_figs.intervals_against_observed,
        scales.observed(y, n, scale),
        q["50%"],
        q["2.5%"],
        q["97.5%"],
        names,
        successes=y,
        trials=n,
        highlight=len(names) - 1,
        jitter=0.03 if logit else 0.0025,
        x_title="observed rate, empirical logit log((y + ½)/(n − y + ½))"
        if logit
        else "observed rate y_j / n_j (ties spread sideways)",
        y_title=f"posterior {'logit θ_j' if logit else 'θ_j'} (median and interval)",
        key="intervals",
    )
    st.caption(
        "BDA3 Fig. 5.4: posterior medians and 95% intervals of every θ_j under full Bayes. Points "
        "below the dashed 45° line were pulled down toward the population, points above it up; "
        "hover for each one's counts. "
        + (
            "On the logit scale the medians and interval ends are the logits of those on the "
            "probability scale (a quantile moves with an increasing map: nothing is "
            "recomputed); an observed 0/n has no finite logit, so observed rates are empirical "
            "logits. Rates near 0 spread out here: the 0/n experiments differ by their n."
            if logit
            else "Experiments with the same observed rate are spread sideways."
        )
    )


def your_data_shrinkage(data, res, unit: str) -> None:
    """The Your-data page's shrinkage plot and pooling intervals; for counts, on either scale."""
    g, names, t = res.groups, list(res.table.index), res.groups.table
    scale = scale_switch() if data.shape == "counts" else "probability"
    raw, pooled = t["raw"].to_numpy(), res.posterior.theta.mean(axis=0)
    population, label = res.population_mean, res.population_label
    complete = res.complete_pooling[0]
    intervals = res.pooling
    if scale == "logit":
        y, n = t["successes"].to_numpy(), t["trials"].to_numpy()
        raw = scales.observed(y, n, scale)
        pooled = scales.draws_mean(res.posterior.theta, scale)
        post = res.posterior
        population = float(scales.draws_mean(post.alpha / (post.alpha + post.beta), scale))
        label, unit = "population mean E(log(α/β) | y)", "logit of the rate, log(θ/(1 − θ))"
        complete = float(scales.observed([y.sum()], [n.sum()], scale)[0])
        by_group = dict(zip(map(str, t.index), zip(y, n, strict=True), strict=True))
        pooled_counts = (y.sum(), n.sum())
        counts = [
            by_group[group] if series == "no pooling" else pooled_counts
            for group, series in zip(intervals["group"], intervals["series"], strict=True)
        ]
        intervals = scales.interval_table(
            intervals,
            scale,
            observed_rows=intervals["series"] != "partial pooling",
            successes=[c[0] for c in counts],
            trials=[c[1] for c in counts],
        )
    shrinkage = dict(population_mean=population, population_label=label, value_title=unit)
    weight = dict(weight=t["size"].to_numpy(), weight_label=g.size_label)
    _ui.plot(
        common.shrinkage_plot, raw, pooled, names, complete_pooling=complete, **shrinkage, **weight
    )
    st.caption(
        "Partial pooling pulls each group toward the population mean (dashed), not toward the "
        "complete-pooling estimate (dotted), which weights the groups by their precision alone."
        + (
            " On the logit scale: observed rates are empirical logits log((y + ½)/(n − y + ½)), "
            "finite at 0/n; partial pooling's points are the means of the logits of the draws "
            "above, its medians and every interval end below the logits of those on the "
            "probability scale (transformed, not recomputed)."
            if scale == "logit"
            else ""
        )
    )
    shown = intervals[intervals["group"].isin(names[:FOREST_ROWS])]
    _ui.plot(common.interval_plot, shown, series="series", x_title=unit)


# ---------------------------------------------------------------------------------------------
# Eight schools


@st.cache_data(max_entries=32, show_spinner=False)
def _schools_prior(
    sigma: tuple, settings: tuple, cutoff: float
) -> predictive.NormalPriorPredictive:
    return predictive.normal_prior_predictive(
        np.array(sigma), **dict(settings), cutoff=cutoff, draws=DRAWS
    )


@st.cache_data(max_entries=32, show_spinner=False)
def _schools_priors(y: tuple, sigma: tuple, settings: tuple, cutoff: float) -> pd.DataFrame:
    kept = {k: v for k, v in settings if k != "tau_prior"}
    return predictive.prior_comparison(
        np.array(y), np.array(sigma), **kept, cutoff=cutoff, draws=DRAWS
    )


def schools_posterior_predictive(names, y, theta, pred, unit: str) -> None:
    """ỹ_j for each existing school and for a new school, observed y_j marked."""
    st.subheader("Each school again: ỹ_j, and a new school")
    table = pd.concat(
        [
            predictive.predictive_table(theta, pred.y_existing, y, names),
            predictive.predictive_table(
                pred.theta_new[:, None], pred.y_new[:, None], None, ["a new school"]
            ),
        ]
    )
    labels = dict(theta_label="θ_j | y (new school: θ̃)", y_label="ỹ_j | y (new school: ỹ)")
    _ui.plot(figs.predictive_intervals, table, x_title=unit, **labels, key="schools-predictive")
    fmt = dict.fromkeys(table.columns, "%.1f") | {"Pr(ỹ ≤ y)": "%.2f"}
    _ui.show_table(table, file_name="eight_schools_predictive.csv", key="predictive", formats=fmt)
    st.caption(
        "ỹ_j ~ N(θ_j, σ_j²) with θ_j from its posterior: what school j's study would report if it "
        "were run again: wider than θ_j by the measurement error σ_j. The diamonds are the observed "
        "y_j; Pr(ỹ_j ≤ y_j) near 0 or 1 would say the model did not expect one (a check that "
        "uses the data twice, so a mild one)."
    )


SCHOOLS_PRIOR_CHECK_KEY = "schools-prior-check"  # the eight schools' prior-predictive expander


@st.fragment
def schools_prior_predictive(names, y, sigma, settings: Mapping[str, object], unit: str) -> None:
    """What θ_j and y_j the page's priors imply before the data, and every τ prior side by side.
    Computed and drawn only while its expander is open; a fragment: opening it or moving B
    reruns it alone."""
    box = _ui.lazy_expander(
        "Prior predictive check: what these priors say before the data", key=SCHOOLS_PRIOR_CHECK_KEY
    )
    if box is None:
        return
    with box:
        _ui.method_badge("exact")
        cutoff = checked.slider(
            "Cut-off B of an improper prior (points)",
            10.0,
            500.0,
            key="cutoff",
            step=10.0,
            value=SCHOOLS_DEFAULTS["cutoff"],
            **BIND,
        )
        key = (_ui.as_tuple(sigma), tuple(sorted(settings.items())), float(cutoff))
        pp = _schools_prior(*key)
        cut = {"τ": f"τ uniform on (0, {cutoff:g})", "μ": f"μ uniform on (−{cutoff:g}, {cutoff:g})"}
        if pp.cut:
            st.markdown(
                IMPROPER
                + f"This page's {' and '.join('prior on ' + c for c in pp.cut)} "
                + f"{'is' if len(pp.cut) == 1 else 'are'} improper, so they are drawn cut to "
                + " and ".join(cut[c] for c in pp.cut)
                + ". Move B and the spread of the ỹ_j moves with it: an improper prior says "
                "nothing about the scale of the effects, the cut says it all. The posterior is "
                "proper all the same: the data make it so."
            )
        table = predictive.predictive_table(pp.theta, pp.y, y, names)
        labels = dict(theta_label="θ_j drawn from the prior", y_label="ỹ_j drawn from the prior")
        _ui.plot(figs.predictive_intervals, table, x_title=unit, **labels, key="schools-prior")
        st.caption(
            "Medians and 95% intervals of 4,000 draws: (μ, τ) from the prior, θ_j ~ N(μ, τ²), "
            "ỹ_j ~ N(θ_j, σ_j²) with the observed σ_j; the diamonds are the observed y_j."
        )
        compared = _schools_priors(_ui.as_tuple(y), *key)
        scale = settings["tau_scale"]
        st.markdown(
            f"**Every τ prior of the exact analysis, scale {scale:g}, this page's μ prior**"
        )
        fmt = {c: "%.1f" for c in compared.columns if c != "observed y_j inside"}
        _ui.show_table(
            compared, file_name="eight_schools_prior_check.csv", key="priors", formats=fmt
        )
        st.caption(
            f"Proper priors on τ: {', '.join(priors.label(p) for p in priors.names('exact') if priors.TAU_PRIORS[p].proper)}"
            f" (scale {scale:g}: the sidebar's). A half-Cauchy's heavy tail lets τ, and with it "
            "the ỹ_j, reach far; a half-normal keeps them within a few scales."
        )


# ---------------------------------------------------------------------------------------------
# Drug trial


@st.cache_data(max_entries=32, show_spinner=False)
def _pmf(alpha: np.ndarray, beta: np.ndarray, trials: int, successes: int, failures: int):
    return predictive.binomial_predictive_pmf(
        alpha, beta, trials, successes=successes, failures=failures
    )


@st.cache_data(max_entries=16, show_spinner=False)
def _hyperprior(log_size_min: float) -> predictive.HyperpriorDraws:
    return predictive.hyperprior_predictive(log_size_min=log_size_min, draws=DRAWS)


@st.fragment
def drug_trial_posterior_predictive(full, y: int, n: int) -> None:
    """ỹ for the current experiment run again and for a new experiment of ñ rats. A fragment:
    ñ redraws this panel alone."""
    st.subheader("Predictive: the current experiment again, and a new experiment")
    _ui.method_badge("exact")
    n_new = checked.number_input(
        "rats in a new experiment, ñ", 1, 2000, DRUG_TRIAL_DEFAULTS["n_new"], 1, key="n_new", **BIND
    )
    pmfs = {
        f"the current experiment again, n = {n}": _pmf(full.alpha, full.beta, n, y, n - y),
        f"a new experiment, ñ = {n_new}": _pmf(full.alpha, full.beta, n_new, 0, 0),
    }
    rows = {}
    for (name, pmf), size in zip(pmfs.items(), (n, n_new), strict=True):
        # the observed rate y/n on this experiment's size: ỹ/size ≥ y/n
        rows[name] = predictive.pmf_summary(pmf, int(np.ceil(size * y / n - 1e-9)))
    table = pd.DataFrame.from_dict(rows, orient="index").rename(
        columns={"Pr(ỹ ≥ y)": "Pr(ỹ/ñ ≥ y/n)"}
    )
    table.index.name = "predictive of ỹ"
    marked = dict(observed_rate=y / n, observed_label="observed y/n")
    _ui.plot(figs.predictive_pmf_plot, pmfs, **marked, key="drug-predictive")
    fmt = {"mean": "%.2f", "2.5%": "%d", "97.5%": "%d", "Pr(ỹ/ñ ≥ y/n)": "%.3f"}
    _ui.show_table(table, file_name="drug_trial_predictive.csv", key="predictive", formats=fmt)
    st.caption(
        "Rats with tumours ỹ. Again: the current experiment's own θ, from its posterior "
        "Beta(α + y, β + n − y), which its own rats have pulled up. New: a new θ̃ ~ Beta(α, β) "
        "from the population, centred on the historical rates. Each is a beta-binomial pmf "
        "averaged over the exact draws of (α, β): no simulation noise."
    )


PRIOR_CHECK_KEY = "drug-prior-check"  # the drug trial's prior-predictive expander: open or closed


@st.fragment
def drug_trial_prior_predictive(historical_y, historical_n, observed_rates) -> None:
    """Beta curves and tumour rates implied by the cut hyperprior and by empirical Bayes.

    Computed and drawn only while its expander is open (it opens closed): its two figures are
    the page's heaviest (hundreds of kB), and the current experiment's rate, which every press
    of y moves, is one of its ticks. A fragment: opening it or moving its slider reruns this
    panel alone."""
    box = st.expander(
        "Prior predictive check: what the priors say before the data",
        key=PRIOR_CHECK_KEY,
        on_change="rerun",
    )
    if not box.open:
        return
    with box:
        _ui.method_badge("exact")
        low = checked.slider(
            "Cut the hyperprior at log(α + β) ≥",
            -8.0,
            4.0,
            key="log_size_min",
            step=0.5,
            value=DRUG_TRIAL_DEFAULTS["log_size_min"],
            **BIND,
        )
        draws = _hyperprior(float(low))
        u_lo, u_hi, v_lo, v_hi = draws.box
        st.markdown(
            IMPROPER
            + "p(α, β) ∝ (α + β)^(−5/2) is such a prior: in (log(α/β), log(α + β)) its density "
            "is a logistic density in log(α/β) (the mean α/(α + β) is uniform on (0, 1)) times "
            "e^(−log(α+β)/2), which grows without end as α + β → 0. Here it is cut to the box "
            f"log(α/β) ∈ [{u_lo:g}, {u_hi:g}], log(α + β) ∈ [{v_lo:g}, {v_hi:g}] (with the "
            "lower end at −8, the widest grid of the exact sampler). Most of its mass then sits "
            "at small α + β, where the Betas are U-shaped: it expects experiments with no "
            "tumours or all tumours, and how strongly depends on the cut. The posterior is "
            "proper all the same, because some experiments have 0 < y_j < n_j."
        )
        eb = beta_binomial.moment_estimate(historical_y, historical_n)
        eb_name = f"empirical Bayes Beta({eb[0]:.1f}, {eb[1]:.1f})"
        x, curves = predictive.beta_curves(draws.alpha[:40], draws.beta[:40])
        fixed = {eb_name: predictive.beta_curves([eb[0]], [eb[1]])[1][0]}
        theta = {"(α + β)^(−5/2), cut": draws.theta, eb_name: predictive.beta_prior_draws(*eb)}
        left, right = st.columns(2)
        with left:
            curves_label = "Beta(α, β), (α, β) from the cut hyperprior (40 draws)"
            _ui.plot(figs.beta_curves_plot, x, curves, curves_label=curves_label, fixed=fixed)
        with right:
            _ui.plot(figs.rates_histogram, theta, observed_rates, y_max=10.0, key="prior-rates")
        table = predictive.rate_summary(theta, observed_rates)
        fmt = {c: "%.3f" for c in table.columns if c != "observed rates inside"}
        _ui.show_table(table, file_name="drug_trial_prior_check.csv", key="prior", formats=fmt)
        st.caption(
            "Left: 40 Beta(α, β) curves with (α, β) from the cut hyperprior; most hug 0 and 1. "
            "Right: the tumour rates θ of a group each prior implies (4,000 draws; the cut "
            "prior's bars at 0 and 1 run off the top), and the 71 observed rates y_j/n_j as "
            "ticks. Empirical Bayes is fitted to the historical rates by matching their mean and "
            "sd (beta_binomial.moment_estimate), so it fits them."
        )
