"""Streamlit glue shared by the pages: cached calls into hbviz, common widgets, the method badge.

With the page scripts, this is the only code that imports Streamlit. Everything cached here is
keyed by tuples and scalars (Streamlit cannot hash JAX arrays) and bounded by ``max_entries``, so a
long lecture does not grow the server's memory without end.
"""

from __future__ import annotations

import hashlib
import inspect
import re
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from functools import partial

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from hbviz import (
    beta_binomial,
    diagnostics,
    estimate_tables,
    export,
    links,
    normal_normal,
    nuts,
    upload,
    your_data,
)
from hbviz.plots import eight_schools as eight_schools_figs
from hbviz.plots.style import Look
from pages import _code

# ---------------------------------------------------------------------------------------------
# Cached computations. Arguments are tuples/scalars so that Streamlit hashes them cheaply and
# exactly; results are NumPy/pandas, which it can pickle.


@st.cache_data(max_entries=64, show_spinner=False)
def normal_posterior(
    y: tuple[float, ...],
    sigma: tuple[float, ...],
    tau_prior: str = "uniform",
    tau_scale: float = 5.0,
    mu_prior: tuple[float, float] | None = None,
    draws: int = 4000,
    seed: int = 0,
) -> normal_normal.NormalPosterior:
    return normal_normal.sample_posterior(
        np.array(y),
        np.array(sigma),
        tau_prior=tau_prior,
        tau_scale=tau_scale,
        mu_prior=mu_prior,
        draws=draws,
        seed=seed,
    )


@st.cache_data(max_entries=64, show_spinner=False)
def beta_binomial_posterior(
    y: tuple[int, ...], n: tuple[int, ...], draws: int = 4000, seed: int = 0
) -> beta_binomial.BetaBinomialPosterior:
    return beta_binomial.sample_posterior(np.array(y), np.array(n), draws=draws, seed=seed)


NUTS_FITS = ("fit_normal_hierarchy", "fit_pooling", "fit_binomial_hierarchy")
PROGRESS_EVERY = 0.2  # seconds between two updates of a fit's progress bar


@st.cache_data(max_entries=64, show_spinner=False)
def nuts_fit(
    fit: str,
    *data: tuple[float, ...],
    num_chains: int,
    warmup: int,
    draws: int,
    seed: int = 0,
    label: str | None = None,
    **settings,
) -> nuts.Fit:
    """``hbviz.nuts.<fit>(*data, **settings)``, ``fit`` the name of one of its fits (a name, as
    Streamlit's cache key), ``draws`` per chain after ``warmup`` warm-up steps, shown in the page.

    With a ``label``, a progress bar so named (the run goes in chunks to report it); without one,
    a single run and a caption only while this session waits for another's compile or for the
    same fit (hbviz.nuts lets one thread trace at a time). Both live inside the cached function
    (Streamlit replays its elements on a hit) and are emptied at the end, so a hit shows nothing.
    """
    sizes = {"num_chains": num_chains, "num_warmup": warmup, "num_samples": draws, "seed": seed}
    run = partial(_nuts_function(fit), *(np.array(values) for values in data), **settings)
    return _shown_run(partial(run, **sizes), label)


@st.cache_data(max_entries=32, show_spinner=False)
def nuts_fits(
    fit: str,
    *data: tuple[float, ...],
    forms: tuple[tuple[tuple[str, object], ...], ...],
    num_chains: int,
    warmup: int,
    draws: int,
    seed: int = 0,
    label: str | None = None,
    **settings,
) -> list[nuts.Fit]:
    """Several fits of :func:`nuts_fit`'s ``fit`` on the same data at once
    (``hbviz.nuts.fit_together``), one per entry of ``forms`` (``(keyword, value)`` pairs added
    to ``settings``, e.g. each level of pooling), with one progress bar: their chains share the
    cores instead of each fit waiting for the one before."""
    sizes = {"num_chains": num_chains, "num_warmup": warmup, "num_samples": draws, "seed": seed}
    run = partial(_nuts_function(fit), *(np.array(values) for values in data), **settings)
    calls = [partial(run, **dict(form), **sizes) for form in forms]
    return _shown_run(partial(nuts.fit_together, calls), label)


