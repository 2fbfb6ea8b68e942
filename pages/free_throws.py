"""Free throws: four seasons of one player, analysed separately and as a hierarchy."""

from functools import partial

import numpy as np
import streamlit as st

from hbviz import beta_comparisons, datasets, lecture, table_checks
from hbviz.plots import beta_binomial as plots
from pages import _predictive, _present, _ui

SEASONS = datasets.free_throws()
DEFAULTS = {"prior_alpha": 1.0, "prior_beta": 1.0, "this_season": SEASONS["season"].iloc[-1]}
DEFAULTS |= _predictive.SCALE_DEFAULTS
PAGE = "pages/free_throws.py"
DRAWS = lecture.page(PAGE).exact_draws

_ui.page_intro(
    "Free throws: is this season better than the past ones?",
    "Each season's success rate θ_j gets its own Beta posterior (**independent**), or the seasons "
    "share a population distribution whose α and β are learned from all of them "
    "(**hierarchical**). Look at how the answer to *is this season higher?* changes between the "
    "two models, and how far the seasons with few attempts are pulled toward the player's "
    "overall rate.",
    r"y_j \sim \mathrm{Bin}(n_j, \theta_j), \quad \theta_j \sim \mathrm{Beta}(\alpha, \beta), "
    r"\quad \text{independent: } \alpha, \beta \text{ fixed;} \quad "
    r"\text{hierarchical: } p(\alpha, \beta) \propto (\alpha + \beta)^{-5/2}",
)
_present.path_panel(PAGE)
_ui.reset_button(DEFAULTS, on_reset=lambda: _ui.reset_editable_data("seasons"))
sb = _present.more_controls()
sb.subheader("Prior of the independent model")
prior_alpha = sb.slider(
    "α (prior makes + 1)", 0.5, 100.0, 1.0, 0.5, key="prior_alpha", bind="query-params"
)
prior_beta = sb.slider(
    "β (prior misses + 1)", 0.5, 100.0, 1.0, 0.5, key="prior_beta", bind="query-params"
)
sb.caption("Beta(1, 1) is uniform and gives the lecture's table.")

data_col, table_col = st.columns([2, 3])
with data_col:
    st.subheader("Seasons")
    st.caption("Edit the counts, or add and delete seasons; the link keeps your table.")
    table = _ui.editable_data(
        SEASONS,
        key="seasons",
        validate=partial(table_checks.check_count_table, columns=("season", "made", "attempts")),
    )
names = table["season"].astype(str).str.strip().tolist()
made = table["made"].to_numpy(dtype=int)
attempts = table["attempts"].to_numpy(dtype=int)
left, right = st.columns(2)
right.subheader("Is this season higher than the other seasons?")
this_name = _ui.LinkCheckedContainer(right).selectbox(
    "This season", names, index=len(names) - 1, key="this_season", bind="query-params"
)
this = names.index(this_name) if this_name in names else len(names) - 1

alpha, beta = beta_comparisons.beta_posterior_parameters(
    made, attempts, prior_alpha=prior_alpha, prior_beta=prior_beta
)
independent = beta_comparisons.independent_posterior_table(
    made, attempts, alpha, beta, names, name="season"
)
hier = _ui.with_spinner(
    "Computing the hierarchical posterior…",
    _ui.beta_binomial_posterior,
    _ui.as_tuple(made),
    _ui.as_tuple(attempts),
    draws=DRAWS,
)
with table_col:
    st.subheader("Independent posteriors")
    _ui.method_badge("exact")
    _ui.show_table(
        independent,
        file_name="free_throws_independent.csv",
        key="independent",
        formats={c: "%.3f" for c in ("made / attempts", "mean", "sd", "2.5%", "97.5%")},
    )

with left:
    st.subheader("Independent posterior densities")
    _ui.method_badge("exact")
    x, density = beta_comparisons.beta_density_grid(alpha, beta)
    _ui.plot(
        plots.group_densities,
        x,
        density,
        names,
        highlight=this,
        x_title="θ (probability of making a free throw)",
        key="densities",
    )
with right:
    _ui.method_badge("exact")
    greater_ind, best_ind = beta_comparisons.independent_comparisons(alpha, beta, this)
    greater_hier, best_hier = beta_comparisons.hierarchical_comparisons(hier.theta, this)
    answers = beta_comparisons.comparison_table(
        {"independent": greater_ind, "hierarchical": greater_hier},
        {"independent": best_ind, "hierarchical": best_hier},
        names,
        this,
    )
    _ui.plot(
        plots.comparison_bars,
        answers,
        labels=beta_comparisons.comparison_labels(names, this),
        y_title=f"θ {this_name} is",
        colors=plots.METHOD_COLORS,
        key="answers-bars",
    )
    _ui.show_table(
        answers,
        file_name="free_throws_comparisons.csv",
        key="answers",
        formats={"independent": "%.3f", "hierarchical": "%.3f"},
    )
    if hier.truncated:
        st.warning(
            "With these counts the hierarchical posterior is improper (e.g. no misses or no "
            f"makes at all): {hier.edge_mass:.0%} of its mass sits on the edge of the grid, so "
            "its answers depend on where the grid stops.",
            icon=":material/warning:",
        )
    st.caption(
        "Independent: one-dimensional integrals over the Beta posteriors, exact to 3 decimals. "
        f"Hierarchical: {DRAWS:,} exact posterior draws (Monte Carlo error at most "
        f"{0.5 / np.sqrt(DRAWS):.3f}); its hyperprior replaces the sliders' Beta(α, β)."
    )

st.subheader("Shrinkage: independent → hierarchical posterior means")
_ui.method_badge("exact")
_predictive.free_throws_shrinkage(made, attempts, alpha, beta, hier, names)
_ui.download_posterior(
    hier,
    "free_throws_hierarchical.nc",
    group_names=names,
    observed={"y": made, "n": attempts},
    label="Download the hierarchical posterior draws (ArviZ NetCDF)",
)
