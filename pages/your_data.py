"""Your data: upload or paste grouped data, see every problem at once, then no / complete / partial
pooling, shrinkage, the hyperparameter posterior, ranks, downloads and a NUTS check. The analyses
are hbviz.your_data.analyse and nuts_check; this page is their widgets."""

import numpy as np
import pandas as pd
import streamlit as st

from hbviz import priors, upload
from hbviz import your_data as yd
from hbviz.plots import common
from hbviz.plots import your_data as figs
from pages import _code, _predictive, _regression, _ui

EXAMPLES = {
    "counts": "Counts: baseball hits (Efron & Morris)",
    "estimates": "Estimates: BCG vaccine trials",
    "raw": "Raw: chick weights by feed",
    "regression": "Regression: radon-like, 85 counties (simulated)",
    "large": "Counts: 10,000 simulated groups",
}
SOURCES = {"example": "Example", "paste": "Paste CSV text", "upload": "Upload a file"}
PRIORS = {name: priors.label(name) for name in yd.offered_tau_priors()}
SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0)  # × the spread of the group estimates
SORTS = ("mean", "50%", "p_best", "mean_rank", "raw", "size", "sd", "group")
DEFAULTS = dict(source="example", example="counts", tau_prior="half_normal", tau_scale=1.0)
DEFAULTS |= dict(sort="mean", descending=True, pooled_sd=True, nuts=False, nuts_draws=yd.NUTS_DRAWS)
DEFAULTS |= _predictive.SCALE_DEFAULTS
DEFAULTS |= _regression.DEFAULTS
BIND = {"bind": "query-params"}

_ui.page_intro(
    "Your data: how much should your groups borrow from each other?",
    "Bring grouped data in one of four shapes and get the lecture's analyses. Look at how far "
    "each group's estimate moves toward the population mean (shrinkage), furthest for the "
    "smallest or noisiest groups, and at how sure the ranking of the groups is.",
    r"\text{counts: } y_j \sim \mathrm{Bin}(n_j, \theta_j),\ \theta_j \sim \mathrm{Beta}(\alpha,"
    r"\beta) \qquad \text{estimates / raw means: } y_j \sim \mathrm{N}(\theta_j, \sigma_j^2),\ "
    r"\theta_j \sim \mathrm{N}(\mu, \tau^2)",
)
sb = _ui.sidebar
_ui.reset_button(DEFAULTS)


def show_table(table: pd.DataFrame, key: str, file_name: str, **kwargs) -> None:
    columns = {c: formats[c] for c in table.columns if c in formats}
    _ui.show_table(table, file_name=file_name, key=key, formats=columns, **kwargs)
    st.caption(yd.column_notes(table.columns))


sb.header("Data")
choice = dict(required=True, **BIND)
source = sb.segmented_control(
    "Data from", list(SOURCES), format_func=SOURCES.get, default="example", key="source", **choice
)
st.header("1 · Your data")
_ui.upload_templates(expanded=source != "example")
loaded = _ui.your_dataset(source, EXAMPLES)
if loaded is None:
    st.stop()
label, data = loaded
st.success(
    f"Analysing **{_ui.plain(label)}**: {upload.SHAPE_LABELS[data.shape]}, {data.n_groups:,} groups, {len(data.table):,} rows.",
    icon=":material/check:",
)
for note in data.notes:
    st.info(_ui.plain(note), icon=":material/info:")
if data.shape == "regression":  # a line per group: its own analyses (pages/_regression.py)
    _regression.page(data)
    st.stop()

sb.header("Model")
pooled_sd = sb.toggle(
    "Raw data: one within-group sd shared by all groups",
    key="pooled_sd",
    value=True,
    disabled=data.shape != "raw",
    help="The varying-intercept model y ~ 1 + (1 | group). Off: each group's own sd, unsafe for groups with few observations.",
    **BIND,
)
within_sd = "pooled" if pooled_sd else "per_group"
normal = data.shape != "counts"
choice |= dict(format_func=PRIORS.get, default=yd.DEFAULT_TAU_PRIOR, disabled=not normal)
tau_prior = sb.segmented_control(
    "Prior on τ (normal shapes)", list(PRIORS), key="tau_prior", **choice
)
reference = yd.default_tau_scale(yd.groups(data, within_sd=within_sd)) if normal else 1.0
factor = sb.select_slider(
    f"Scale of the τ prior, × the spread of the group estimates ({reference:.3g})",
    SCALES,
    value=1.0,
    key="tau_scale",
    disabled=not normal or not priors.TAU_PRIORS[tau_prior].proper,
    **BIND,
)
scale = None if not normal or factor == 1.0 else factor * reference
digest = _ui.content_digest(data.table)
try:
    with st.spinner("Computing the exact posterior…", show_time=True):
        res = _ui.your_data_analysis(
            digest, data, within_sd=within_sd, tau_prior=tau_prior, tau_scale=scale
        )