def _nuts_function(fit: str):
    if fit not in NUTS_FITS:
        raise ValueError(f"fit must be one of {NUTS_FITS}; got {fit!r}")
    return getattr(nuts, fit)


def _shown_run(run, label: str | None):
    """``run(progress=..., status=...)`` with a progress bar named ``label``, or without a label
    only a caption while it waits (see :func:`nuts_fit`)."""
    if label is None:
        note = st.empty()
        try:
            return run(status=note.caption)
        finally:
            note.empty()
    bar = st.progress(0.0, text=f"{label}: starting (a new size compiles for a few seconds)")
    started = time.perf_counter()
    shown = [started]  # when the bar was last drawn

    def progress(fraction: float) -> None:
        # at most every PROGRESS_EVERY seconds: each update is a message the browser renders (a
        # warm fit reports 30-60 times in a fraction of a second); a rerun asked for meanwhile
        # still stops the fit at the next update
        now = time.perf_counter()
        if now - shown[0] < PROGRESS_EVERY and fraction < 1.0:
            return
        shown[0] = now
        bar.progress(min(fraction, 1.0), text=f"{label}: {fraction:.0%} ({now - started:.1f} s)")

    try:
        return run(
            progress=progress,
            status=lambda message: bar.progress(0.0, text=f"{label}: {message}"),
        )
    finally:
        bar.empty()


def nuts_forms_panel(
    y: tuple[float, ...],
    sigma: tuple[float, ...],
    *,
    names: Sequence[str],
    priors: Mapping[str, object],
    num_chains: int,
    warmup: int,
    draws: int,
    exact_draws: int,
) -> None:
    """The normal hierarchy fitted by NUTS in the centered and the non-centered form: each
    form's diagnostics side by side, both forms' τ draws over the exact p(τ | y) under the same
    (proper) ``priors``, and θ of the first group against τ, divergences marked (the funnel).
    ``draws`` per chain after ``warmup`` warm-up steps. A ValueError is shown and stops the page."""
    fits = {}
    try:
        for form, centered in (("centered", True), ("non-centered", False)):
            message = f"NUTS, {form} form: {num_chains} chains × ({warmup} + {draws}) steps…"
            with st.spinner(message, show_time=True):
                fits[form] = nuts_fit(
                    "fit_normal_hierarchy",
                    y,
                    sigma,
                    centered=centered,
                    num_chains=num_chains,
                    warmup=warmup,
                    draws=draws,
                    **priors,
                )
        exact = normal_posterior(y, sigma, draws=exact_draws, **priors)
    except ValueError as err:
        show_problem(err)
        st.stop()
    for col, (form, fit) in zip(st.columns(2), fits.items(), strict=True):
        with col:
            st.subheader(f"{form.capitalize()} form")
            nuts_diagnostics(fit)
    tau_draws = {f"NUTS, {form}": fit.samples["tau"] for form, fit in fits.items()}
    x_max = estimate_tables.tau_axis_limit(exact.tau)
    plot(
        eight_schools_figs.tau_marginal_comparison,
        tau_draws,
        exact.tau_grid,
        exact.tau_density,
        x_max=x_max,
    )
    funnels = {
        form: (fit.samples["theta"][..., 0], fit.samples["tau"], fit.diverging)
        for form, fit in fits.items()
    }
    plot(eight_schools_figs.funnel_plot, funnels, group_label=names[0], key="nuts-funnel")
    counts = "; ".join(
        f"{form}: {fit.divergences:,d} of {fit.diverging.size:,d}" for form, fit in fits.items()
    )
    st.caption(
        "The centered form samples θ_j ~ N(μ, τ²) directly: at small τ the posterior narrows into "
        "a funnel whose neck NUTS cannot follow, so transitions diverge (red) and small τ is "
        "under-sampled. The non-centered form samples θ_j = μ + τ·η_j, η_j ~ N(0, 1), which "
        f"takes the neck away. Divergent transitions in these fits: {counts}."
    )
    sizes = dict(num_chains=num_chains, warmup=warmup, draws=draws, exact_draws=exact_draws)
    _code.nuts_forms_code(y, sigma, names=names, priors=priors, **sizes)


