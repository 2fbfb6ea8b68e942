"""Eight schools (BDA3 §5.5): three levels of pooling, p(τ | y), shrinkage as τ moves, which school
is best, a new school, and NUTS in the centered and non-centered forms."""

import numpy as np
import streamlit as st

from hbviz import datasets, estimate_tables, lecture, normal_normal, priors, summaries, table_checks
from hbviz import lecture_path as path
from hbviz.plots import eight_schools as figs
from pages import _lecture_notes, _predictive, _present, _ui

PAGE = lecture.page("pages/eight_schools.py")
PRIORS = {name: priors.label(name) for name in priors.names("exact")}
NUTS_DRAWS = (50, 100, 250, 500, 1000, 2000)
DEFAULTS = dict(tau_prior="uniform", tau_scale=5.0, mu_on=False, mu_mean=0.0, mu_sd=5.0, tau=10.0)
DEFAULTS |= dict(c=28.0, sigma_new=13.0, nuts=False, nuts_draws=PAGE.nuts_draws)
DEFAULTS |= _predictive.SCHOOLS_DEFAULTS
SLIDERS = {  # label, lowest, highest, step; the lecture's value is in DEFAULTS
    "tau_scale": (priors.scale_label("exact"), 0.5, 50.0, 0.5),
    "mu_mean": ("Prior mean of μ", -30.0, 30.0, 1.0),
    "mu_sd": ("Prior sd of μ", 1.0, 100.0, 1.0),
    "c": ("Threshold c for Pr(θ_j ≥ c)", -20.0, 60.0, 1.0),
    "sigma_new": ("Standard error σ_new of a new school's estimate", 1.0, 40.0, 0.5),
    "tau": ("τ for Figs. 5.6–5.7 and the shrinkage plot", 0.0, None, 0.5),  # to the τ axis' end
}
UNIT = "coaching effect on SAT-V (points)"
TAU_POINTS = 101  # τ grid of Figs. 5.6–5.7: smooth curves, and light to send on every move of τ
BIND = {"bind": "query-params"}
COLUMNS = {
    "school": st.column_config.TextColumn("school", required=True, width="small"),
    "y": st.column_config.NumberColumn("y", required=True, format="%.1f", width="small"),
    "sigma": st.column_config.NumberColumn(
        "σ", required=True, min_value=0.01, format="%.1f", width="small"
    ),
}

_ui.page_intro(
    "Eight schools: how much should the schools borrow from each other?",
    "Each school's coaching effect y_j was estimated with a standard error σ_j. Compare no pooling, "
    "complete pooling and the hierarchical model; look at **p(τ | y)**; then move **τ** beside "
    "its figure and watch every estimate slide toward the common mean, furthest for the largest "
    "σ_j. Last, ask which school is best, and how sure we can be.",
    r"y_j \mid \theta_j \sim \mathrm{N}(\theta_j, \sigma_j^2), \quad "
    r"\theta_j \mid \mu, \tau \sim \mathrm{N}(\mu, \tau^2), \quad p(\mu, \tau) = p(\mu)\, p(\tau)",
)
_present.lecture_controls(PAGE.path, DEFAULTS, table_key="data")
sb = _present.more_controls()  # checks every value the link holds before its widget reads it


def slider(key: str, where=sb, **kwargs) -> float:
    """The slider ``SLIDERS[key]`` in ``where``, kept in the URL, at first the lecture's value."""
    label, *bounds = SLIDERS[key]
    bounds = dict(zip(("min_value", "max_value", "step"), bounds, strict=True)) | kwargs
    return where.slider(label, value=DEFAULTS[key], key=key, **BIND, **bounds)


def table(frame, name: str, digits: int) -> None:
    fmt = dict.fromkeys(frame.columns, f"%.{digits}f")
    _ui.show_table(frame, file_name=f"eight_schools_{name}.csv", key=name, formats=fmt)


sb.header("Priors")
choice = dict(default="uniform", format_func=PRIORS.get, required=True, **BIND)
tau_prior = sb.segmented_control("Prior on τ", list(PRIORS), key="tau_prior", **choice)
tau_scale = slider("tau_scale", disabled=not priors.TAU_PRIORS[tau_prior].proper)
mu_on = sb.toggle("Normal prior on μ (otherwise flat)", key="mu_on", **BIND)
mu_mean, mu_sd = slider("mu_mean", disabled=not mu_on), slider("mu_sd", disabled=not mu_on)
mu_prior = (mu_mean, mu_sd) if mu_on else None
settings = dict(tau_prior=tau_prior, tau_scale=tau_scale, mu_prior=mu_prior)

