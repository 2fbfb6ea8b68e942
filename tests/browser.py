"""Helpers for the browser tests: a real `streamlit run` server and Debian's Chromium via Playwright.

Waits use Streamlit's own signals (the app's connection and script-run state attributes, no
skeletons left), never fixed sleeps, and are bounded by TIMEOUT_MS (HBVIZ_BROWSER_TIMEOUT_MS).
The server is started by bench/load/servers.py, which the websocket load generator uses too.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bench.load.servers import free_port, peak_rss_mb, start_streamlit, stop, wait_healthy

ROOT = Path(__file__).resolve().parent.parent
SCREENSHOTS = ROOT / "tests" / "screenshots"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-quic",
]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']"


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def require_chromium() -> str:
    """The system Chromium, or a skip saying how to install it (never a skip on CI)."""
    path = chromium_path()
    if path is None:
        message = (
            "Debian's chromium is not installed: `sudo apt-get install chromium` to run the "
            "browser tests (Playwright's own browser download is not used)."
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return path


# Every wait is bounded, and generously: on a machine loaded by other work (load average 30 on 2
# cores has been seen) a page that takes 5 s when idle can take minutes. A wait that runs out
# fails with a message naming what was awaited and the load average, never silently.
TIMEOUT_MS = int(os.environ.get("HBVIZ_BROWSER_TIMEOUT_MS", "300000"))
SERVER_START_TIMEOUT = float(os.environ.get("HBVIZ_SERVER_START_TIMEOUT", "300"))


def new_context(browser, **options):
    """A Playwright browser context whose actions and navigations wait up to TIMEOUT_MS
    (Playwright's own default is 30 s, too short on a busy machine)."""
    context = browser.new_context(**options)
    context.set_default_timeout(TIMEOUT_MS)
    context.set_default_navigation_timeout(TIMEOUT_MS)
    return context


@contextlib.contextmanager
def streamlit_server(*, timeout: float = SERVER_START_TIMEOUT) -> Iterator[str]:
    """Start `streamlit run app.py` on a free localhost port; yield its URL; always stop it.

    The server's output goes to tests/screenshots/server-<port>.log."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log_path = SCREENSHOTS / f"server-{port}.log"
    with open(log_path, "wb") as log:
        process = start_streamlit(port, log)
        url = f"http://127.0.0.1:{port}"
        try:
            wait_healthy(url, process, timeout=timeout, log_path=log_path)
            yield url
        finally:
            stop(process)


@contextlib.contextmanager
def chromium() -> Iterator:
    """Debian's Chromium launched headless by Playwright (the test skips without it); closed on
    exit."""
    executable = require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@contextlib.contextmanager
def served_page(**options) -> Iterator[tuple[str, object]]:
    """A fresh server and one Chromium page for it: yields (the server's URL, the page).
    ``options`` go to :func:`new_context` (e.g. ``viewport``)."""
    require_chromium()  # skip before starting a server that nothing would visit
    with streamlit_server() as url, chromium() as browser:
        yield url, new_context(browser, **options).new_page()


def _load() -> str:
    return f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"


def wait_idle(page, *, timeout_ms: float = TIMEOUT_MS) -> None:
    """Wait until the script has finished its run and nothing on the page is still a skeleton."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        page.wait_for_selector(IDLE, timeout=timeout_ms)
        page.wait_for_function(
            "() => !document.querySelector(\"[data-testid='stSkeleton'],"
            " [data-testid='stAppSkeleton']\")",
            timeout=timeout_ms,
        )
    except PlaywrightTimeout as err:
        raise AssertionError(
            f"{page.url} did not finish its script run within {timeout_ms / 1000:g} s ({_load()})"
        ) from err


def rerun_after(page, action, *, timeout_ms: float = TIMEOUT_MS) -> None:
    """Do ``action`` and wait for the rerun it starts to finish.

    A rerun first flips the script state to running; waiting for that flip (briefly) before
    waiting for idle keeps a fast rerun from being mistaken for no rerun.
    """
    action()
    with contextlib.suppress(Exception):
        page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='running']", timeout=2_000
        )
    wait_idle(page, timeout_ms=timeout_ms)


def eventually(check, *, what: str, timeout_ms: float = TIMEOUT_MS, every: float = 0.25):
    """Poll ``check()`` until it returns something true and return that; fail naming ``what``.

    For what a page shows after its run: the script state says idle a moment before the browser
    has drawn everything, and between a run stopped by st.rerun and the rerun it asks for (a
    fresh server's first direct link goes through the router that way). On an idle machine the
    gap is too short to see; on a busy one a single read can land in it.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not true within {timeout_ms / 1000:g} s ({_load()})")
        time.sleep(every)


def assert_no_exception(page) -> None:
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()


def full_screenshot(page, path) -> None:
    """Screenshot the whole page. Streamlit scrolls inside its main container, so a full-page
    screenshot shows one screen only: grow the viewport to the content's height first."""
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll(\"[data-testid='stMain'], "
        "[data-testid='stMainBlockContainer']\")].map(e => e.scrollHeight))"
    )
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": min(max(height, 800), 12_000)})
    wait_idle(page)
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)


def server_pid(port: int) -> int:
    """The pid of the `streamlit run … --server.port <port>` process (a child of this one)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"streamlit" in b" ".join(args) and str(port).encode() in args:
            return int(entry.name)
    raise LookupError(f"no streamlit process on port {port}")


__all__ = [
    "CHROMIUM_ARGS",
    "IDLE",
    "ROOT",
    "SCREENSHOTS",
    "SERVER_START_TIMEOUT",
    "TIMEOUT_MS",
    "assert_no_exception",
    "chromium_path",
    "eventually",
    "free_port",
    "full_screenshot",
    "new_context",
    "peak_rss_mb",
    "require_chromium",
    "rerun_after",
    "server_pid",
    "streamlit_server",
    "wait_idle",
]
