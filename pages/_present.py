"""Presenter mode and the lecture path: the glue that lets a lecture be given from the app.

- :func:`presenter_switch` (called by app.py, before the page runs) draws one switch, kept for the
  whole session and in every link (``?present=true``). When it is on, our fixed CSS scales text,
  tables, metrics, formulas and diagrams, and :func:`pages._ui.plot` draws figures with the
  projector's font sizes.
- :func:`path_panel` steps through the page's :data:`hbviz.lecture_path.PATHS` with buttons, the
  → / ← keys and one link per step (``?step=3``, checked like every link value).
- :func:`preset_buttons` puts the lecture's values of the main dial one click away.
- :func:`more_controls` is where a page puts its secondary controls: the sidebar, or a closed
  expander in presenter mode.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from hbviz import lecture_path, links
from pages import _ui

STEP_KEY = "step"  # the query parameter and widget key of the current step
_APPLIED = "_present-applied-step"  # by page, the step whose values were last put in the controls
_PENDING = "_present-pending"  # values naming a number the page has not computed yet
_ON = "_present-on"  # presenter mode, kept for the session (the switch shows it)
_LINKED = "_present-linked"  # the text of ?present= this session last read or wrote

# Our own fixed rules, never user text. Streamlit sizes its text in rem, so a larger root font
# scales text, metrics, captions, buttons, tables and KaTeX formulas; the model diagram (an SVG in
# points) is zoomed. Figures get their larger fonts from hbviz.plots.style instead: zoom would also
# shrink the width they are laid out in (and zooming a table misplaced its columns).
PRESENTER_CSS = """
<style>
html { font-size: 20px; }
h1 { font-size: 2rem !important; }
[data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
[data-testid="stGraphVizChart"] svg { zoom: 1.4; }
.katex { font-size: 1.25em; }
.st-key-step-focus { outline: 3px solid #0072B2; outline-offset: 2px; }
</style>
"""
# → and ← take the next and the previous step, wherever the page has the focus except in a
# control that uses the arrows itself. Fixed text. (st.button's own shortcut="Right" missed
# every press on the eight-schools page in Chromium 156; tests/test_browser_present.py presses.)
STEP_KEYS = """<script>
if (!window.hbvizStepKeys) {
  window.hbvizStepKeys = true;
  document.addEventListener("keydown", (event) => {
    const button = {ArrowRight: "next", ArrowLeft: "back"}[event.key];
    const target = event.target;
    if (!button || event.defaultPrevented || event.altKey || event.ctrlKey || event.metaKey ||
        event.shiftKey || target.isContentEditable ||
        target.closest("input, textarea, select, [role='slider'], [data-testid='stDataFrame']")) {
      return;
    }
    const control = document.querySelector(`.st-key-step-${button} button`);
    if (control && !control.disabled) { event.preventDefault(); control.click(); }
  });
}
</script>"""


def presenter_switch() -> bool:
    """The sidebar's presenter-mode switch, kept in ``?present=true``; injects the CSS when on.

    Not a widget bound to the URL: a change of page empties the address bar and drops the
    widgets' state, the router's own too. The switch's value lives in a plain session value
    instead (:data:`_ON`), a link's ``present=`` (checked by :func:`hbviz.links.read_flag`) sets
    it when the link is opened, and the URL is written back after every run.
    """
    _ui.start_link_notes()  # a bad ?present= is noted like any other link value
    values = st.query_params.get_all(_ui.PRESENT_KEY)
    if values and values[-1] != st.session_state.get(_LINKED):  # a link says so: it wins
        st.session_state[_LINKED] = values[-1]
        try:
            if len(values) > 1:
                raise ValueError(f"given {len(values)} times")
            st.session_state[_ON] = links.read_flag(values[-1])
        except ValueError as err:
            _ui.note_link_problem(_ui.PRESENT_KEY, values[-1], str(err), "the switch as it was")
    st.session_state[_ui.PRESENT_KEY] = st.session_state.get(_ON, False)
    on = st.sidebar.toggle(
        "Presenter mode",
        key=_ui.PRESENT_KEY,
        on_change=lambda: st.session_state.update({_ON: st.session_state[_ui.PRESENT_KEY]}),
        help="For a projector: everything larger, secondary controls folded away, on every page "
        "and in every link.",
    )
    st.session_state[_LINKED] = "true" if on else None
    if on:
        st.query_params[_ui.PRESENT_KEY] = "true"
        st.html(PRESENTER_CSS)
    else:
        st.query_params.pop(_ui.PRESENT_KEY, None)
    return bool(on)


def more_controls(label: str = "More controls"):
    """The container for a page's secondary controls: the sidebar, or in presenter mode a closed
    expander in it. Widgets bound to the URL check its value first (:class:`_ui.LinkCheckedContainer`)."""
    if st.session_state.get(_ui.PRESENT_KEY):
        return _ui.LinkCheckedContainer(st.sidebar.expander(label, expanded=False))
    return _ui.sidebar


def _move(by: int, last: int) -> None:
    """Go ``by`` steps from the current one (before the first: to step 1), within 1 to ``last``."""
    current = st.session_state.get(STEP_KEY) or 0
    st.session_state[STEP_KEY] = min(max(current + by, 1), last)


def _apply(values: Mapping[str, object], *, skip: frozenset[str] = frozenset()) -> None:
    """Put ``values`` into the controls (which are drawn later in this run); values naming a
    number the page computes wait in :data:`_PENDING` for :func:`resolve_pending`."""
    pending = {}
    for key, value in values.items():
        if key in skip:
            continue
        if isinstance(value, str) and value in lecture_path.NAMED:
            pending[key] = value
        else:
            st.session_state[key] = value
    st.session_state[_PENDING] = pending


def lecture_controls(
    page: str, defaults: Mapping[str, object], *, table_key: str | None = None
) -> lecture_path.Step | None:
    """The sidebar's top of a lecture page: its lecture path (:func:`path_panel`), then the
    button that puts every control back to the lecture's values, and the editable table
    ``table_key`` too if given. Returns the current step, if any."""
    step = path_panel(page)
    on_reset = None if table_key is None else (lambda: _ui.reset_editable_data(table_key))
    _ui.reset_button(defaults, on_reset=on_reset)
    return step


def path_panel(page: str) -> lecture_path.Step | None:
    """The lecture path's panel at the top of the sidebar; returns the current step, if any.

    A step taken (button, key, the step selector, or a link opened) sets the controls to the
    step's values; after that the controls are free until the next step. On a link's first run,
    a control the link sets itself keeps the link's value.
    """
    steps = lecture_path.path(page)
    if not steps:
        return None
    box = st.sidebar.container(border=True, key="lecture-path")
    box.markdown("**Lecture path**")
    buttons = box.container()  # above the selector, drawn once the step is known
    with box:
        st.html(STEP_KEYS, unsafe_allow_javascript=True)
    number = _ui.LinkCheckedContainer(box).segmented_control(
        "Step",
        list(range(1, len(steps) + 1)),
        key=STEP_KEY,
        bind="query-params",
        required=True,  # no step is the start, not a choice: an empty ?step= is named
        label_visibility="collapsed",
        help="Each step is a link of its own: copy the address. → and ← step too.",
    )
    before, after = buttons.columns(2)
    before.button(
        "Back",
        icon=":material/arrow_back:",
        disabled=number is None or number <= 1,
        on_click=_move,
        args=(-1, len(steps)),
        width="stretch",
        key="step-back",
    )
    after.button(
        "Next",
        icon=":material/arrow_forward:",
        disabled=number is not None and number >= len(steps),
        on_click=_move,
        args=(1, len(steps)),
        width="stretch",
        key="step-next",
        type="primary",
    )
    applied = st.session_state.setdefault(_APPLIED, {})  # page → its step last applied
    first_run = page not in applied
    if number != applied.get(page):
        applied[page] = number
        if number is not None:
            given = frozenset(st.query_params) - {STEP_KEY} if first_run else frozenset()
            _apply(steps[number - 1].values, skip=given)
            st.session_state[_ui.SCROLL_KEY] = number  # once: _ui.plot brings its figure into view
    if number is None:
        box.caption("Press **Next** (or →) to follow the lecture step by step.")
        return None
    step = steps[number - 1]
    box.markdown(f"**{number} / {len(steps)}.** {step.text}")
    st.session_state[_ui.FOCUS_KEY] = step.figure
    return step


def resolve_pending(named: Mapping[str, float]) -> None:
    """Set the controls whose step value names a number the page has now computed (``named``:
    :data:`hbviz.lecture_path.POSTERIOR_MEDIAN` → value, …). Call before drawing those controls."""
    pending = st.session_state.pop(_PENDING, None) or {}
    st.session_state.update(lecture_path.resolve(pending, named))


def preset_buttons(page: str, named: Mapping[str, float] | None = None) -> None:
    """One button per preset of the page's main dial."""
    for preset in lecture_path.presets(page):  # one under another: a dial's column is narrow
        values = lecture_path.resolve(preset.values, named or {})
        st.button(
            preset.label,
            on_click=st.session_state.update,
            args=(values,),
            key=f"preset-{preset.label}",
            width="stretch",
        )