st.header("1 · No pooling, complete pooling, partial pooling")
left, right = st.columns([1, 2])
with left:
    st.caption(
        "The data (BDA3 Table 5.2): estimated effect y and its standard error σ. Edit a value, "
        "add or delete a school."
    )
    data = _ui.editable_data(
        datasets.eight_schools(),
        key="data",
        validate=table_checks.check_estimates,
        column_config=COLUMNS,
    )
names = data["school"].astype(str).tolist()
y, sigma = data["y"].to_numpy(float), data["sigma"].to_numpy(float)
estimates = dict(y=_ui.as_tuple(y), sigma=_ui.as_tuple(sigma))
try:
    post = _ui.normal_posterior(**estimates, **settings, draws=PAGE.exact_draws)
except ValueError as err:
    _ui.show_problem(err)
    st.stop()
pooled, pooled_sd = normal_normal.complete_pooling(y, sigma)
with right:
    _ui.method_badge("exact")
    cols = st.columns(3)
    cols[0].metric("Complete pooling (τ = 0)", f"{pooled:.1f} ± {pooled_sd:.1f}")
    cols[1].metric("Hierarchical: E(μ | y)", f"{post.mu.mean():.1f}")
    cols[2].metric("Hierarchical: median of τ", f"{np.median(post.tau):.1f}")
    intervals = estimate_tables.pooling_intervals(names, y, sigma, post.theta)
    _ui.plot(figs.pooling_forest, intervals, pooled_mean=pooled, x_title=UNIT, key="pooling-forest")
    st.caption(
        "Points and 95% intervals: y_j ± 1.96 σ_j; the precision-weighted mean ± 1.96 × its "
        "sd; the posterior median and 2.5–97.5% quantiles of θ_j."
    )
    observed, label = {"y": y, "sigma": sigma}, "Download the exact posterior draws (ArviZ NetCDF)"
    _ui.download_posterior(
        post, "eight_schools_exact.nc", group_names=names, observed=observed, label=label
    )


@st.fragment
def tau_sections(post, y, sigma, names: list[str], settings: dict) -> None:
    """Sections 2–3, everything τ changes: p(τ | y) with τ marked, the dial and its presets, the
    shrinkage at τ and Figs. 5.6–5.7. A fragment: a move of τ reruns and redraws these alone."""
    _ui.section("2 · How different are the schools? p(τ | y)", "exact")
    tau_max = estimate_tables.tau_axis_limit(post.tau)
    lo, med, hi = np.quantile(post.tau, [0.025, 0.5, 0.975])
    named = {path.POSTERIOR_MEDIAN: round(med * 2) / 2, path.AXIS_END: tau_max}  # the presets
    _present.resolve_pending(named)
    if st.session_state.get("tau", 0.0) > tau_max:  # the τ axis shrank with new data or prior
        st.session_state["tau"] = tau_max
    fig_5_5 = st.container()  # filled once the τ dial below, beside the shrinkage plot, is read

    _ui.section("3 · Shrinkage given τ", "exact")
    dial, shrink = st.columns([1, 2.2], vertical_alignment="center")
    with dial:
        tau = slider("tau", where=_ui.LinkCheckedContainer(dial), max_value=tau_max)
        _present.preset_buttons(PAGE.path, named)
    with fig_5_5:
        tau_plot = dict(chosen_tau=tau, x_max=tau_max, key="tau-posterior")
        _ui.plot(figs.tau_posterior_plot, post.tau_grid, post.tau_density, **tau_plot)
        st.caption(
            f"BDA3 Fig. 5.5. Median of τ {med:.1f}, 95% interval {lo:.1f} to {hi:.1f}: τ near 0 "
            "(complete pooling) is plausible, but so are values large enough to matter."
        )
        _lecture_notes.normal_steps(y, sigma, tau, post, names, **settings)
    grid = np.linspace(0.0, tau_max, TAU_POINTS)
    mu_prior = settings["mu_prior"]
    cond = normal_normal.conditional_posterior(y, sigma, grid, mu_prior=mu_prior)
    at = normal_normal.conditional_posterior(y, sigma, tau, mu_prior=mu_prior)
    for col, moment in zip(st.columns(2), ("mean", "sd"), strict=True):
        with col:
            curves, chosen = getattr(cond, f"theta_{moment}"), getattr(at, f"theta_{moment}")[0]
            label = "E(θ_j | τ, y) (points)" if moment == "mean" else "sd(θ_j | τ, y) (points)"
            marked = dict(chosen_tau=tau, chosen_values=chosen, y_title=label)
            _ui.plot(figs.conditional_plot, grid, curves, names, **marked)
    st.caption(
        "BDA3 Figs. 5.6–5.7: at τ = 0 every school gets the pooled estimate; as τ grows each "
        "goes back to its own y_j, and its sd to σ_j."
    )
    with shrink:
        marked = dict(tau=tau, mu_hat=float(at.mu_mean[0]), x_title=UNIT, key="shrinkage")
        _ui.plot(
            figs.conditional_shrinkage_plot, y, at.theta_mean[0], at.theta_sd[0], names, **marked
        )


