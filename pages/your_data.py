"""Your data: upload or paste grouped data, see every problem at once, then no / complete / partial
pooling, shrinkage, the hyperparameter posterior, ranks, and downloads."""

import hashlib

import numpy as np
import pandas as pd
import streamlit as st

from hbviz import upload
from hbviz import your_data as yd
from hbviz.plots import beta_binomial as bb_figs
from hbviz.plots import common
from hbviz.plots import your_data as figs
from hbviz.plots.style import POOLING_COLORS
from pages import _ui

EXAMPLES = {
    "counts": "Counts: baseball hits (Efron & Morris)",
    "estimates": "Estimates: BCG vaccine trials",
    "raw": "Raw: chick weights by feed",
    "large": "Counts: 10,000 simulated groups",
}
SOURCES = {"example": "Example", "paste": "Paste CSV text", "upload": "Upload a file"}
PRIORS = {"uniform": "uniform", "half_cauchy": "half-Cauchy", "half_normal": "half-normal"}
SORTS = ("mean", "50%", "p_best", "mean_rank", "raw", "size", "sd", "group")
DEFAULTS = dict(source="example", example="counts", tau_prior="uniform", tau_scale=5.0)
DEFAULTS |= dict(sort="mean", descending=True, pooled_sd=False, nuts=False, nuts_draws=250)
BIND = {"bind": "query-params"}
LAST = "your-data-last-good"

_ui.page_intro(
    "Your data: how much should your groups borrow from each other?",
    "Bring grouped data in one of three shapes and get the lecture's analyses. Look at how far "
    "each group's estimate moves toward the population mean (shrinkage), furthest for the "
    "smallest or noisiest groups, and at how sure the ranking of the groups is.",
    r"\text{counts: } y_j \sim \mathrm{Bin}(n_j, \theta_j),\ \theta_j \sim \mathrm{Beta}(\alpha,"
    r"\beta) \qquad \text{estimates / raw means: } y_j \sim \mathrm{N}(\theta_j, \sigma_j^2),\ "
    r"\theta_j \sim \mathrm{N}(\mu, \tau^2)",
)
sb = st.sidebar
large = _ui.large_fonts_toggle()
_ui.reset_button(DEFAULTS)


def plot(builder, *args, **kwargs) -> None:
    _ui.show_figure(_ui.cached_figure(builder, *args, large_fonts=large, **kwargs))


@st.cache_data(max_entries=8, show_spinner=False)
def parse(digest: str, _raw: bytes, mapping: tuple) -> upload.Dataset:
    return upload.parse(_raw, dict(mapping) or None)


@st.cache_data(max_entries=8, show_spinner=False)
def analyse(digest: str, _data: upload.Dataset, pooled_sd: bool, prior: str, scale: float):
    g = yd.groups(_data, pooled_sd=pooled_sd)
    t, draws = g.table, yd.draws_for(len(g.table))
    if _data.shape == "counts":
        post = _ui.beta_binomial_posterior(*map(_ui.as_tuple, (t.successes, t.trials)), draws)
    else:
        post = _ui.normal_posterior(
            *map(_ui.as_tuple, (t.raw, t.std_error)), prior, scale, None, draws
        )
    return g, post, yd.results_table(g, post.theta), yd.pooling_intervals(_data, g, post.theta)


sb.header("Data")
source = sb.segmented_control(
    "Data from",
    list(SOURCES),
    format_func=SOURCES.get,
    default="example",
    required=True,
    key="source",
    **BIND,
)
st.header("1 · Your data")
with st.expander("Accepted shapes, and templates to fill in", expanded=source != "example"):
    st.markdown(
        "CSV text, UTF-8, with a header row; commas, semicolons or tabs. Rows are numbered as "
        f"in a spreadsheet (header = row 1). Files up to **{upload.MAX_UPLOAD_MB} MB** "
        f"(server.maxUploadSize), {upload.MAX_GROUPS:,} groups, {upload.MAX_ROWS:,} rows."
    )
    for col, shape in zip(st.columns(3), upload.SHAPES, strict=True):
        col.markdown(f"**{upload.SHAPE_LABELS[shape]}**  \n`{', '.join(upload.ROLES[shape])}`")
        col.download_button(
            f"{shape} template",
            upload.template(shape),
            f"{shape}_template.csv",
            "text/csv",
            key=f"tpl-{shape}",
            on_click="ignore",
        )
