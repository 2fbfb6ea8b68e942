"""Presenter mode and the lecture paths in Chromium: the switch survives page changes and scales
the page, every step of every path is reached by the keyboard or a button and shows its values and
its figure, and no page asks any host but the app's own server for anything.

One server and one browser tab for the whole module (the tab's request log is the last test's
evidence), and as few page loads as the checks allow.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from hbviz import lecture, lecture_path
from tests.browser import (
    CHROMIUM_ARGS,
    SCREENSHOTS,
    assert_no_exception,
    eventually,
    full_screenshot,
    new_context,
    require_chromium,
    rerun_after,
    streamlit_server,
    wait_idle,
)

pytestmark = pytest.mark.browser
REQUESTS: set[str] = set()  # every URL the tab asked for, over the whole module


@pytest.fixture(scope="module")
def server():
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def tab():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = new_context(browser, viewport={"width": 1366, "height": 768})
        page = context.new_page()
        page.on("request", lambda request: REQUESTS.add(request.url))
        yield page
        browser.close()


def query(page) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(urlparse(page.url).query).items()}


def root_font_px(page) -> float:
    return page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")


def url_path(entry: lecture.LecturePage) -> str:
    return entry.path.removeprefix("pages/").removesuffix(".py")


def test_presenter_mode_is_kept_across_pages_and_scales_the_page(tab, server):
    tab.goto(f"{server}/?present=true")
    wait_idle(tab)
    assert_no_exception(tab)
    assert root_font_px(tab) >= 20  # our CSS: every rem-sized text is larger
    graph = tab.locator("[data-testid='stGraphVizChart'] svg")
    assert graph.evaluate("e => getComputedStyle(e).zoom") == "1.4"
    full_screenshot(tab, SCREENSHOTS / "present_home.png")
    # the sidebar's navigation to another page keeps the switch, and the URL keeps it too
    nav = tab.locator("[data-testid='stSidebarNav'] a").filter(has_text="Eight schools")
    rerun_after(tab, nav.click)
    eventually(lambda: "eight_schools" in tab.url, what="the eight-schools page opened")
    wait_idle(tab)
    eventually(lambda: query(tab).get("present") == "true", what="present=true kept in the URL")
    assert root_font_px(tab) >= 20
    switch = tab.get_by_role("switch", name="Presenter mode")
    assert switch.is_checked()
    # in presenter mode the secondary controls are folded away
    assert tab.locator("[data-testid='stSidebar'] [data-testid='stExpander']").count() == 1
    # switched off, the page is back to its normal size, and the URL says so
    rerun_after(tab, lambda: switch.click(force=True))
    eventually(lambda: root_font_px(tab) < 18, what="normal text size after switching off")
    assert "present" not in query(tab)


def press(tab, key: str) -> None:
    """Press ``key`` on the page itself (not in a control), held briefly as a person would."""
    tab.evaluate("() => document.activeElement?.blur()")  # no control has the focus
    tab.keyboard.down(key)
    tab.wait_for_timeout(100)
    tab.keyboard.up(key)


def in_view(tab) -> bool:
    """Whether the framed figure's middle is on the screen."""
    return tab.evaluate(
        """() => {
            const box = document.querySelector(".st-key-step-focus")?.getBoundingClientRect();
            return !!box && 0 <= (box.top + box.bottom) / 2 && (box.top + box.bottom) / 2 <= innerHeight;
        }"""
    )


def step_text(tab) -> str:
    return tab.locator(".st-key-lecture-path").inner_text()


def control_value(tab, key: str) -> str:
    """The value the control bound to ``key`` shows (slider, number box, select box, toggle)."""
    return tab.evaluate(
        """key => {
            const root = document.querySelector(`.st-key-${key}`);
            if (!root) return null;
            const box = root.querySelector("input[type='number']");
            if (box) return box.value;
            const range = root.querySelector("[role='slider']");
            if (range) return range.getAttribute("aria-valuenow");
            const check = root.querySelector("input[type='checkbox']");
            if (check) return String(check.checked);
            const input = root.querySelector("input");  // a select box shows its choice here
            return root.innerText + " " + (input ? input.value : "");
        }""",
        key,
    )


def shows(value: object) -> tuple[str, ...]:
    """How a step's value may read in its control."""
    if isinstance(value, bool):
        return (str(value).lower(),)
    if isinstance(value, float):
        return (f"{value:g}", str(value))
    return (str(value),)


PATH_PAGES = [lecture.page(path) for path in lecture_path.PATHS]


@pytest.mark.parametrize("entry", PATH_PAGES, ids=[url_path(e) for e in PATH_PAGES])
def test_every_step_of_the_path_is_reached_and_shows_its_values_and_figure(tab, server, entry):
    steps = lecture_path.path(entry.path)
    tab.goto(f"{server}/{url_path(entry)}?present=true&step=1")
    wait_idle(tab)
    for number, step in enumerate(steps, start=1):
        if number > 1:  # the keyboard's → takes the next step
            rerun_after(tab, lambda: press(tab, "ArrowRight"))
        eventually(lambda n=number: query(tab).get("step") == str(n), what=f"step={number}")
        wait_idle(tab)
        assert_no_exception(tab)
        assert f"{number} / {len(steps)}." in step_text(tab)
        focus = tab.locator(".st-key-step-focus [data-testid='stPlotlyChart'] .main-svg")
        eventually(lambda f=focus: f.count() >= 1, what=f"step {number}'s figure framed")
        eventually(lambda: in_view(tab), what=f"step {number}'s figure scrolled into view")
        for key, value in step.values.items():
            if value in lecture_path.NAMED:
                continue  # a number the page computes; the AppTest tests check it
            assert any(v in (control_value(tab, key) or "") for v in shows(value)), (key, value)
    full_screenshot(tab, SCREENSHOTS / f"present_{url_path(entry)}.png")
    # ← goes back one step; the Back button too
    rerun_after(tab, lambda: press(tab, "ArrowLeft"))
    eventually(lambda: query(tab).get("step") == str(len(steps) - 1), what="← went back")
    back = tab.locator(".st-key-step-back button")
    rerun_after(tab, back.click)
    eventually(lambda: query(tab).get("step") == str(len(steps) - 2), what="Back went back")


def test_no_page_asks_any_host_but_the_app_server(tab, server):
    """Offline lecture rooms: fonts, icons and scripts all come from the app's own server."""
    for entry in lecture.PAGES:
        if entry.path in lecture_path.PATHS:
            continue  # opened by the test above, in this same tab
        tab.goto(f"{server}/{'' if entry is lecture.HOME else url_path(entry)}")
        wait_idle(tab)
    assert REQUESTS, "no request recorded"
    outside = sorted(u for u in REQUESTS if urlparse(u).hostname not in ("127.0.0.1", "localhost"))
    assert not outside, outside
