"""Presenter mode, the lecture paths and the main dials' presets, run as pages (AppTest).

Each path is walked with its Next button in one AppTest per page: every step sets the controls
to its values (a value the page computes, such as the posterior median of τ, to the page's
number), frames its figure, and Back goes back. The browser tests walk the same paths with the
keyboard (tests/test_browser_present.py)."""

from __future__ import annotations

import json

import pytest

from hbviz import lecture, lecture_path
from hbviz.plots import style
from pages import _ui
from tests.conftest import metric

PATH_PAGES = list(lecture_path.PATHS)
STEP_NOTE = "**step**"


def link_notes(at) -> list[str]:
    return [w.value for w in at.warning if "cannot be used" in w.value]


def shown(at, key: str):
    """The value of the control ``key`` (any kind of widget)."""
    return at.session_state[key]


def expected(at, page: str, values) -> dict[str, object]:
    """A step's values with the names of computed numbers replaced by what the page shows."""
    named = {}
    if page == lecture_path.SCHOOLS:
        tau = at.slider(key="tau")
        median = float(metric(at, "Hierarchical: median of τ"))
        named = {lecture_path.POSTERIOR_MEDIAN: median, lecture_path.AXIS_END: tau.max}
    return lecture_path.resolve(values, named)


@pytest.mark.parametrize("page", PATH_PAGES, ids=[p.split("/")[1][:-3] for p in PATH_PAGES])
def test_next_walks_every_step_and_sets_its_controls(app_page, page):
    steps = lecture_path.path(page)
    # the eight-schools NUTS step's fits at 50 draws: a control the link sets keeps its value
    small = {"nuts_draws": "50"} if page == lecture_path.SCHOOLS else {}
    at = app_page(page, query={"step": "1"} | small)
    for number, step in enumerate(steps, start=1):
        assert not at.exception, at.exception
        assert not link_notes(at), link_notes(at)
        assert at.session_state["step"] == number
        assert any(f"{number} / {len(steps)}." in m.value for m in at.sidebar.markdown)
        assert at.session_state[_ui.FOCUS_KEY] == step.figure
        for key, value in expected(at, page, step.values).items():
            if key == "tau" and page == lecture_path.SCHOOLS:
                value = pytest.approx(value, abs=0.5)  # the median, on the slider's 0.5 grid
            assert shown(at, key) == value, (number, key)
        if number < len(steps):
            at.button(key="step-next").click().run()
    assert at.button(key="step-next").disabled
    at.button(key="step-back").click().run()
    assert at.session_state["step"] == len(steps) - 1


def test_a_link_to_a_step_keeps_the_values_it_sets_itself(app_page):
    at = app_page(lecture_path.SCHOOLS, query={"step": "3", "tau": "7"})
    assert at.slider(key="tau").value == 7.0  # the link's own τ, not step 3's τ = 0
    at.button(key="step-next").click().run()  # a step taken afterwards sets its values
    assert at.slider(key="tau").value == pytest.approx(
        float(metric(at, "Hierarchical: median of τ")), abs=0.5
    )


@pytest.mark.parametrize("text", ["0", "99", "two", "3.5"])
def test_a_step_the_path_does_not_have_is_named_and_ignored(app_page, text):
    at = app_page(lecture_path.DRUG, query={"step": text})
    assert not at.exception
    assert any(STEP_NOTE in note for note in link_notes(at))
    assert at.session_state["step"] is None
    assert at.number_input(key="current_y").value == 4


def test_the_eight_schools_presets_move_tau(app_page):
    at = app_page(lecture_path.SCHOOLS)
    by_label = {b.label: b for b in at.button}
    by_label["τ = 0"].click().run()
    assert at.slider(key="tau").value == 0.0
    at.button(key="preset-τ → ∞ (large)").click().run()
    assert at.slider(key="tau").value == at.slider(key="tau").max
    at.button(key="preset-posterior median").click().run()
    median = float(metric(at, "Hierarchical: median of τ"))
    assert at.slider(key="tau").value == pytest.approx(median, abs=0.5)


def test_the_drug_trial_presets_set_y_and_n(app_page):
    at = app_page(lecture_path.DRUG, query={"current_y": "0", "current_n": "30"})
    at.button(key="preset-same rate, 40 / 140").click().run()
    assert (at.number_input(key="current_y").value, at.number_input(key="current_n").value) == (
        40,
        140,
    )
    at.button(key="preset-the lecture's 4 / 14").click().run()
    assert at.number_input(key="current_y").value == 4


def test_reset_restores_the_sampler_settings_and_leaves_the_path(app_page):
    page = lecture.page(lecture_path.POOLING)
    query = {"chains": "1", "warmup": "100", "draws": "50", "step": "2"}
    at = app_page(lecture_path.POOLING, query=query)

    def sampler():
        return [at.slider(key="chains").value] + [
            at.select_slider(key=key).value for key in ("warmup", "draws")
        ]

    assert sampler() == [1, 100, 50]
    at.button(key="reset").click().run()
    assert not at.exception
    assert sampler() == [page.nuts_chains, page.nuts_warmup, page.nuts_draws] == [2, 500, 1000]
    assert at.session_state["step"] is None


def test_presenter_mode_scales_the_page_and_folds_the_secondary_controls(app_page):
    at = app_page(lecture_path.SCHOOLS, query={"present": "true"})
    assert at.toggle(key=_ui.PRESENT_KEY).value is True
    assert any("font-size" in h.proto.body for h in at.get("html"))
    assert [e.label for e in at.sidebar.expander] == ["More controls"]
    fonts = {json.loads(c.proto.spec)["layout"]["font"]["size"] for c in at.get("plotly_chart")}
    assert fonts == {style.LARGE_FONT}
    # switched off: no CSS, the controls back in the sidebar, the link no longer says present
    at.toggle(key=_ui.PRESENT_KEY).set_value(False).run()
    assert not any("font-size" in h.proto.body for h in at.get("html"))
    assert not at.sidebar.expander
    assert "present" not in at.query_params


def test_a_bad_presenter_link_is_named_and_the_mode_stays_off(app_page):
    at = app_page("pages/home.py", query={"present": "<b>yes</b>"})
    assert not at.exception
    assert any(f"**{_ui.PRESENT_KEY}**" in note for note in link_notes(at))
    assert at.toggle(key=_ui.PRESENT_KEY).value is False