raw, label = None, None
if source == "example":
    choice = sb.selectbox(
        "Example", list(EXAMPLES), format_func=EXAMPLES.get, key="example", **BIND
    )
    if choice == "large":
        st.session_state[LAST] = (EXAMPLES[choice], upload.simulated("counts"))
    else:
        raw, label = upload.example(choice), EXAMPLES[choice]
elif source == "paste":
    raw = st.text_area("Paste CSV text (with its header row)", key="pasted", height=160).encode()
    label = "pasted text"
else:
    file = st.file_uploader(
        f"CSV file (at most {upload.MAX_UPLOAD_MB} MB)", type=["csv", "tsv", "txt"]
    )
    raw, label = (file.getvalue(), file.name) if file else (None, None)
if raw is not None and raw.strip():
    mapping = ()
    if source != "example":
        with st.expander("Choose the columns by hand"):
            try:
                columns = upload.header(raw)
            except upload.UploadError:
                columns = []
            shape = st.selectbox("Shape", ["automatic", *upload.SHAPES], key="map-shape")
            if shape != "automatic" and columns:
                mapping = tuple(
                    (role, st.selectbox(role, columns, key=f"map-{role}"))
                    for role in upload.ROLES[shape]
                )
    try:
        data = parse(hashlib.sha256(raw).hexdigest(), raw, mapping)
        st.session_state[LAST] = (label, data)
    except upload.UploadError as err:
        kept = st.session_state.get(LAST)
        st.error(
            f"**{_ui.plain(label)}** cannot be used:\n\n"
            + "\n".join(f"- {_ui.plain(p)}" for p in err.problems)
            + (f"\n\n… and {err.more} more." if err.more else "")
            + (f"\n\nStill showing the last good dataset, {_ui.plain(kept[0])}." if kept else ""),
            icon=":material/error:",
        )
if LAST not in st.session_state:
    st.info("Paste or upload data to analyse it, or pick an example in the sidebar.")
    st.stop()
label, data = st.session_state[LAST]
st.success(
    f"Analysing **{_ui.plain(label)}**: {upload.SHAPE_LABELS[data.shape]}, "
    f"{data.n_groups:,} groups, {len(data.table):,} rows.",
    icon=":material/check:",
)
for note in data.notes:
    st.info(_ui.plain(note), icon=":material/info:")

sb.header("Model")
pooled_sd = sb.toggle(
    "Raw data: one pooled within-group sd for all groups",
    key="pooled_sd",
    disabled=data.shape != "raw",
    **BIND,
)
tau_prior = sb.segmented_control(
    "Prior on τ (normal shapes)",
    list(PRIORS),
    format_func=PRIORS.get,
    default="uniform",
    required=True,
    key="tau_prior",
    **BIND,
)
tau_scale = sb.slider(
    "Scale of the half-Cauchy / half-normal prior",
    0.01,
    100.0,
    5.0,
    0.01,
    key="tau_scale",
    disabled=tau_prior == "uniform",
    **BIND,
)
digest = hashlib.sha256(pd.util.hash_pandas_object(data.table).to_numpy().tobytes()).hexdigest()
try:
    with st.spinner("Computing the exact posterior…", show_time=True):
        g, post, results, pooling = analyse(digest, data, pooled_sd, tau_prior, tau_scale)
except ValueError as err:
    _ui.show_problem(err)
    st.stop()
names, theta = list(g.table.index), post.theta
if data.shape == "counts" and post.truncated:
    st.warning(
        f"With these counts the hierarchical posterior is improper (e.g. no successes or no "
        f"failures anywhere): {post.edge_mass:.1%} of its mass lies on the edge of the grid, so "
        "the population estimates below depend on where the grid was cut off.",
        icon=":material/warning:",
    )
unit = {"counts": "rate, successes / trials"}.get(
    data.shape, f"{data.columns.get('estimate', data.columns.get('value'))}, your units"
)
_ui.show_table(
    g.table,
    file_name="groups.csv",
    key="groups",
    formats={"raw": "%.4g", "std_error": "%.3g", "size": "%.4g", "sd": "%.3g"},
)
if data.shape == "raw":
    st.caption(
        "Raw data: group means with σ_j = s_j/√n_j. A group with one observation (or with "
        "all values equal) has no sd of its own and uses the pooled within-group sd."
    )