@st.fragment
def best_school(post, names: list[str]) -> None:
    """Section 5 but its pairwise heatmap: what the threshold c changes. A fragment."""
    _ui.section("5 · Which school is best?", "exact")
    sb.header("Questions")
    c = slider("c")
    probs = estimate_tables.probability_table(post.theta, names, c)
    probs.columns = [f"Pr(θ_j ≥ {c:g})", "Pr(best)", "expected rank"]
    cols = st.columns([2, 3])
    with cols[0]:
        table(probs, "probabilities", 3)
    with cols[1]:
        _ui.plot(
            figs.probability_bars, names, probs.iloc[:, :2].to_dict("list"), key="probabilities"
        )


@st.fragment
def new_school(post, y, sigma, names: list[str]) -> None:
    """Section 6 but its prior predictive check: what σ_new changes. A fragment."""
    _ui.section("6 · A new school", "exact")
    sigma_new = slider("sigma_new")
    pred = normal_normal.posterior_predictive(post, sigma, sigma_new=sigma_new, seed=1)
    cols = st.columns(2)
    with cols[0]:
        _ui.plot(
            figs.predictive_plot, pred.theta_new, pred.y_new, sigma_new=sigma_new, x_title=UNIT
        )
    with cols[1]:
        table(estimate_tables.predictive_table(pred), "new_school", 1)
        st.caption(
            "θ̃ ~ N(μ, τ²), averaged over the posterior of (μ, τ): where a new school's true effect "
            "may lie. ỹ adds the measurement error σ_new: what its study would report."
        )
    _predictive.schools_posterior_predictive(names, y, post.theta, pred, UNIT)


@st.fragment
def nuts_section(estimates: dict, names: list[str], settings: dict) -> None:
    """Section 7: NUTS on both forms, with its switch and draws. A fragment."""
    _ui.section("7 · NUTS: centered against non-centered", "MCMC")
    sb.header("NUTS")
    run = sb.toggle(f"Run NUTS ({PAGE.nuts_chains} chains, both forms)", key="nuts", **BIND)
    label = f"NUTS draws per chain (after {PAGE.nuts_warmup} warm-up steps)"
    n = sb.select_slider(label, NUTS_DRAWS, DEFAULTS["nuts_draws"], key="nuts_draws", **BIND)
    pri = estimate_tables.nuts_priors(**settings)
    _ui.nuts_priors_note(pri, PRIORS[pri.tau_prior])
    if not run:
        st.info(
            "Switch on **Run NUTS** in the sidebar to fit both forms (a few seconds the first time)."
        )
        return
    proper = dict(tau_prior=pri.tau_prior, tau_scale=pri.tau_scale, mu_prior=pri.mu_prior)
    sizes = dict(num_chains=PAGE.nuts_chains, warmup=PAGE.nuts_warmup, exact_draws=PAGE.exact_draws)
    _ui.nuts_forms_panel(**estimates, names=names, priors=proper, draws=n, **sizes)


tau_sections(post, y, sigma, names, settings)

_ui.section("4 · Posterior quantiles (BDA3 Table 5.3)", "exact")
quantiles = estimate_tables.quantile_table(post, names)
cols = st.columns(2)
with cols[0]:
    table(quantiles, "quantiles", 1)
with cols[1]:
    _ui.plot(figs.quantile_forest, quantiles.iloc[:-1], x_title=UNIT)
_lecture_notes.table_5_3(post, names, y, sigma, **settings)

best_school(post, names)
_ui.plot(figs.pairwise_heatmap, summaries.pairwise_greater(post.theta), names)
st.caption("Read along a row: the probability that this school's true effect beats the column's.")

new_school(post, y, sigma, names)
_predictive.schools_prior_predictive(names, y, sigma, settings, UNIT)

nuts_section(estimates, names, settings)
