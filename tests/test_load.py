"""A lecture hall at once, against one real `streamlit run` server.

The websocket test is the load: 20 sessions speak Streamlit's protocol (bench/load, no browser,
so the client costs the 2 shared cores little) for 20 s on a fresh server with its warm-up on;
half open NUTS pages, half conjugate pages, and each moves a control every 2–5 s. It asserts what
does not depend on timing: every session connected, every move was answered by a run that
finished, no exception element, no error, no traceback in the server's log. Latencies are
printed and written to tests/screenshots/load.json, never asserted (the full measurement is
`python -m bench.load`, bench/LOAD.md). Sizes by environment:

    HBVIZ_LOAD_SESSIONS   websocket sessions (default 20)
    HBVIZ_LOAD_SECONDS    how long each keeps moving controls (default 20)
    HBVIZ_LOAD_TABS       Chromium tabs of the browser test (default 4)

The browser test keeps what only a browser shows: a few Chromium tabs (one Playwright context
each) move the τ slider of eight schools and the drug trial's "rats with tumors" input by
keyboard, and each sees its page redrawn with the new answer and no exception element.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time

import numpy as np
import pytest

from bench.load.measure import measure
from bench.load.servers import cpu_seconds
from tests.browser import (
    CHROMIUM_ARGS,
    IDLE,
    SCREENSHOTS,
    TIMEOUT_MS,
    peak_rss_mb,
    require_chromium,
    server_pid,
    streamlit_server,
)

pytestmark = pytest.mark.load

SESSIONS = int(os.environ.get("HBVIZ_LOAD_SESSIONS", "20"))
SECONDS = float(os.environ.get("HBVIZ_LOAD_SECONDS", "20"))
TABS = int(os.environ.get("HBVIZ_LOAD_TABS", "4"))
BROWSER_SECONDS = 10.0


def test_a_lecture_hall_over_the_websocket_gets_every_move_answered():
    run = measure(SESSIONS, SECONDS, 1, warm_up=True, work_dir=SCREENSHOTS / "load")
    figures = {k: v for k, v in run.items() if k != "records"}
    (SCREENSHOTS / "load.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\nload:", json.dumps(figures))

    assert run["error_messages"] == []
    everyone = run["all"]
    assert everyone["connected"] == SESSIONS
    assert everyone["errors"] == 0
    for record in run["records"]:
        assert record["moves"] >= 1, record  # 20 s of 2–5 s pauses: every session moved
        assert len(record["latencies"]) == record["moves"], record  # and got every answer
    assert run["nuts"]["answered"] >= 1 and run["conjugate"]["answered"] >= 1
    assert run["server_log_tracebacks"] == 0, run["work_dir"]


# A student needs a moment between two moves; without it the test measures a denial of service.
THINK_SECONDS = (1.0, 2.0)
# Students do not all press Enter on the link in the same instant: one arrives every ARRIVAL s.
ARRIVAL = 0.5

# The state a person sees changes with every move: eight schools names τ in a header, the drug
# trial names y/n in one. Text is cheap to poll (every chart's data is not).
CHANGED_AND_IDLE = (
    """(before) => {
    const app = document.querySelector(\""""
    + IDLE.replace('"', '\\"')
    + """\");
    if (!app) return false;
    if (document.querySelector("[data-testid='stSkeleton'], [data-testid='stAppSkeleton']"))
        return false;
    const main = document.querySelector("[data-testid='stMain']");
    return main !== null && main.innerText !== before;
}"""
)

MAIN_TEXT = "() => document.querySelector(\"[data-testid='stMain']\").innerText"


async def open_page(context, url: str):
    page = await context.new_page()
    await page.goto(url, timeout=TIMEOUT_MS)
    await page.wait_for_selector(IDLE, timeout=TIMEOUT_MS)
    await page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton'], "
        "[data-testid='stAppSkeleton']\")",
        timeout=TIMEOUT_MS,
    )
    return page


async def control(page, which: str):
    if which == "eight_schools":
        slider = page.locator("[data-testid='stSlider']").filter(has_text="τ for Figs. 5.6")
        return slider.locator("input[type='range']"), ("ArrowRight", "ArrowLeft")
    return page.get_by_label("rats with tumors, y"), ("ArrowUp", "ArrowDown")


async def student(
    browser, url: str, which: str, arrival: float, deadline: float, rng: random.Random
) -> dict:
    """One session: open the page, then move its control back and forth until the deadline."""
    await asyncio.sleep(arrival)
    context = await browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    record = {"page": which, "latencies": [], "unchanged": 0, "exceptions": [], "error": None}
    try:
        start = time.perf_counter()
        page = await open_page(context, f"{url}/{which}")
        record["open_s"] = time.perf_counter() - start
        box, keys = await control(page, which)
        await box.focus()
        step = 0
        while time.monotonic() < deadline or not record["latencies"]:
            before = await page.evaluate(MAIN_TEXT)
            key = keys[step % 2]
            start = time.perf_counter()
            await box.press(key)
            if which == "drug_trial":
                await box.press("Enter")
            try:
                await page.wait_for_function(
                    CHANGED_AND_IDLE, arg=before, timeout=TIMEOUT_MS, polling=100
                )
            except Exception:
                record["unchanged"] += 1
                raise
            record["latencies"].append(time.perf_counter() - start)
            found = page.locator("[data-testid='stException']")
            if await found.count():
                record["exceptions"].append(await found.first.inner_text())
            step += 1
            await asyncio.sleep(rng.uniform(*THINK_SECONDS))
    except Exception as err:  # reported per session below, with the page it was on
        record["error"] = f"{type(err).__name__}: {err}"
    finally:
        await context.close()
    return record


async def lecture_hall(url: str, executable: str) -> tuple[list[dict], float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            # The instructor opens both pages first (a cold server compiles the samplers once).
            warm = await browser.new_context()
            warm.set_default_timeout(TIMEOUT_MS)
            warm.set_default_navigation_timeout(TIMEOUT_MS)
            for which in ("eight_schools", "drug_trial"):
                await open_page(warm, f"{url}/{which}")
            await warm.close()
            start = time.monotonic()
            deadline = start + BROWSER_SECONDS
            rng = random.Random(7)
            records = await asyncio.gather(
                *(
                    student(
                        browser,
                        url,
                        ("eight_schools", "drug_trial")[i % 2],
                        i * ARRIVAL,
                        deadline,
                        random.Random(rng.random()),
                    )
                    for i in range(TABS)
                )
            )
            return list(records), time.monotonic() - start
        finally:
            await browser.close()


@pytest.mark.browser
def test_a_few_browser_tabs_moving_controls_see_every_answer_drawn():
    executable = require_chromium()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    with streamlit_server() as url:
        assert url.startswith("http://127.0.0.1:")
        pid = server_pid(int(url.rsplit(":", 1)[1]))
        cpu_before = cpu_seconds(pid)
        records, elapsed = asyncio.run(lecture_hall(url, executable))
        server_cpu = cpu_seconds(pid) - cpu_before
        rss = peak_rss_mb(pid)
        log_path = SCREENSHOTS / f"server-{url.rsplit(':', 1)[1]}.log"
    latencies = np.array([t for r in records for t in r["latencies"]])
    figures = {
        "tabs": TABS,
        "seconds": BROWSER_SECONDS,
        "wall_seconds": round(elapsed, 1),
        "reruns": int(latencies.size),
        "rerun_p50_s": round(float(np.percentile(latencies, 50)), 3) if latencies.size else None,
        "rerun_p95_s": round(float(np.percentile(latencies, 95)), 3) if latencies.size else None,
        "rerun_max_s": round(float(latencies.max()), 3) if latencies.size else None,
        "page_open_p50_s": round(float(np.median([r.get("open_s", np.nan) for r in records])), 2),
        "server_peak_rss_mb": round(rss, 1),
        # the server's share of the machine while the sessions ran (1.0 = one core busy)
        "server_cpu_cores": round(server_cpu / elapsed, 2),
        "cpus": os.cpu_count(),
        "per_page": {
            which: int(sum(len(r["latencies"]) for r in records if r["page"] == which))
            for which in ("eight_schools", "drug_trial")
        },
    }
    (SCREENSHOTS / "load_browser.json").write_text(json.dumps(figures, indent=2) + "\n")
    print("\nload (browser):", json.dumps(figures))

    failed = [(i, r["page"], r["error"]) for i, r in enumerate(records) if r["error"]]
    assert not failed, failed
    raised = [(i, r["exceptions"]) for i, r in enumerate(records) if r["exceptions"]]
    assert not raised, raised
    # every session got at least one answer, and every move it made got one
    assert all(r["latencies"] and not r["unchanged"] for r in records)
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
