"""Malformed links in a real browser: the links that used to crash a page now show it with the
lecture's data, a note naming the parameter, the reset button, and no exception."""

from __future__ import annotations

import pytest

from tests.browser import SCREENSHOTS, assert_no_exception, served_page, wait_idle

pytestmark = pytest.mark.browser

# (path and query as a person would paste it, the parameter the note must name)
LINKS = [
    ("eight_schools?data=garbage", "data"),
    ("eight_schools?data=school%2Cy%0AA%2C1", "data"),
    ("free_throws?seasons=garbage", "seasons"),
    ("drug_trial?current_y=inf&current_n=1e400", "current_n"),
    ("eight_schools?tau_prior=&nuts_draws=%zz%E2%8", "tau_prior"),
]


@pytest.fixture(scope="module")
def browser_page():
    with served_page(viewport={"width": 1400, "height": 1000}) as (url, page):
        yield url, page


@pytest.mark.parametrize(("link", "key"), LINKS, ids=[link for link, _ in LINKS])
def test_a_malformed_link_shows_the_page_with_a_note(browser_page, link, key):
    url, page = browser_page
    page.goto(f"{url}/{link}")
    wait_idle(page)
    notes = page.locator("[data-testid='stAlert']").filter(has_text="cannot be used")
    notes.first.wait_for()
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
    wait_idle(page)
    # the bad value leaves the address bar, so a link copied now is a clean one
    page.wait_for_function("key => !new URLSearchParams(location.search).has(key)", arg=key)
    assert_no_exception(page)
    assert notes.count() == 1
    assert f"{key} =" in notes.first.inner_text()
    assert page.get_by_role("button", name="Reset to the lecture's values").count() == 1
    name = link.split("?")[0]
    page.screenshot(path=str(SCREENSHOTS / f"bad_link_{name}_{key}.png"))
