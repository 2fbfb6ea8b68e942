"""The Your-data page's regression shape (group, x, y): the three poolings of a line per group,
fitted by NUTS (hbviz.regression), and Gelman & Hill's radon figures. Wiring only: the fits and
tables are hbviz.regression's, the figures hbviz.plots.regression's."""

from __future__ import annotations

import time

import streamlit as st

from hbviz import diagnostics, nuts, regression, upload
from hbviz.plots import regression as figs
from pages import _code, _ui

SCALES = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0)  # × the data-scaled τ prior scales (sd of y, sd of y/x)
DEFAULTS = {"reg_slopes": False, "reg_tau_scale": 1.0}
SERIES = {"complete": "complete pooling", "no": "no pooling", "partial": "partial pooling"}


def _progress_text(label: str, fraction: float, started: float) -> str:
    """What the bar says: the share done and, once a tenth is done, the time left at this pace."""
    seconds = time.perf_counter() - started
    if fraction < 0.1:
        return f"{label}: {fraction:.0%} ({seconds:.0f} s)"
    left = seconds * (1 - fraction) / fraction
    return f"{label}: {fraction:.0%}, about {left:.0f} s left"


@st.cache_data(max_entries=12, show_spinner=False)
def regression_fit(
    digest: str,
    _rd: regression.RegressionData,
    *,
    regime: str,
    varying_slopes: bool,
    tau_scale: float,
) -> nuts.Fit:
    """NUTS fit of one pooling regime (:func:`hbviz.regression.fit`), keyed by the data's digest.
    Data past :data:`hbviz.regression.PROGRESS_GROUPS` groups get a progress bar with the time
    left (a fit's cost grows with the groups, not the rows)."""
    label = f"NUTS, {SERIES[regime]}"
    note = st.empty()
    started = time.perf_counter()
    progress = None
    if len(_rd.names) > regression.PROGRESS_GROUPS:
        bar = note.progress(0.0, text=f"{label}: starting")

        def progress(fraction: float) -> None:
            bar.progress(min(fraction, 1.0), text=_progress_text(label, fraction, started))

    try:
        return regression.fit(
            _rd,
            regime=regime,
            varying_slopes=varying_slopes,
            tau_scale=tau_scale,
            progress=progress,
            status=note.caption,
        )
    finally:
        note.empty()


def page(data: upload.Dataset) -> None:
    """The regression part of the Your-data page, after the dataset is loaded."""
    sb = _ui.sidebar
    sb.header("Regression model")
    slopes = sb.toggle(
        "Varying slopes too (correlated, LKJ prior)",
        key="reg_slopes",
        value=False,
        bind="query-params",
        help="Off: varying intercepts with one common slope, y ~ x + (1 | group). On: "
        "y ~ x + (1 + x | group); no pooling then gives each group its own slope as well.",
    )
    factor = sb.select_slider(
        "Scale of the τ priors, × the data's scale",
        SCALES,
        value=1.0,
        key="reg_tau_scale",
        bind="query-params",
        help="τ of the intercepts ~ HalfNormal(factor × sd of y); of the slopes, "
        "HalfNormal(factor × sd of y / sd of x). Moving it refits partial pooling.",
    )
    rd = regression.prepare(data)
    digest = _ui.content_digest(data.table)
    options = regression.chosen_groups(rd, count=len(rd.names))
    chosen = st.sidebar.multiselect(
        "Groups to draw (up to 12)",
        options,
        default=regression.chosen_groups(rd),
        max_selections=12,
        key="reg_groups",
        help="By default the four smallest and the four largest groups.",
    )
    fits, settings = {}, {}
    for regime in ("complete", "no", "partial"):
        # only partial pooling has a τ, and complete pooling one line whatever the switch: keep
        # them out of those fits' cache keys, so that a move refits what it changes and no more
        scale = factor if regime == "partial" else 1.0
        varying = slopes and regime != "complete"
        settings[regime] = dict(regime=regime, varying_slopes=varying, tau_scale=scale)
        fits[regime] = regression_fit(digest, rd, **settings[regime])
    partial = fits["partial"]
    table = regression.group_table(partial, rd.names)
    p = regression.priors(rd, tau_scale=factor)
    x_title, y_title = data.columns["x"], data.columns["y"]
    sizes = dict(zip(rd.names, (int(n) for n in rd.sizes), strict=True))

    _ui.section("2 · A line per group: complete, no and partial pooling", "MCMC")
    cols = st.columns(4)
    population = partial.samples["population_intercept"]
    cols[0].metric("Population intercept", f"{population.mean():.3g}")
    cols[1].metric("Population slope", f"{partial.samples['population_slope'].mean():.3g}")
    cols[2].metric("τ of the intercepts", f"{partial.samples['tau_intercept'].mean():.3g}")
    cols[3].metric("σ within groups", f"{partial.samples['sigma_y'].mean():.3g}")
    if chosen:
        lines = regression.line_table(fits, rd, chosen)
        _ui.plot(
            figs.group_lines,
            data.table,
            lines,
            chosen,
            x_title=x_title,
            y_title=y_title,
            sizes=sizes,
        )
    else:
        st.info("Choose groups to draw in the sidebar.")
    st.caption(
        "Complete pooling (dotted) ignores the groups; no pooling follows each group's own few "
        "points; partial pooling sits between, nearer the group's own line the more data it has."
    )

    _ui.section("3 · Estimates against group size", "MCMC")
    for site in ("intercept", "slope") if slopes else ("intercept",):
        by_size = {SERIES[r]: regression.size_table(fits[r], rd, site) for r in ("no", "partial")}
        _ui.plot(
            figs.estimates_by_size,
            by_size,
            population=float(partial.samples[f"population_{site}"].mean()),
            population_label=f"population {site}",
            value_title=f"{site} (95% interval)",
        )
    st.caption(
        "The small groups' no-pooling estimates scatter widely; partial pooling pulls them in most."
    )

    _ui.section("4 · The population line and shrinkage", "MCMC")
    band = regression.population_band(partial, rd)
    _ui.plot(figs.population_line, band, data.table, x_title=x_title, y_title=y_title)
    shrink = regression.shrinkage_table(fits["no"], partial, rd)
    _ui.plot(figs.shrinkage_arrows, shrink, varying_slopes=slopes)
    st.caption(p.description)

    _ui.section("5 · Each group's line, and the sampler's diagnostics", "MCMC")
    _ui.show_table(table, file_name="regression_lines.csv", key="regression", formats=None)
    for regime, result in fits.items():
        with st.expander(f"Diagnostics: {SERIES[regime]}", expanded=regime == "partial"):
            report = diagnostics.convergence_report(
                result.summary,
                result.divergences,
                result.diverging.size,
                chains=result.diverging.shape[0],
            )
            st.caption(
                f"{result.model}: 4 chains × {result.diverging.shape[1]} draws; "
                f"{'passes' if report.passed else 'fails'} the standard checks."
            )
            # with the draws as an ArviZ file (hbviz.export.fit_to_netcdf), as every NUTS fit
            _ui.nuts_diagnostics(result, label=f"{regime}: ", group_names=list(rd.names))
        _code.regression_code(rd, **settings[regime])  # its model and data as a NumPyro script
