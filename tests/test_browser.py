"""The app in a real browser: Debian's Chromium driven by Playwright against `streamlit run`.

Screenshots of every page land in tests/screenshots/ (git-ignored); `make screenshots` copies
them into docs/ for the README.
"""

from __future__ import annotations

import pytest

from tests.browser import (
    CHROMIUM_ARGS,
    ROOT,
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

PAGES = ["home", "levels_of_pooling", "free_throws", "drug_trial", "eight_schools", "your_data"]
PAGES += ["simulation_lab"]


@pytest.fixture(scope="module")
def server():
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = new_context(browser, viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    yield page
    context.close()


def open_page(page, server, path: str, query: str = "") -> None:
    page.goto(f"{server}/{'' if path == 'home' else path}{query}")
    wait_idle(page)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_loads_with_its_figures_drawn(page, server, path):
    """In presenter mode, as projected: these are the README's screenshots."""
    open_page(page, server, path, "?present=true")
    assert_no_exception(page)
    charts = page.locator("[data-testid='stPlotlyChart'] .main-svg")
    charts.first.wait_for()
    assert charts.count() >= 1
    full_screenshot(page, SCREENSHOTS / f"{path}.png")


def shown_state(page) -> str:
    """Everything a person sees that a rerun can change: the page text and every chart's data."""
    return page.evaluate(
        """() => JSON.stringify([
            document.querySelector("[data-testid='stMain']").innerText,
            [...document.querySelectorAll('.js-plotly-plot')].map(g => g.data),
        ])"""
    )


def move_slider(page, label: str, key: str, *, presses: int = 1) -> None:
    """Focus the slider whose label contains ``label`` and press the right arrow key."""
    slider = page.locator("[data-testid='stSlider']").filter(has_text=label)
    thumb = slider.locator("input[type='range']")
    thumb.focus()
    for _ in range(presses):
        rerun_after(page, lambda: thumb.press("ArrowRight"))


# (page, slider label, its query parameter): the main slider of each lecture page.
SLIDERS = [
    ("eight_schools", "τ for Figs. 5.6", "tau"),
    ("free_throws", "α (prior makes + 1)", "prior_alpha"),
    ("levels_of_pooling", "Chains", "chains"),
]


@pytest.mark.parametrize(("path", "label", "key"), SLIDERS, ids=[s[0] for s in SLIDERS])
def test_a_slider_moved_by_keyboard_changes_what_is_shown(page, server, path, label, key):
    open_page(page, server, path)
    before = shown_state(page)
    move_slider(page, label, key)
    assert_no_exception(page)
    eventually(lambda: f"{key}=" in page.url, what=f"{key}= in the URL")
    eventually(lambda: shown_state(page) != before, what="the page changed after the move")


def received_frames(page) -> list:
    """Every websocket frame the page receives from now on (Streamlit's ForwardMsgs), in order:
    call before the page opens its connection."""
    frames = []
    page.on("websocket", lambda ws: ws.on("framereceived", lambda frame: frames.append(frame)))
    return frames


def last_run(page, frames) -> list:
    """The ForwardMsgs of the last script run the page was sent, from its new_session message
    to its script_finished (waited for: Playwright hands frames over as it gets to them)."""
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    def finished_run() -> list | None:
        page.evaluate("() => 0")  # a round trip: the frames received so far are handed over
        msgs = []
        for frame in frames:
            msg = ForwardMsg()
            msg.ParseFromString(frame if isinstance(frame, bytes) else frame.encode())
            msgs.append(msg)
        starts = [i for i, m in enumerate(msgs) if m.HasField("new_session")]
        run = msgs[starts[-1] :] if starts else []
        return run if any(m.HasField("script_finished") for m in run) else None

    return eventually(finished_run, what="the last run's messages")


def fragment_run(msgs) -> list[str]:
    """The fragments a run's messages say it ran (empty for a run of the whole page)."""
    return list(msgs[0].metadata.run.fragment_ids)


def test_a_move_of_tau_reruns_and_resends_only_its_fragment(page, server):
    """Issue 14: τ changes sections 2-3 only; the press reruns their fragment (the run the server
    starts names it) and sends their four figures, not the page's other six."""
    frames = received_frames(page)
    open_page(page, server, "eight_schools")
    assert not fragment_run(last_run(page, frames))  # the page's first run: all of it
    move_slider(page, "τ for Figs. 5.6", "tau")
    eventually(lambda: "tau=" in page.url, what="tau= in the URL")
    msgs = last_run(page, frames)
    assert fragment_run(msgs)
    charts = [
        m.delta.new_element.plotly_chart.id
        for m in msgs
        if m.HasField("delta") and m.delta.new_element.HasField("plotly_chart")
    ]
    assert len(charts) == 4, charts
    assert sum(c.endswith(("-tau-posterior", "-shrinkage")) for c in charts) == 2, charts
    assert_no_exception(page)


def test_a_new_seed_on_levels_of_pooling_reruns_only_the_fits_fragment(page, server):
    frames = received_frames(page)
    open_page(page, server, "levels_of_pooling")
    assert not fragment_run(last_run(page, frames))
    box = page.get_by_label("Seed", exact=True)
    box.focus()
    rerun_after(page, lambda: (box.press("ArrowUp"), box.press("Enter")))
    eventually(lambda: "seed=1" in page.url, what="seed=1 in the URL")
    msgs = last_run(page, frames)
    assert fragment_run(msgs)
    # the three fits' summary tables and figures are sent again, the data editor above is not
    kinds = [m.delta.new_element.WhichOneof("type") for m in msgs if m.HasField("delta")]
    assert kinds.count("dataframe") == 3 and kinds.count("plotly_chart") == 3, kinds
    assert_no_exception(page)


def test_a_link_with_query_parameters_reproduces_the_view(page, server):
    open_page(page, server, "eight_schools", "?tau=3&c=10")
    thumb = page.locator("[data-testid='stSlider']").filter(has_text="τ for Figs. 5.6")
    assert thumb.locator("input[type='range']").input_value() == "3"
    shared = shown_state(page)
    # the same link in a fresh tab shows the same thing
    other = page.context.new_page()
    open_page(other, server, "eight_schools", "?tau=3&c=10")
    eventually(lambda: shown_state(other) == shared, what="the second tab shows the same view")
    other.close()


def test_a_direct_link_as_a_fresh_servers_first_request_goes_through_the_router(page):
    """The sidebar lists the app's pages by title, never the files in pages/ (see _ui)."""
    with streamlit_server() as fresh:
        open_page(page, fresh, "free_throws")

        # the page's first run stops itself (st.rerun) to go through the router; wait for that
        # rerun's sidebar rather than reading the one drawn in between
        def routed_nav() -> str | None:
            text = page.locator("[data-testid='stSidebarNav']").inner_text()
            return text if "Eight schools" in text else None

        nav = eventually(routed_nav, what="the router's page titles in the sidebar")
    assert "ui" not in nav.split()


def test_the_nuts_panel_finishes_and_shows_its_diagnostics(page, server):
    open_page(page, server, "eight_schools", "?nuts=true&nuts_draws=100")
    assert_no_exception(page)
    main = page.locator("[data-testid='stMain']")
    eventually(
        lambda: all(w in main.inner_text() for w in ("divergences", "max R-hat", "min n_eff")),
        what="the NUTS diagnostics shown",
    )
    assert main.locator("[data-testid='stMetricValue']").count() >= 6  # both forms


def test_a_number_typed_by_keyboard_changes_the_drug_trial(page, server):
    open_page(page, server, "drug_trial")
    before = shown_state(page)
    box = page.get_by_label("rats with tumors, y")
    box.focus()
    rerun_after(page, lambda: (box.press("ArrowUp"), box.press("Enter")))
    assert_no_exception(page)
    eventually(lambda: "y=5" in page.url, what="y=5 in the URL")
    eventually(lambda: shown_state(page) != before, what="the page changed after the move")


def test_an_upload_is_analysed_and_a_bad_file_is_named_without_losing_it(page, server, tmp_path):
    open_page(page, server, "your_data", "?source=Upload+a+file")
    good = ROOT / "data" / "examples" / "estimates_bcg.csv"
    chooser = page.locator("[data-testid='stFileUploader'] input[type='file']")
    rerun_after(page, lambda: chooser.set_input_files(str(good)))
    assert_no_exception(page)
    page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for()
    assert "estimates_bcg.csv" in page.locator("[data-testid='stMain']").inner_text()

    bad = tmp_path / "bad_counts.csv"
    bad.write_text("group,successes,trials\nA,5,3\nB,x,10\n")
    rerun_after(page, lambda: chooser.set_input_files(str(bad)))
    assert_no_exception(page)
    error = page.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "Row 2" in error and "Row 3" in error  # both problems, each with its row
    kept = page.locator("[data-testid='stAlertContentInfo']").first.inner_text()
    assert "the page analyses estimates_bcg.csv, the last data you loaded" in kept
    assert page.locator("[data-testid='stPlotlyChart'] .main-svg").count() >= 1

    empty = tmp_path / "empty.csv"
    empty.write_text("")
    rerun_after(page, lambda: chooser.set_input_files(str(empty)))
    assert_no_exception(page)
    error = page.locator("[data-testid='stAlertContentError']").first.inner_text()
    assert "empty.csv" in error and "The file is empty" in error


def test_the_regression_example_draws_its_lines_and_refits_on_a_key_press(page, server):
    """Issue 16: the regression example shows its four figures; the τ-scale slider moved by
    keyboard refits partial pooling and goes into the URL."""
    example = "Regression%3A+radon-like%2C+85+counties+%28simulated%29"
    open_page(page, server, "your_data", f"?example={example}")
    assert_no_exception(page)
    charts = page.locator("[data-testid='stPlotlyChart'] .main-svg")
    eventually(lambda: charts.count() >= 4, what="the four regression figures drawn")
    main = page.locator("[data-testid='stMain']").inner_text()
    assert "A line per group" in main and "Population slope" in main
    full_screenshot(page, SCREENSHOTS / "your_data_regression.png")
    before = shown_state(page)
    move_slider(page, "Scale of the τ priors", "reg_tau_scale")
    assert_no_exception(page)
    eventually(lambda: "reg_tau_scale=2" in page.url, what="reg_tau_scale=2 in the URL")
    eventually(lambda: shown_state(page) != before, what="the page changed after the move")


def test_the_logit_switch_and_the_prior_predictive_panel(page, server):
    """Drug trial: the scale switch redraws Fig. 5.4 on the logit scale and keeps it in the link;
    the prior predictive check opens and draws its Beta curves and rates."""
    open_page(page, server, "drug_trial")
    axis_titles = "() => [...document.querySelectorAll('.g-xtitle')].map(t => t.textContent)"
    assert not any("empirical logit" in t for t in page.evaluate(axis_titles))
    switch = page.locator("[data-testid='stButtonGroup']").filter(has_text="logit")
    rerun_after(page, lambda: switch.get_by_role("radio", name="logit").click())
    assert_no_exception(page)
    eventually(lambda: "scale=logit" in page.url, what="scale=logit in the URL")
    eventually(
        lambda: any("empirical logit" in t for t in page.evaluate(axis_titles)),
        what="Fig. 5.4's axis on the logit scale",
    )
    panel = page.locator("[data-testid='stExpander']").filter(has_text="Prior predictive check")
    panel.locator("summary").click()
    charts = panel.locator("[data-testid='stPlotlyChart'] .main-svg")
    eventually(lambda: charts.count() >= 2, what="the prior predictive figures drawn")
    assert "improper" in panel.inner_text()
    full_screenshot(page, SCREENSHOTS / "drug_trial_logit_prior_check.png")