def nuts_priors_note(pri: estimate_tables.NutsPriors, tau_prior_label: str) -> None:
    """Which proper priors the eight-schools NUTS panel uses (:func:`estimate_tables.nuts_priors`)."""
    st.markdown(
        f"NUTS needs proper priors, so here τ ~ {tau_prior_label}(0, {pri.tau_scale:g}) and "
        f"μ ~ N({pri.mu_prior[0]:g}, {pri.mu_prior[1]:g}²)"
        + (", standing in for the page's improper priors" if pri.substituted else "")
        + ". The exact p(τ | y) it is compared with is computed under these same priors."
    )


def with_spinner(message: str, compute: Callable, *args, **kwargs):
    """Run a (cached) computation under a spinner naming what is being done."""
    with st.spinner(message, show_time=True):
        return compute(*args, **kwargs)


# ---------------------------------------------------------------------------------------------
# Page furniture.


def _through_the_router() -> None:
    """Make sure the page runs inside app.py's st.navigation, even on a server's first request.

    Streamlit decides once per process, before any script runs, whether the app is an old-style
    multipage app: a folder named ``pages/`` beside app.py makes it one until app.py has called
    st.navigation. A direct link as the very first request of a fresh server would then run the
    page script alone (no page config, a sidebar listing every file). Clearing that flag and
    rerunning sends the request through the router. Checked by the browser tests.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def page_intro(title: str, look_for: str, model_latex: str | None = None) -> None:
    """Title, what to look at, and the model written out."""
    _through_the_router()
    st.session_state[FOCUS_KEY] = None  # until the page's lecture path names its step's figure
    st.title(title)
    start_link_notes()
    st.markdown(look_for)
    if model_latex:
        st.latex(model_latex)


PRESENT_KEY = "present"  # presenter mode's switch (pages/_present.py), read by plot()
FOCUS_KEY = "_present-focus"  # the key of the figure the lecture path's step is about
SCROLL_KEY = "_present-scroll"  # the step just taken (its number): bring its figure into view
# {step} makes each step's script new to the browser, which runs a script only when it first
# appears: two steps in a row about one figure would otherwise scroll once.
_SCROLL_TO_FOCUS = """<script>/* step {step} */
document.querySelector(".st-key-step-focus")?.scrollIntoView({{behavior: "smooth", block: "center"}});
</script>"""


def reset_button(defaults: Mapping[str, object], *, on_reset: Callable[[], None] | None = None):
    """A sidebar button that puts every control back to the lecture's values.

    Bound widgets drop their query parameter when they hold the default again, so the URL is
    clean after a reset.
    """

    def reset() -> None:
        for key, value in defaults.items():
            st.session_state[key] = value
        st.session_state["step"] = None  # off the lecture path (pages/_present.py)
        if on_reset is not None:
            on_reset()

    st.sidebar.button("Reset to the lecture's values", on_click=reset, width="stretch", key="reset")


def lazy_expander(label: str, *, key: str):
    """A closed expander whose content is built only while it is open: the expander, or None
    while it is closed. Opening or closing it reruns the fragment it is in (or the page): put
    it in an ``st.fragment`` of its own where the rest of the page need not run again."""
    box = st.expander(label, key=key, on_change="rerun")
    return box if box.open else None


def section(title: str, method: str) -> None:
    """A page section's header and whether it is ``"exact"`` or ``"MCMC"`` (:func:`method_badge`)."""
    st.header(title)
    method_badge(method)


# How each kind of computation is badged: icon, colour and what the badge's help says.
_METHOD_BADGES = {
    "exact": (
        ":material/functions:",
        "green",
        "Closed form or exact draws from the posterior (grid + conjugate conditionals).",
    ),
    "MCMC": (
        ":material/casino:",
        "orange",
        "NumPyro NUTS draws: approximate, check the diagnostics.",
    ),
}


def method_badge(kind: str) -> None:
    """Say whether a panel is computed exactly or by MCMC."""
    if kind not in _METHOD_BADGES:
        raise ValueError(f"kind must be 'exact' or 'MCMC'; got {kind!r}")
    icon, color, help_text = _METHOD_BADGES[kind]
    st.badge(kind, icon=icon, color=color, help=help_text)


