"""Simulation lab: set the truth, simulate many data sets, and measure how wrong no, complete and
partial pooling are (issue 13: James–Stein's lesson, seen over thousands of data sets)."""

import streamlit as st

from hbviz import lecture, simulation
from hbviz.plots import simulation as figs
from pages import _ui

PAGE = lecture.page("pages/simulation_lab.py")
KINDS = {"estimates": "Estimates", "counts": "Counts"}
POPULATIONS = {"beta": "Beta", "logit_normal": "logit-normal"}
REPLICATIONS = (100, 250, 500, 1000, 2000, 5000)
# R's key and default, the curve's τ values and data sets per τ (counts cost ~10× estimates)
SIZES = {"estimates": ("replications", 1000, 13, 250), "counts": ("r_counts", 250, 7, 100)}
DEFAULTS = dict(kind="estimates", groups=PAGE.groups, mu=0.0, tau=5.0, sigma=10.0, seed=0)
DEFAULTS |= {key: default for key, default, *_ in SIZES.values()}
DEFAULTS |= dict(base_rate=0.15, tau_logit=0.5, smallest=10, largest=40, population="beta")
SLIDERS = {  # label, lowest, highest, step; the lecture's value is in DEFAULTS
    "groups": ("Groups J", 3, 30, 1),
    "mu": ("Population mean μ", -20.0, 20.0, 1.0),
    "tau": ("Population sd τ", 0.0, 40.0, 0.5),
    "sigma": ("Standard error σ of every estimate", 1.0, 30.0, 0.5),
    "base_rate": ("Base rate (mean for Beta, median for logit-normal)", 0.01, 0.99, 0.01),
    "tau_logit": ("Population sd τ of the log-odds logit θ_j", 0.0, 3.0, 0.05),
    "smallest": ("Trials n_j of the smallest group", 1, simulation.MAX_TRIALS, 1),
    "largest": ("Trials n_j of the largest group", 1, simulation.MAX_TRIALS, 1),
}
BIND = {"bind": "query-params"}
CHOICE = dict(BIND, required=True)
TEXT = {  # unit of θ, the curve's x axis, what the three methods are
    "estimates": (
        "effect",
        "true population sd τ",
        "No pooling: y_j ± 1.96σ; complete pooling: the mean of the y_j ± 1.96σ/√J; partial "
        "pooling: the exact hierarchical posterior's mean and 95 % interval under a uniform "
        "prior on τ and a flat prior on μ (BDA3's, the eight-schools page's default).",
    ),
    "counts": (
        "θ (probability)",
        "true sd τ of the log-odds",
        "No and complete pooling: Beta(1 + y_j, 1 + n_j − y_j) and Beta(1 + Σy, 1 + Σ(n − y)), "
        "uniform priors; partial pooling: the exact hierarchical posterior's mean and 95 % "
        "interval under p(α, β) ∝ (α+β)^(−5/2) (BDA3's, the drug-trial page's).",
    ),
}
# Computed once per distinct input, shared by sessions; bounded so a long lecture stays small.
COMPUTE = {
    "estimates": (
        st.cache_data(simulation.pooling_risk, max_entries=32, show_spinner=False),
        simulation.example_estimates,
        st.cache_data(simulation.risk_curve, max_entries=16, show_spinner=False),
    ),
    "counts": (
        st.cache_data(simulation.pooling_risk_counts, max_entries=32, show_spinner=False),
        simulation.example_counts,
        st.cache_data(simulation.risk_curve_counts, max_entries=16, show_spinner=False),
    ),
}

_ui.page_intro(
    "Simulation lab: why partial pooling wins",
    "Here **you set the truth**: the population the groups come from and how precisely each is "
    "measured. The page draws R data sets from it, analyses each one three ways and compares "
    "every estimate with the true θ_j that generated it. Watch the RMSE table as τ moves: no "
    "pooling never wins, complete pooling wins only when the groups really are alike, and "
    "partial pooling is never far from the better of the two.",
    r"\theta_j \sim \mathrm{N}(\mu, \tau^2),\ y_j \sim \mathrm{N}(\theta_j, \sigma^2) \quad"
    r"\text{or} \quad \operatorname{logit}\theta_j \text{ spread by } \tau,\ "
    r"y_j \sim \mathrm{Bin}(n_j, \theta_j), \quad j = 1, \dots, J",
)
sb = _ui.sidebar  # checks every value the link holds before its widget reads it
_ui.reset_button(DEFAULTS)


