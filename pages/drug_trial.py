"""Drug trial: a new experiment read against 70 historical ones (BDA3 §5.1–5.3, rat tumors)."""

import streamlit as st

from hbviz import beta_binomial, beta_comparisons, datasets, historical_controls, lecture, summaries
from hbviz.plots import beta_binomial as plots
from pages import _lecture_notes, _predictive, _present, _ui

RATS = datasets.rat_tumor()
HIST_Y, HIST_N = RATS["y"].to_numpy()[:-1], RATS["n"].to_numpy()[:-1]
DEFAULTS = {"current_y": int(RATS["y"].iloc[-1]), "current_n": int(RATS["n"].iloc[-1])}
DEFAULTS |= _predictive.DRUG_TRIAL_DEFAULTS
PAGE = "pages/drug_trial.py"
DRAWS = lecture.page(PAGE).exact_draws
BIND = {v: {"key": f"current_{v}", "bind": "query-params"} for v in ("y", "n")}

_ui.page_intro(
    "Drug trial: a new experiment against 70 historical control groups",
    "In the lecture 4 of 14 rats (0.29) got tumors. Is that a high rate? On its own it is a wide "
    "guess; the 70 earlier experiments say rates near 0.14 are usual, so both Bayesian analyses "
    "pull the estimate down. Change the current result beside its plot and compare **empirical "
    "Bayes** (a prior fitted to the history) with **full Bayes** (α and β uncertain too).",
    r"y_j \sim \mathrm{Bin}(n_j, \theta_j), \quad \theta_j \sim \mathrm{Beta}(\alpha, \beta), "
    r"\quad p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2}, \quad j = 1, \dots, 71",
)
_present.lecture_controls(PAGE, DEFAULTS)


@st.fragment
def current_experiment() -> None:
    """The whole analysis, which every value of y and n changes. A fragment: a press on y, n or a
    preset reruns and redraws this, not the page's header or the sidebar's lecture path."""
    st.subheader("The current experiment, analysed three ways")
    dial, current = st.columns([1, 2.6], vertical_alignment="center")
    with dial:
        box = _ui.LinkCheckedContainer(dial)
        y = box.number_input("rats with tumors, y", 0, 2000, DEFAULTS["current_y"], 1, **BIND["y"])
        n = box.number_input("rats in the group, n", 1, 2000, DEFAULTS["current_n"], 1, **BIND["n"])
        _present.preset_buttons(PAGE)

    try:
        all_y, all_n = historical_controls.with_current(HIST_Y, HIST_N, y, n)
    except ValueError as err:
        _ui.show_problem(err, prefix="Cannot analyse this: ")
        st.info("Make y at most n (the lecture's values are y = 4, n = 14).")
        st.stop()

    prior = beta_binomial.moment_estimate(HIST_Y, HIST_N)
    eb_posterior = [float(p[0]) for p in beta_binomial.conjugate_posterior(*prior, [y], [n])]
    eb_mean, eb_sd = beta_binomial.beta_mean_sd(*eb_posterior)
    with st.spinner("Computing the exact posterior…", show_time=True):
        full = _ui.beta_binomial_posterior(
            _ui.as_tuple(all_y.astype(int)), _ui.as_tuple(all_n.astype(int)), draws=DRAWS
        )
    hyper = beta_binomial.hyperparameter_summary(full)
    with current:
        _ui.method_badge("exact")
        x, curves, table = historical_controls.one_group_analyses(
            y,
            n,
            empirical_prior=prior,
            alpha_draws=full.alpha,
            beta_draws=full.beta,
            theta_draws=full.theta[:, -1],
        )
        _ui.plot(
            plots.current_posteriors,
            x,
            curves,
            observed_rate=y / n,
            colors=plots.METHOD_COLORS,
            key="current",
        )
        _ui.show_table(
            table.rename(columns={"lower": "2.5%", "upper": "97.5%"}),
            file_name="drug_trial_current.csv",
            key="current",
            formats={c: "%.3f" for c in ("mean", "sd", "2.5%", "97.5%")},
        )
        st.caption(
            "Independent: the current rats alone with a uniform Beta(1, 1) prior. Full Bayes: "
            f"Beta(α + y, β + n − y) averaged over {DRAWS:,} draws of (α, β); quantiles from the "
            "draws of θ."
        )

    left, right = st.columns(2)
    with left:
        st.subheader("Empirical Bayes")
        _ui.method_badge("exact")
        st.markdown(
            "The prior Beta(α, β) matches the mean and sd of the 70 historical rates y_j/n_j; the "
            "current experiment then updates it like any conjugate prior (prior → posterior):"
        )
        st.markdown(
            f"#### {beta_comparisons.beta_label(*prior)} → {beta_comparisons.beta_label(*eb_posterior)}"
        )
        _lecture_notes.moment_equations(HIST_Y, HIST_N)
        cols = st.columns(2)
        cols[0].metric("posterior mean of θ", f"{eb_mean:.3f}")
        cols[1].metric("posterior sd of θ", f"{eb_sd:.3f}")
        _ui.plot(
            plots.historical_rates,
            HIST_Y / HIST_N,
            prior_alpha=prior[0],
            prior_beta=prior[1],
            key="history",
        )
        st.caption(
            historical_controls.empirical_bayes_note(y, n, eb_sd)
            + " Empirical Bayes treats the fitted α, β as known, so its interval ignores their "
            "uncertainty; full Bayes (right) does not."
        )
    with right:
        st.subheader("Full Bayes: the population parameters")
        _ui.method_badge("exact")
        _lecture_notes.beta_binomial_steps(full, all_y, all_n)
        _ui.plot(
            plots.hyperparameter_contour,
            full.logit_mean,
            full.log_size,
            full.density,
            draws_log_ratio=full.draws_logit_mean[:1000],
            draws_log_total=full.draws_log_size[:1000],
            key="contour",
        )
        cols = st.columns(3)
        cols[0].metric("median of α | y", f"{hyper.loc['alpha', 'median']:.2f}")
        cols[1].metric("median of β | y", f"{hyper.loc['beta', 'median']:.2f}")
        cols[2].metric("E(α/(α+β) | y)", f"{hyper.loc['population_mean', 'mean']:.3f}")
        st.caption(
            "Contours at 5%, 15%, …, 95% of the highest density (BDA3 Fig. 5.3), with 1,000 exact "
            "draws. E(α/(α+β) | y) sums over the whole grid; the medians come from the draws. "
            "E(α | y) and E(β | y) are not shown because they are infinite under this prior: "
            "p(α+β | y) falls off like (α+β)^(−3/2), so a grid's value depends on where it stops."
        )
        if full.truncated:
            st.warning(f"{full.edge_mass:.1%} of the posterior mass lies on the edge of the grid.")
        _ui.download_posterior(full, "rat_tumors_full_bayes.nc", observed={"y": all_y, "n": all_n})

    st.subheader("All 71 experiments: posterior against observed rate")
    _ui.method_badge("exact")
    names = [f"experiment {j + 1}" for j in range(len(HIST_Y))] + ["current experiment"]
    quantiles = summaries.posterior_quantiles(full.theta, names)
    _predictive.drug_trial_intervals(quantiles, all_y, all_n, names)
    _predictive.drug_trial_posterior_predictive(full, y, n)
    _predictive.drug_trial_prior_predictive(HIST_Y, HIST_N, all_y / all_n)


current_experiment()
