"""Levels of pooling (NumPyro tutorial): no, complete and partial pooling fitted with NUTS."""

import streamlit as st

from hbviz import datasets, lecture, lecture_notes, pooling
from hbviz.plots import eight_schools as funnel_figs
from hbviz.plots import pooling as figs
from pages import _code, _present, _ui

PAGE = lecture.page("pages/levels_of_pooling.py")
DEFAULTS = {"chains": PAGE.nuts_chains, "warmup": PAGE.nuts_warmup, "draws": PAGE.nuts_draws}
DEFAULTS |= {"seed": 0, "noncentered": False}
FORMATS = dict.fromkeys(["mean", "sd", "median", "5%", "95%"], "%.2f") | {
    "n_eff": "%.0f",
    "ess_tail": "%.0f",
}
FORMATS["r_hat"] = "%.3f"

_ui.page_intro(
    "Levels of pooling",
    "Five values, three models, as in the NumPyro tutorial: **no pooling** gives every value its "
    "own mean, **complete pooling** one mean for all, **partial pooling** group means drawn from "
    "a shared population. Watch how far each estimate moves from its value, and the divergence "
    "counts: the no-pooling model cannot be sampled reliably, the centered partial one barely.",
    r"\text{partial pooling: } y_i \sim \mathcal N(\mu_{g[i]}, \sigma^2),\quad "
    r"\mu_g \sim \mathcal N(\mu_\text{pop}, \tau^2)",
)

# the lecture path, and Reset: the lecture's data, model and sampler settings back
_present.lecture_controls(PAGE.path, DEFAULTS, table_key="data")

data_col, plot_col = st.columns([1, 2.4])
with data_col:
    st.subheader("Data")
    st.caption(
        "The tutorial's values 10, 12, 9, 11, 8. It lists no groups for them: the groups "
        "a, a, b, b, c are hbviz's choice. Edit, add or delete rows."
    )
    data = _ui.editable_data(
        datasets.pooling_demo(), key="data", validate=pooling.check_data, num_rows="dynamic"
    )
    values = _ui.as_tuple(data["value"].astype(float))
    codes, names = pooling.group_codes(data["group"])


