"""Helpers for the browser tests: a real `streamlit run` server and Debian's Chromium via Playwright.

Waits use Streamlit's own signals (the app's connection and script-run state attributes, no
skeletons left), never fixed sleeps.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def streamlit_server(*, timeout: float = 90) -> Iterator[str]:
    """Start `streamlit run app.py` on a free localhost port; yield its URL; always stop it."""
    port = free_port()
    log = open(ROOT / "tests" / "screenshots" / f"server-{port}.log", "wb")  # noqa: SIM115
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(ROOT / "app.py"),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--server.fileWatcherType",
            "none",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"streamlit exited with {process.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError(f"streamlit did not answer /_stcore/health in {timeout} s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def wait_idle(page, *, timeout_ms: float = 120_000) -> None:
    """Wait until the script has finished its run and nothing on the page is still a skeleton."""
    page.wait_for_selector(IDLE, timeout=timeout_ms)
    page.wait_for_function(
        "() => !document.querySelector(\"[data-testid='stSkeleton'],"
        " [data-testid='stAppSkeleton']\")",
        timeout=timeout_ms,
    )


def rerun_after(page, action, *, timeout_ms: float = 120_000) -> None:
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


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the peak resident set size) of a process, in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise LookupError("no VmHWM in /proc status")