def nuts_diagnostics(
    fit: nuts.Fit,
    *,
    label: str = "",
    group_names: Sequence[str] | None = None,
    file_name: str | None = None,
) -> None:
    """Divergences, worst R̂, smallest bulk and tail ESS against their thresholds, a warning that
    says what a failed check means, and the fit's draws as an ArviZ file (``<model>.nc`` unless
    ``file_name`` is given; ``group_names`` label the per-group dimension)."""
    chains = fit.diverging.shape[0]
    report = diagnostics.convergence_report(
        fit.summary, fit.divergences, fit.diverging.size, chains=chains
    )
    file_name = file_name or f"{fit.model}.nc"
    # two rows of two: readable in a narrow column as well as across the page
    cols = [*st.columns(2), *st.columns(2)]
    cols[0].metric(
        f"{label}divergences",
        f"{report.divergences:d}",
        help=f"Out of {report.draws:,d} draws. Should be at most "
        f"{diagnostics.DIVERGENCE_FRACTION_MAX:.0%} of them, ideally none: each is a step where "
        "the sampler lost its way.",
    )
    cols[1].metric(
        f"{label}max R-hat" + " (1 chain)" * (chains == 1),
        f"{report.max_r_hat:.3f}",
        help=f"Rank-normalized split R̂; should be ≤ {diagnostics.R_HAT_MAX}. "
        + (
            "With one chain, split R-hat within the one chain: its first half against its "
            "second; above the threshold they disagree."
            if chains == 1
            else "Above it the chains (each cut in halves) disagree."
        ),
    )
    cols[2].metric(
        f"{label}min n_eff (bulk ESS)",
        f"{report.min_ess_bulk:,.0f}",
        help=f"Effective sample size for means and medians; should be ≥ {diagnostics.ESS_MIN}.",
    )
    cols[3].metric(
        f"{label}min tail ESS",
        f"{report.min_ess_tail:,.0f}",
        help=f"Effective sample size for the 5% and 95% quantiles; should be ≥ "
        f"{diagnostics.ESS_MIN}.",
    )
    if report.problems:
        st.warning(
            "These draws fail the standard checks, so treat their numbers with suspicion: "
            + "; ".join(report.problems + report.notes)
            + ".",
            icon=":material/warning:",
        )
    elif report.notes:
        st.warning(
            "R̂ and ESS pass, and the divergences stay within the tolerance, but: "
            + "; ".join(report.notes)
            + ".",
            icon=":material/warning:",
        )
    else:
        st.success(
            f"Passes the standard checks: R̂ ≤ {diagnostics.R_HAT_MAX}, bulk and tail ESS ≥ "
            f"{diagnostics.ESS_MIN}, divergences ≤ {diagnostics.DIVERGENCE_FRACTION_MAX:.0%}.",
            icon=":material/check_circle:",
        )
    download_inference_data(
        lambda: export.fit_to_netcdf(fit, group_names=group_names),
        file_name=file_name,
        key=f"nuts-{fit.model}-{label}{file_name}",
    )


_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def plain(text: object) -> str:
    """Escape Markdown so that text from users shows as typed in st.error/st.markdown."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", str(text))


def show_problem(err: Exception, *, prefix: str = "") -> None:
    """Show a ValueError from hbviz as a clear message; its text may hold user values."""
    st.error(plain(prefix + str(err)), icon=":material/error:")


def show_table(
    table: pd.DataFrame,
    *,
    file_name: str,
    key: str,
    formats: Mapping[str, str] | None = None,
    label: str = "Download CSV",
) -> None:
    """A formatted table with a CSV download of its full-precision values."""
    column_config = {
        name: st.column_config.NumberColumn(format=fmt) for name, fmt in (formats or {}).items()
    }
    st.dataframe(table, column_config=column_config)
    st.download_button(
        label,
        data=export.to_csv(table),
        file_name=file_name,
        mime="text/csv",
        key=f"download-{key}",
        icon=":material/download:",
        on_click="ignore",
    )


# ---------------------------------------------------------------------------------------------
# Values kept in the URL. A link is user input: every value a page reads from it is checked first,
# and one that cannot be used is dropped, with a note under the page's title naming it, so the
# control shows the lecture's value. Streamlit itself drops most bad values of bound widgets
# without a word, and raises on some (an integer number_input given "inf" or 1e400).

_LINK_NOTES = threading.local()  # each session's script runs in its own thread


def start_link_notes() -> None:
    """Open this run's note about unusable link values (called by page_intro, under the title)."""
    _LINK_NOTES.box = st.empty()
    _LINK_NOTES.lines = []