def slider(key: str) -> float:
    label, low, high, step = SLIDERS[key]
    return sb.slider(label, low, high, DEFAULTS[key], step, key=key, **BIND)


sb.header("The truth")
kind = sb.segmented_control("Data", list(KINDS), default="estimates", format_func=KINDS.get, key="kind", **CHOICE)  # fmt: skip
groups = slider("groups")
if kind == "estimates":
    mu, tau, sigma = slider("mu"), slider("tau"), slider("sigma")
    truth = dict(groups=groups, mu=mu, tau=tau, sigma=sigma)
    curve_args = dict(groups=groups, sigma=sigma)
else:
    base_rate, tau = slider("base_rate"), slider("tau_logit")
    smallest, largest = sorted((slider("smallest"), slider("largest")))
    population = sb.segmented_control(
        "Population of θ_j", list(POPULATIONS), default="beta", format_func=POPULATIONS.get,
        key="population", **CHOICE,
    )  # fmt: skip
    sizes = simulation.group_sizes(groups, smallest, largest)
    curve_args = dict(truth=simulation.CountsTruth(groups, sizes, base_rate, population))
    truth = curve_args | dict(tau=tau)
    sb.caption(f"Group sizes, spread geometrically: {', '.join(map(str, sizes))}.")
unit, tau_label, methods = TEXT[kind]
sb.header("The simulation")
r_key, default_r, points, per_tau = SIZES[kind]
replications = sb.select_slider("Data sets R", REPLICATIONS, value=default_r, key=r_key, **BIND)
seed = sb.number_input("Seed", 0, 1_000_000, 0, 1, key="seed", **BIND)

_ui.section("1 · How far is each estimate from the truth?", "exact")
compute, example_of, curve_of = COMPUTE[kind]
table = _ui.with_spinner("Simulating…", compute, **truth, replications=replications, seed=seed)
_ui.show_table(
    table.rename(columns={"rmse_se": "± rmse", "coverage_se": "± coverage"}),
    file_name="simulation_risk.csv",
    key="risk",
    formats=dict.fromkeys(table.columns, "%.3f"),
)
st.caption(
    f"Over {replications:,} data sets of {groups} groups. RMSE: root mean squared error of the "
    "estimates of θ_j; coverage: how often the central 95 % interval holds θ_j; ± one Monte "
    f"Carlo standard error. {methods}"
)
if table.attrs.get("improper"):
    st.info(
        f"{table.attrs['improper']:,} data sets had no successes (or no failures) in any group: "
        "their hierarchical posterior is improper and was cut at the grid's edge, as on the "
        "lecture pages.",
        icon=":material/info:",
    )

_ui.section("2 · One of these data sets", "exact")
example = example_of(**truth, seed=seed)
_ui.plot(figs.example_forest, example.table, complete_pooling=example.complete_pooling, x_title=unit)  # fmt: skip
st.caption(
    "A data set drawn with this seed: three estimates per group with 95 % intervals (partial "
    "pooling: 4,000 exact posterior draws), and the true θ_j (×) they try to hit."
)

_ui.section("3 · As the truth's τ moves", "exact")
taus = simulation.curve_taus(tau, scale=sigma if kind == "estimates" else 1.0, points=points)
curve = _ui.with_spinner(
    "Simulating every τ…", curve_of, taus=taus, replications=per_tau, seed=seed, **curve_args
)
_ui.plot(figs.risk_curve_plot, curve, tau=float(tau), x_title=tau_label, y_title=f"RMSE of {unit}")
st.caption(f"{per_tau} data sets per τ, the same ones at every τ, so the curves are smooth.")
st.markdown(
    "**James–Stein's lesson.** With three or more groups, each group's own estimate (no pooling) "
    "is *inadmissible*: shrinking all of them toward their mean has a smaller total squared error "
    "whatever the truth (James and Stein, 1961). Complete pooling wins when the groups are alike "
    "(τ near 0) and loses without bound as they differ. Partial pooling learns τ from the data, "
    "so it follows the better extreme, at a small price near τ = 0, and its intervals keep near "
    "95 % coverage where complete pooling's collapse."
)