except ValueError as err:
    _ui.show_problem(err)
    st.stop()
g, theta, names, d = res.groups, res.posterior.theta, list(res.table.index), res.decimals
for warning in res.warnings:
    st.warning(warning, icon=":material/warning:")
unit, formats = yd.value_unit(data), yd.number_formats(data.shape, d)
show_table(g.table.rename(columns={"std_error": "raw_se"}), "groups", "groups.csv")

_ui.section("2 · No pooling, complete pooling, partial pooling", "exact")
complete, complete_sd = res.complete_pooling
cols = st.columns([3, 3, 1, 1])
cols[0].metric("Complete pooling", f"{complete:.{d}f} ± {complete_sd:.{d}f}")
cols[1].metric(
    res.population_label[0].upper() + res.population_label[1:], f"{res.population_mean:.{d}f}"
)
cols[2].metric("Groups", f"{len(names):,}")
cols[3].metric("Exact draws", f"{theta.shape[0]:,}")
_predictive.your_data_shrinkage(data, res, unit)
if len(names) > figs.FOREST_ROWS:
    st.caption(
        f"The forest plots show the first {figs.FOREST_ROWS} of {len(names):,} groups (in table order below); the tables and downloads hold all of them."
    )

_ui.section("3 · The population: hyperparameter posterior", "exact")
post = res.posterior
_ui.plot(figs.hyperparameter_posterior, post, value_title=unit)
if data.shape != "counts":
    st.caption(f"Median of τ {np.median(post.tau):.{d + 1}f}; E(μ | y) {post.mu.mean():.{d + 1}f}.")
st.caption(res.priors.description)

_ui.section("4 · Posterior of each group, ranks, downloads", "exact")
sb.header("Table")
sort = sb.selectbox("Sort the table and forest plot by", SORTS, key="sort", **BIND)
descending = sb.toggle("Largest first", key="descending", value=True, **BIND)
table = yd.sorted_table(res.results, sort, descending=descending)
show_table(table, "results", "posterior_summary.csv", label="Download the results (CSV)")
st.download_button(
    "Download the posterior draws of θ (CSV)",
    lambda: yd.draws_csv(theta, names),
    "posterior_draws.csv",
    "text/csv",
    key="draws",
    on_click="ignore",
    icon=":material/download:",
)
_ui.download_posterior(post, "exact_posterior.nc", group_names=names, observed=yd.observed_data(g))
cols = st.columns(2)
with cols[0]:
    reference = dict(reference=res.population_mean, reference_label=res.population_label)
    _ui.plot(figs.posterior_forest, table, x_title=unit, **reference)
with cols[1]:
    _ui.plot(figs.best_bars, names, res.table["p_best"].to_numpy())
    st.caption(
        f"The {min(figs.TOP_BARS, len(names))} groups most likely to be best, of {len(names):,}."
    )

_ui.section("5 · Check against NUTS", "MCMC")
run = sb.toggle("Run NUTS (4 chains)", key="nuts", **BIND)
n = sb.select_slider(
    "NUTS draws per chain", (50, 100, 250, 500, 1000), key="nuts_draws", value=yd.NUTS_DRAWS, **BIND
)
reason = yd.nuts_unavailable(data, tau_prior=tau_prior)
if reason:
    st.info(reason)
    st.stop()
if not run:
    st.info("Switch on **Run NUTS** in the sidebar to refit the same model by MCMC and compare.")
    st.stop()
try:
    with st.spinner(f"NUTS: 4 chains × {n} draws…", show_time=True):
        chk = _ui.your_data_nuts_check(
            digest, data, res, within_sd=within_sd, tau_prior=tau_prior, tau_scale=scale, draws=n
        )
except ValueError as err:
    _ui.show_problem(err)
    st.stop()
st.markdown(chk.description + " " + res.priors.description)
_ui.nuts_diagnostics(chk.fit, group_names=names)
_code.your_data_code(data, res, chk, draws=n)
st.caption(
    f"Largest gap in posterior sd between NUTS and exact, over the groups: {chk.largest_sd_gap:.0%}."
)
shown = chk.comparison[chk.comparison["group"].isin(names[: figs.FOREST_ROWS])]
_ui.plot(common.interval_plot, shown, series="series", x_title=unit, interval_label="95% interval")