def note_link_problem(key: str, text: str, reason: str, fallback: str) -> None:
    """Add ``key`` = ``text`` (refused because ``reason``) to the page's note; shown as text."""
    line = (
        f"- **{plain(key)}** = “{plain(links.excerpt(text))}”: {plain(reason)}; "
        f"showing {plain(fallback)}."
    )
    lines = getattr(_LINK_NOTES, "lines", None)
    if lines is None:  # a page that did not call page_intro: note in place
        st.warning(line, icon=":material/link_off:")
        return
    lines.append(line)
    _LINK_NOTES.box.warning(
        "This link holds values that cannot be used, so the lecture's are shown instead:\n"
        + "\n".join(lines),
        icon=":material/link_off:",
    )


def _drop_link_value(key: str, replacement: str | None = None) -> None:
    """Remove ``key`` from the URL (or set it to ``replacement``) before its widget is drawn.

    A bound widget takes its first value from the query string the page was opened with
    (Streamlit's private ``QueryParams._initial_query_params``), not from ``st.query_params``,
    and ``st.query_params`` refuses to delete a bound key; so both copies are cleared here.
    tests/test_urls.py checks that a dropped value no longer reaches the widget.
    """
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None:
        return
    with ctx.session_state.query_params() as params:
        if replacement is None:
            params._initial_query_params.pop(key, None)
            params.remove_param(key)
        else:
            params._initial_query_params[key] = [replacement]
            params.set_corrected_value(key, replacement, "string_value")


def _format(arguments: Mapping[str, object]) -> Callable[[object], str]:
    return arguments.get("format_func") or str


def _link_rule(widget: str, arguments: Mapping[str, object]) -> tuple[Callable[[str], object], str]:
    """How to read a link's text for this widget, and the widget's own default, as shown."""
    a = arguments
    if widget in ("slider", "number_input"):
        numbers = [a[n] for n in ("min_value", "max_value", "value", "step") if _is_number(a[n])]
        integer = all(isinstance(x, int) for x in numbers)
        low, high = a["min_value"], a["max_value"]
        default = a["value"] if _is_number(a["value"]) else low
        return (
            lambda text: links.read_number(text, low=low, high=high, integer=integer),
            f"the lecture's {default:g}" if _is_number(default) else "the default",
        )
    if widget in ("toggle", "checkbox"):
        return links.read_flag, "the lecture's " + ("on" if a["value"] else "off")
    options = list(a["options"])
    labels = [str(_format(a)(option)) for option in options]
    if widget == "select_slider":
        chosen = a["value"] if a["value"] is not None else options[0]
    elif widget in ("selectbox", "radio"):
        chosen = options[a["index"]] if a["index"] is not None and options else None
    else:  # segmented_control, pills
        chosen = a["default"]
    shown = str(_format(a)(chosen)) if chosen is not None else "none"

    def read(text: str) -> object:
        if text == "" and widget in ("segmented_control", "pills") and not a["required"]:
            return None  # an empty choice is allowed here
        return links.read_choice(text, labels)

    return read, f"the lecture's “{shown}”"


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def check_link_value(widget: Callable, *args, **kwargs) -> None:
    """Check the URL's value for the widget ``widget(*args, **kwargs)`` is about to bind.

    A value the widget cannot hold is dropped from the URL and named in the page's note.
    """
    key = kwargs.get("key")
    values = st.query_params.get_all(key) if key else []
    if not values:
        return
    bound = inspect.signature(widget).bind(*args, **kwargs)
    bound.apply_defaults()
    read, fallback = _link_rule(widget.__name__, bound.arguments)
    text = values[-1]
    try:
        if len(values) > 1:
            raise ValueError(f"given {len(values)} times")
        value = read(text)
    except ValueError as err:
        note_link_problem(key, text, str(err), fallback)
        _drop_link_value(key)
        return
    if _is_number(value) and value == 0 and text.strip().startswith("-"):
        _drop_link_value(key, "0")  # a negative zero would be shown as "-0"