st.header("2 · No pooling, complete pooling, partial pooling")
_ui.method_badge("exact")
complete, complete_sd = yd.complete_pooling(data, g)
cols = st.columns(3)
cols[0].metric("Complete pooling", f"{complete:.3g} ± {complete_sd:.2g}")
cols[1].metric("Groups", f"{len(names):,}")
cols[2].metric("Exact draws", f"{theta.shape[0]:,}")
plot(
    common.shrinkage_plot,
    g.table["raw"].to_numpy(),
    theta.mean(axis=0),
    names,
    population_mean=complete,
    weight=g.table["size"].to_numpy(),
    weight_label=g.size_label,
    value_title=unit,
)
shown = pooling[pooling["group"].isin(names[: figs.FOREST_ROWS])]
plot(common.interval_plot, shown, series="series", colors=POOLING_COLORS, x_title=unit)
if len(names) > figs.FOREST_ROWS:
    st.caption(
        f"The forest plots show the first {figs.FOREST_ROWS} of {len(names):,} groups "
        "(in table order below); the tables and downloads hold all of them."
    )

st.header("3 · The population: hyperparameter posterior")
_ui.method_badge("exact")
if data.shape == "counts":
    plot(
        bb_figs.hyperparameter_contour,
        post.logit_mean,
        post.log_size,
        post.density,
        draws_log_ratio=post.draws_logit_mean[:1000],
        draws_log_total=post.draws_log_size[:1000],
    )
else:
    x_max = float(np.quantile(post.tau, 0.995)) * 1.2
    plot(figs.tau_posterior, post.tau_grid, post.tau_density, value_title=unit, x_max=x_max)
    st.caption(f"Median of τ {np.median(post.tau):.3g}; E(μ | y) {post.mu.mean():.3g}.")

st.header("4 · Posterior of each group, ranks, downloads")
_ui.method_badge("exact")
sb.header("Table")
sort = sb.selectbox("Sort the table and forest plot by", SORTS, key="sort", **BIND)
descending = sb.toggle("Largest first", key="descending", value=True, **BIND)
table = yd.sorted_table(results, sort, descending=descending)
_ui.show_table(
    table,
    file_name="posterior_summary.csv",
    key="results",
    formats=dict.fromkeys(table.columns, "%.4g"),
    label="Download the results (CSV)",
)
st.download_button(
    "Download the posterior draws of θ (CSV)",
    lambda: yd.draws_csv(theta, names),
    "posterior_draws.csv",
    "text/csv",
    key="draws",
    on_click="ignore",
    icon=":material/download:",
)
cols = st.columns(2)
with cols[0]:
    plot(figs.posterior_forest, table, x_title=unit, reference=complete)
with cols[1]:
    plot(figs.best_bars, names, results["p_best"].to_numpy())
    st.caption(
        f"The {min(figs.TOP_BARS, len(names))} groups most likely to be best, of {len(names):,}."
    )

st.header("5 · Check against NUTS")
_ui.method_badge("MCMC")
run = sb.toggle("Run NUTS (4 chains)", key="nuts", **BIND)
n = sb.select_slider(
    "NUTS draws per chain", (50, 100, 250, 500, 1000), key="nuts_draws", value=250, **BIND
)
if len(names) > yd.NUTS_MAX_GROUPS or len(data.table) > yd.NUTS_MAX_ROWS:
    st.info(f"NUTS is offered up to {yd.NUTS_MAX_GROUPS} groups; the exact answer above is enough.")
    st.stop()
if not run:
    st.info("Switch on **Run NUTS** in the sidebar to refit the model by MCMC and compare.")
    st.stop()
plan = yd.nuts_plan(data, g, tau_prior, tau_scale)
st.markdown(plan.description)
t, exact = g.table, theta
try:
    with st.spinner(f"NUTS: 4 chains × {n} draws…", show_time=True):
        if plan.model == "beta_binomial":
            y, trials = t["successes"].to_numpy(int), t["trials"].to_numpy(int)
            fit = _ui.binomial_nuts_fit(digest, y, trials, n)
        elif plan.model == "normal":
            y, sigma = _ui.as_tuple(t["raw"]), _ui.as_tuple(t["std_error"])
            pri = plan.priors
            fit = _ui.normal_nuts_fit(y, sigma, False, *pri.values(), 4, n, n)
            exact = _ui.normal_posterior(y, sigma, *pri.values(), theta.shape[0]).theta
        else:
            values, codes = yd.raw_arrays(data)
            fit = _ui.pooling_nuts_fit(digest, values, codes, tuple(plan.priors.items()), n)
except ValueError as err:
    _ui.show_problem(err)
    st.stop()
_ui.nuts_diagnostics(fit)
compare = yd.compare_intervals(names, exact, yd.nuts_group_draws(fit))
shown = compare[compare["group"].isin(names[: figs.FOREST_ROWS])]
plot(common.interval_plot, shown, series="series", x_title=unit, interval_label="95% interval")