@st.fragment
def fits_and_panels(data_col, plot_col, data, values: tuple, codes, names: list[str]) -> None:
    """The NUTS controls, the three fits and everything drawn from them. A fragment: a new
    seed, chain count, warm-up, draws, form or the preset reruns and redraws this alone (the fits
    themselves are cached by their inputs); an edit of the data reruns the page."""
    with data_col:
        st.subheader("NUTS")
        box = _ui.LinkCheckedContainer(data_col)
        noncentered = box.toggle(
            "Non-centered partial pooling",
            key="noncentered",
            bind="query-params",
            help="Sample z_g ~ N(0, 1) and set μ_g = μ_pop + τ·z_g, instead of sampling μ_g.",
        )
        chains = box.slider("Chains", 1, 4, DEFAULTS["chains"], key="chains", bind="query-params")
        warmup = box.select_slider(
            "Warm-up steps per chain",
            options=[100, 250, 500, 1000, 2000],
            value=DEFAULTS["warmup"],
            key="warmup",
            bind="query-params",
            help="Steps in which NUTS adapts its step size and mass matrix; they are discarded. "
            "The tutorial: 500. Each new length compiles the sampler afresh (a few seconds).",
        )
        draws = box.select_slider(
            "Draws per chain (kept after the warm-up)",
            options=[50, 100, 250, 500, 1000, 2000],
            value=DEFAULTS["draws"],
            key="draws",
            bind="query-params",
            help="Fewer draws fit faster; R-hat and n_eff get noisier.",
        )
        seed = box.number_input("Seed", 0, 10_000, 0, step=1, key="seed", bind="query-params")
        _present.preset_buttons(PAGE.path)

    index_notes = {
        "no pooling": "`mu[i]`, `sigma[i]`: observation #i+1 (NumPyro counts from 0).",
        "complete pooling": "One `mu` and one `sigma` for every observation.",
        "partial pooling": "`mu[g]`: group "
        + ", ".join(f"{g} = {_ui.plain(name)}" for g, name in enumerate(names))
        + "; `mu_pop`, `tau`: the population; `sigma`: the noise sd.",
    }
    sampler = dict(num_chains=chains, warmup=warmup, draws=draws, seed=int(seed))
    forms = [("no", False), ("complete", False), ("partial", not noncentered)]
    # with the non-centered form chosen, the centered one is fitted too: its funnel is drawn
    fitted = forms + ([("partial", True)] if noncentered else [])
    try:
        # all at once (hbviz.nuts.fit_together): their chains share the cores, and the
        # no-pooling fit's long trajectories no longer hold the other fits back
        fits = dict(
            zip(
                fitted,
                _ui.nuts_fits(
                    "fit_pooling",
                    values,
                    _ui.as_tuple(codes),
                    forms=tuple((("regime", r), ("centered", c)) for r, c in fitted),
                    label="NUTS, no, complete and partial pooling",
                    **sampler,
                ),
                strict=True,
            )
        )
    except ValueError as err:
        _ui.show_problem(err)
        return

    with plot_col:
        st.subheader("Estimates side by side")
        _ui.method_badge("MCMC")
        table = pooling.pooling_estimates(
            data["value"].astype(float),
            data["group"],
            **{f"{regime}_pooling": fits[regime, centered].summary for regime, centered in forms},
        )
        _ui.plot(
            figs.pooling_estimates_plot,
            table,
            value_title="value (data units)",
            key="pooling-estimates",
        )
        st.caption(
            r"Posterior means and 90% intervals (5%–95%). No pooling: $\mu_i$ of each value; "
            r"complete pooling: the one $\mu$; partial pooling: the mean $\mu_g$ of the value's group."
        )

    tutorial_data = values == tuple(datasets.pooling_demo()["value"].astype(float))
    for regime, centered in forms:
        name, fit = f"{regime} pooling", fits[regime, centered]
        st.divider()
        form = {"partial": " (centered)" if centered else " (non-centered)"}.get(regime, "")
        st.subheader(name.capitalize() + form)
        _ui.method_badge("MCMC")
        st.latex(lecture_notes.POOLING_MODELS[name])
        left, right = st.columns([1, 1.9])
        with left:
            _ui.nuts_diagnostics(fit)
        # keyed by form and size, so a changed table is drawn afresh with its index column re-sized
        table_key = f"table-{name}{form}-{len(fit.summary)}"
        with right, st.container(key="".join(c if c.isalnum() else "-" for c in table_key)):
            _ui.show_table(
                fit.summary,
                file_name=f"{name.replace(' ', '_')}_summary.csv",
                key=name,
                formats=FORMATS,
            )
            st.caption(index_notes[name])
        sizes = dict(chains=chains, warmup=warmup, draws=draws, tutorial_data=tutorial_data)
        tau = fit.samples.get("tau")
        st.markdown(
            lecture_notes.pooling_divergence_note(
                regime, fit.diverging, centered=centered, tau=tau, **sizes
            )
        )
        _code.nuts_code(
            "fit_pooling",
            values,
            _ui.as_tuple(codes),
            regime=regime,
            centered=centered,
            names=names if regime == "partial" else None,
            num_chains=chains,
            num_warmup=warmup,
            draws=draws,
            seed=int(seed),
            lazy=f"{regime}-pooling",
        )
        funnel = pooling.pooling_funnel(
            regime,
            fit,
            centered=centered,
            values=values,
            names=names,
            centered_fit=fits.get(("partial", True)),
        )
        if funnel is None:
            continue
        st.markdown(lecture_notes.pooling_why(regime, groups=len(names)))
        key = {"no": "funnel-no-pooling", "partial": "funnel-partial-pooling"}[regime]
        _ui.plot(funnel_figs.funnel_plot, **funnel._asdict(), key=key)


fits_and_panels(data_col, plot_col, data, values, codes, names)