class LinkCheckedContainer:
    """A container whose widgets bound to query parameters check the link's value first.

    ``sidebar.slider(..., key="tau", bind="query-params")`` is ``st.sidebar.slider(...)`` after
    :func:`check_link_value`; everything else passes through unchanged.
    """

    WIDGETS = frozenset(
        {"slider", "number_input", "select_slider", "selectbox", "radio"}
        | {"segmented_control", "pills", "toggle", "checkbox"}
    )

    def __init__(self, container) -> None:
        self._container = container

    def __getattr__(self, name: str):
        attribute = getattr(self._container, name)
        if name not in self.WIDGETS:
            return attribute

        def widget(*args, **kwargs):
            if kwargs.get("bind") == "query-params":
                check_link_value(attribute, *args, **kwargs)
            return attribute(*args, **kwargs)

        return widget

    def __enter__(self):
        return self._container.__enter__()

    def __exit__(self, *exc):
        return self._container.__exit__(*exc)


sidebar = LinkCheckedContainer(st.sidebar)


# ---------------------------------------------------------------------------------------------
# Editable data kept in the URL. st.data_editor cannot bind to query parameters, so the table is
# written to one parameter as CSV text when it differs from the lecture's data.


def editable_data(
    default: pd.DataFrame,
    *,
    key: str,
    column_config: Mapping[str, object] | None = None,
    validate: Callable[[pd.DataFrame], None] | None = None,
    num_rows: str = "dynamic",
) -> pd.DataFrame:
    """An editable table whose last valid contents are returned and kept in the URL.

    ``validate`` raises ValueError for a table that cannot be analysed; the message is shown
    and the last valid table is used, so a half-typed value never breaks the page. Tables are
    held to :data:`hbviz.links.MAX_TABLE_ROWS` rows and values within ±:data:`hbviz.links.MAX_ABS`.
    """
    state_key = f"{key}-valid"
    editor_key = f"{key}{TABLE_EDITOR_SUFFIX}"
    if state_key not in st.session_state:
        st.session_state[state_key] = _table_from_url(key, default, validate)
    start = st.session_state[state_key]
    edited = st.data_editor(
        start,
        key=editor_key,
        num_rows=num_rows,
        column_config=dict(column_config or {}),
        hide_index=True,
        width="stretch",
    )
    try:
        links.check_table_size(edited)
        if validate is not None:
            validate(edited)
    except ValueError as err:
        show_problem(err, prefix="This table cannot be used yet: ")
        return start
    st.session_state[state_key] = edited.reset_index(drop=True)
    if edited.reset_index(drop=True).equals(default.reset_index(drop=True)):
        st.query_params.pop(key, None)
    else:
        st.query_params[key] = edited.to_csv(index=False)
    return edited.reset_index(drop=True)


TABLE_EDITOR_SUFFIX = "-editor"  # the editor of table ``key`` has the widget key ``key + suffix``


def reset_editable_data(key: str) -> None:
    """Forget edits to the table ``key`` (use from a reset button's ``on_reset``)."""
    st.session_state.pop(f"{key}-valid", None)
    st.session_state.pop(f"{key}{TABLE_EDITOR_SUFFIX}", None)
    st.query_params.pop(key, None)


def _table_from_url(
    key: str, default: pd.DataFrame, validate: Callable[[pd.DataFrame], None] | None
) -> pd.DataFrame:
    values = st.query_params.get_all(key)
    if not values:
        return default.reset_index(drop=True)
    text = values[-1]
    try:
        if len(values) > 1:
            raise ValueError(f"given {len(values)} times")
        table = links.read_table(text, default)
        if validate is not None:
            validate(table)
    except ValueError as err:
        note_link_problem(key, text, str(err), "the lecture's data")
        st.query_params.pop(key, None)
        return default.reset_index(drop=True)
    return table


def as_tuple(values: Sequence | np.ndarray | pd.Series) -> tuple:
    """A hashable, exact key for the caches above."""
    return tuple(np.asarray(values).tolist())


# ---------------------------------------------------------------------------------------------
# Figures: the one way a page shows one. Built once per input: building a Plotly figure costs
# 20–50 ms, so a page with a dozen figures would spend most of a rerun rebuilding figures whose
# inputs did not change when one slider moved.


@st.cache_resource(max_entries=256, show_spinner=False)
def _cached_figure(
    _builder: Callable[..., go.Figure], name: str, args: tuple, kwargs: dict
) -> go.Figure:
    return _builder(*args, **kwargs)


def plot(builder: Callable[..., go.Figure], /, *args, key: str | None = None, **kwargs) -> None:
    """Show ``builder(*args, look=..., **kwargs)``, built once per distinct input.

    The look's ``large_fonts`` follows presenter mode (:data:`PRESENT_KEY`). The figure the
    lecture path's current step is about (its ``key``) is framed, and scrolled into view when the
    step was just taken. The arguments are hashed by Streamlit (NumPy arrays, DataFrames, tuples, scalars); the
    builder is keyed by its module and name. The figure is shared between reruns and sessions (no
    copy is made, which is what makes a hit free), so nothing may modify it: a builder takes every
    title and name as an argument.
    """
    present = bool(st.session_state.get(PRESENT_KEY, False))
    kwargs["look"] = kwargs.get("look", Look())._replace(large_fonts=present)
    name = f"{builder.__module__}.{builder.__qualname__}"
    fig = _cached_figure(builder, name, args, kwargs)
    # theme=None: Streamlit's theme would override the figure's template and font sizes, and
    # with them the projector-sized fonts.
    config = {"displaylogo": False, "scrollZoom": False}
    if key is None or key != st.session_state.get(FOCUS_KEY):
        st.plotly_chart(fig, key=key, theme=None, config=config)
        return
    with st.container(border=True, key="step-focus"):
        st.plotly_chart(fig, key=key, theme=None, config=config)
    step = st.session_state.pop(SCROLL_KEY, None)
    if step:
        st.html(_SCROLL_TO_FOCUS.format(step=int(step)), unsafe_allow_javascript=True)


# ---------------------------------------------------------------------------------------------
# Your data: choosing a dataset, and its analyses cached by a digest of its content computed by
# the caller, since the data may be large (see DESIGN.md, engineering notes).

LAST_DATASET = "your-data-last-good"  # the last dataset the user loaded (pasted or uploaded)


def content_digest(table: pd.DataFrame) -> str:
    """A hash of a table's content, to key the caches below exactly (Streamlit samples large
    arrays when it hashes them, so two large uploads could share a key)."""
    return hashlib.sha256(pd.util.hash_pandas_object(table).to_numpy().tobytes()).hexdigest()


@st.cache_data(max_entries=8, show_spinner=False)
def parse_upload(digest: str, _raw: bytes, mapping: tuple) -> upload.Dataset:
    return upload.parse(_raw, dict(mapping) or None)


@st.cache_data(max_entries=8, show_spinner=False)
def your_data_analysis(
    digest: str, _data: upload.Dataset, *, within_sd: str, tau_prior: str, tau_scale: float | None
) -> your_data.Analysis:
    return your_data.analyse(_data, within_sd=within_sd, tau_prior=tau_prior, tau_scale=tau_scale)


@st.cache_data(max_entries=8, show_spinner=False)
def your_data_nuts_check(
    digest: str,
    _data: upload.Dataset,
    _exact: your_data.Analysis,
    *,
    within_sd: str,
    tau_prior: str,
    tau_scale: float | None,
    draws: int,
) -> your_data.NutsCheck:
    settings = dict(within_sd=within_sd, tau_prior=tau_prior, tau_scale=tau_scale, draws=draws)
    return your_data.nuts_check(_data, exact=_exact, **settings)


def upload_templates(*, expanded: bool) -> None:
    """The accepted shapes, with a template of each to download."""
    with st.expander("Accepted shapes, and templates to fill in", expanded=expanded):
        st.markdown(
            "CSV text, UTF-8, with a header row; commas, semicolons or tabs. Rows are numbered as "
            f"in a spreadsheet (header = row 1). Files up to **{upload.MAX_UPLOAD_MB} MB** "
            f"(server.maxUploadSize), {upload.MAX_GROUPS:,} groups, {upload.MAX_ROWS:,} rows."
        )
        for col, shape in zip(st.columns(len(upload.SHAPES)), upload.SHAPES, strict=True):
            col.markdown(f"**{upload.SHAPE_LABELS[shape]}**  \n`{', '.join(upload.ROLES[shape])}`")
            col.download_button(
                f"{shape} template",
                upload.template(shape),
                f"{shape}_template.csv",
                "text/csv",
                key=f"tpl-{shape}",
                on_click="ignore",
            )


def your_dataset(source: str, examples: Mapping[str, str]) -> tuple[str, upload.Dataset] | None:
    """The dataset to analyse and its name, from an example (``examples``: key → name), pasted
    text or an uploaded file; says why when it is not the one just given."""
    if source == "example":
        choice = sidebar.selectbox(
            "Example", list(examples), format_func=examples.get, key="example", bind="query-params"
        )
        if choice == "large":
            return examples[choice], upload.simulated("counts")
        return examples[choice], parse_upload(choice, upload.example(choice), ())
    if source == "paste":
        raw = st.text_area("Paste CSV text (with its header row)", key="pasted", height=160)
        raw, label = raw.encode(), "the pasted text"
    else:
        file = st.file_uploader(
            f"CSV file (at most {upload.MAX_UPLOAD_MB} MB)", type=["csv", "tsv", "txt"]
        )
        raw, label = (file.getvalue(), file.name) if file else (None, None)
    mapping = ()
    if raw is not None and raw.strip():
        with st.expander("Choose the columns by hand"):
            try:
                columns = upload.header(raw)
            except upload.UploadError:
                columns = []
            shape = st.selectbox("Shape", ["automatic", *upload.SHAPES], key="map-shape")
            if shape != "automatic" and columns:
                roles = upload.ROLES[shape]
                mapping = tuple((r, st.selectbox(r, columns, key=f"map-{r}")) for r in roles)
    pick = your_data.pick_dataset(
        label,
        raw,
        st.session_state.get(LAST_DATASET),
        parse=lambda raw: parse_upload(hashlib.sha256(raw).hexdigest(), raw, mapping),
        blank_is_empty=source == "paste",
    )
    if pick.loaded:
        st.session_state[LAST_DATASET] = pick.chosen
    if pick.problems:
        err = pick.problems
        more = f"\n\n… and {err.more} more." if err.more else ""
        problems = "\n".join(f"- {plain(p)}" for p in err.problems)
        st.error(f"Cannot use **{plain(label)}**:\n\n{problems}{more}", icon=":material/error:")
    if pick.note:
        st.info(plain(pick.note), icon=":material/history:" if pick.chosen else None)
    return pick.chosen


# ---------------------------------------------------------------------------------------------
# Posterior draws as ArviZ InferenceData (NetCDF-4), read by ArviZ, xarray and other tools.


def download_inference_data(
    data: bytes | Callable[[], bytes],
    *,
    file_name: str,
    key: str,
    label: str = "Download draws (ArviZ NetCDF)",
) -> None:
    """A download button for NetCDF bytes from :mod:`hbviz.export` (``fit_to_netcdf``,
    ``posterior_to_netcdf``). Pass a callable to write the file only when it is clicked."""
    st.download_button(
        label,
        data=data,
        file_name=file_name,
        mime="application/x-netcdf",
        key=f"download-idata-{key}",
        icon=":material/download:",
        on_click="ignore",
        help="ArviZ InferenceData: posterior draws by chain, with divergences in sample_stats. "
        "Open with arviz_base.convert_to_datatree(path) or xarray.open_datatree(path).",
    )


def download_posterior(
    posterior,
    file_name: str,
    *,
    group_names: Sequence[str] | None = None,
    observed: Mapping[str, object] | None = None,
    label: str = "Download draws (ArviZ NetCDF)",
) -> None:
    """A download button for an exact posterior's draws (:func:`hbviz.export.posterior_to_netcdf`),
    written only when it is clicked."""
    download_inference_data(
        lambda: export.posterior_to_netcdf(posterior, group_names=group_names, observed=observed),
        file_name=file_name,
        key="exact",
        label=label,
    )
