"""Section 7 (``browser``): slider to pixels in Debian's Chromium, driven by Playwright, against a
warm ``streamlit run app.py``, beside a bare Streamlit page (bench/anchor_app.py: one slider, three
small Plotly charts) served and measured in the same run; and every page's first load.

What a press costs is read inside the page, on the page's own clock (``performance.now()``), by a
script installed before Streamlit's own (:data:`PROBE`):

- the key press: a capturing ``keydown`` listener;
- the websocket: every BackMsg sent and ForwardMsg received, with its size (a wrapped
  ``WebSocket``), so the server's part (key → last ForwardMsg) and the payload are known;
- Plotly: every chart's ``plotly_beforeplot`` / ``plotly_afterplot`` / ``plotly_react`` events,
  each end stamped again at the next animation frame (the frame that shows it), and every DOM
  mutation inside a ``.js-plotly-plot`` (a MutationObserver): a chart is drawn when its events
  have fired and its DOM has stopped changing;
- Streamlit's script state (``data-test-script-state`` on ``stApp``) and the main thread's long
  tasks (``PerformanceObserver``).

A press is done when the app is idle (``notRunning``) and nothing of the above has happened for
:data:`QUIET_MS`; its time is key press → the latest of (idle, last chart frame, last chart
mutation). Charts whose figure did not change are not redrawn by Streamlit, so this is the time
to the last chart that did change, whichever that is: no list of charts per control is needed.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.harness import ROOT, Config, Section, fmt_seconds

QUIET_MS = 600  # nothing drawn, sent or received for this long after idle: the press is done
WARMUP_PRESSES = 2  # per control, not timed (a first move may load code in the browser)
FIRST_LOADS = 2  # loads of each page for the first-paint table (quick: 1)
ANCHOR = ROOT / "bench" / "anchor_app.py"

PROBE = """
(() => {
  const now = () => performance.now();
  const rec = window.__bench = {
    keys: [], sent: [], recv: [], draws: [], reacts: [], plotMutations: [], states: [],
    longTasks: [], last: now(),
    reset() { for (const k of ['keys', 'sent', 'recv', 'draws', 'reacts', 'plotMutations',
                              'states', 'longTasks']) this[k] = []; this.last = now(); },
  };
  const mark = (list, value) => { list.push(value); rec.last = now(); };
  document.addEventListener('keydown', () => mark(rec.keys, now()), true);
  const size = d => d.byteLength ?? d.size ?? d.length ?? 0;
  const Native = window.WebSocket;
  window.WebSocket = class extends Native {
    constructor(...args) {
      super(...args);
      this.addEventListener('message', e => mark(rec.recv, [now(), size(e.data)]));
    }
    send(data) { mark(rec.sent, [now(), size(data)]); return super.send(data); }
  };
  const frame = () => new Promise(r => requestAnimationFrame(() => r(now())));
  const hook = gd => {
    if (gd.__benchHooked || typeof gd.on !== 'function') return;
    gd.__benchHooked = true;
    let start = null;
    gd.on('plotly_beforeplot', () => { start = now(); });
    gd.on('plotly_afterplot', () => {
      const end = now(), begun = start; start = null;
      const title = (gd.layout && gd.layout.title && gd.layout.title.text) || '';
      const types = [...new Set((gd.data || []).map(t => t.type || 'scatter'))].join('+');
      frame().then(shown => mark(rec.draws, [begun, end, shown, `${title} [${types}]`]));
    });
    gd.on('plotly_react', () => frame().then(shown => mark(rec.reacts, shown)));
  };
  new MutationObserver(mutations => {
    document.querySelectorAll('.js-plotly-plot').forEach(hook);
    for (const m of mutations) {
      const target = m.target.nodeType === 1 ? m.target : m.target.parentElement;
      if (m.attributeName === 'data-test-script-state') {
        mark(rec.states, [now(), target.getAttribute('data-test-script-state')]);
      } else if (target && target.closest && target.closest('.js-plotly-plot')) {
        mark(rec.plotMutations, now());
      }
    }
  }).observe(document, {subtree: true, childList: true, attributes: true});
  try {
    new PerformanceObserver(list => {
      for (const e of list.getEntries()) rec.longTasks.push([e.startTime, e.duration]);
    }).observe({type: 'longtask', buffered: true});
  } catch (e) {}
})();
"""

IDLE_JS = "() => performance.now() - window.__bench.last"


@dataclass(frozen=True)
class Control:
    """A page's main control and how a person moves it by keyboard."""

    page: str  # URL path ("" for home)
    name: str  # as reported
    kind: str  # "slider" | "number" | "toggle"
    label: str  # the widget's label (or a unique part of a slider's)
    query: str = ""  # start from this view (every control is in the URL)


CONTROLS = [
    Control("eight_schools", "eight schools, τ slider", "slider", "τ for Figs. 5.6"),
    Control("free_throws", "free throws, α slider", "slider", "α (prior makes + 1)"),
    # n raised from the lecture's 14 so that y has 20+ new values upwards (y ≤ n): each press
    # misses Streamlit's caches, as a first move does
    Control(
        "drug_trial", "drug trial, y (n = 40)", "number", "rats with tumors, y", "?current_n=40"
    ),
    Control("levels_of_pooling", "levels of pooling, seed", "number", "Seed"),
    Control("", "home, presenter-mode switch (its only control)", "toggle", "Presenter mode"),
    Control("simulation_lab", "simulation lab, τ slider", "slider", "Population sd τ"),
]
ANCHOR_LOAD = "anchor (bare Streamlit page)"  # its row in the first-load table
ANCHOR_CONTROL = Control("", "anchor: bare Streamlit, 1 slider, 3 small charts", "slider", "a")
PAGES = ["", "levels_of_pooling", "free_throws", "drug_trial", "eight_schools", "your_data"]
PAGES += ["simulation_lab"]


# --- the server and the browser ------------------------------------------------------------------


@contextlib.contextmanager
def serve(script: Path, *, timeout: float = 180) -> Iterator[tuple[str, int]]:
    """``streamlit run script`` on a free localhost port, as tests/browser.py starts app.py (the
    project's .streamlit/config.toml applies); yield (URL, pid); always stop it."""
    from tests.browser import SCREENSHOTS, free_port

    port = free_port()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)  # git-ignored, as the browser tests' logs
    with open(SCREENSHOTS / f"bench-server-{script.stem}-{port}.log", "wb") as log:
        command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.port"]
        command += [str(port), "--server.address", "127.0.0.1", "--server.headless", "true"]
        command += ["--browser.gatherUsageStats", "false"]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + timeout
            while not health_ok(url):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start; see {log.name}")
                time.sleep(0.2)
            yield url, process.pid
        finally:
            stop(process)


def stop(process: subprocess.Popen) -> None:
    """Terminate, and kill what does not stop within 10 s."""
    process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10)
        return
    process.kill()
    process.wait()


def health_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_server_quiet(pid: int, *, timeout: float = 300) -> float:
    """Wait until the server process stops using CPU (its warm-up thread has finished compiling):
    less than 0.05 s of CPU in each of three 0.5 s windows. Returns the seconds waited."""
    start = time.monotonic()
    quiet, before = 0, cpu_seconds(pid)
    while quiet < 3 and time.monotonic() - start < timeout:
        time.sleep(0.5)
        after = cpu_seconds(pid)
        quiet = quiet + 1 if after - before < 0.05 else 0
        before = after
    return time.monotonic() - start


def open_view(page, url: str, path: str, query: str = "") -> None:
    from tests.browser import wait_idle

    page.goto(f"{url}/{path}{query}")
    wait_idle(page, timeout_ms=600_000)
    wait_quiet(page)


def wait_quiet(page, *, timeout: float = 120) -> None:
    """Wait for the app to be idle and for nothing to be drawn, sent or received for QUIET_MS."""
    from tests.browser import wait_idle

    wait_idle(page, timeout_ms=timeout * 1000)
    deadline = time.monotonic() + timeout
    if not page.evaluate("() => !!window.__bench"):  # a document the init script missed
        page.evaluate(PROBE)
    while page.evaluate(IDLE_JS) < QUIET_MS and time.monotonic() < deadline:
        time.sleep(QUIET_MS / 4000)


# --- one press -----------------------------------------------------------------------------------


def locate(page, control: Control):
    if control.kind == "slider":
        return (
            page.locator("[data-testid='stSlider']")
            .filter(has_text=control.label)
            .locator("input[type='range']")
        )
    return page.get_by_label(control.label, exact=True)


def press_keys(box, control: Control, forward: bool) -> None:
    if control.kind == "toggle":
        box.press("Space")
    elif control.kind == "slider":
        box.press("ArrowRight" if forward else "ArrowLeft")
    else:  # a number input commits on Enter
        box.press("ArrowUp" if forward else "ArrowDown")
        box.press("Enter")


def record_after(page, t0: float | None = None) -> dict:
    """What the probe saw since its last reset, relative to the key press (or to ``t0``)."""
    rec = page.evaluate(
        "() => { const r = window.__bench; return {keys: r.keys, sent: r.sent, recv: r.recv, "
        "draws: r.draws, reacts: r.reacts, plotMutations: r.plotMutations, states: r.states, "
        "longTasks: r.longTasks}; }"
    )
    if t0 is None:
        t0 = rec["keys"][0]
    idle = [t for t, state in rec["states"] if state == "notRunning"]
    shown = [d[2] for d in rec["draws"]] + rec["reacts"]
    end = max([*idle, *shown, *rec["plotMutations"]], default=float("nan"))
    drawing = [d[1] - d[0] for d in rec["draws"] if d[0] is not None]
    slowest = max(
        (d for d in rec["draws"] if d[0] is not None), key=lambda d: d[1] - d[0], default=None
    )
    return {
        "slowest": (slowest[3], (slowest[1] - slowest[0]) / 1000) if slowest else ("", 0.0),
        "seconds": (end - t0) / 1000,
        "sent": (rec["sent"][0][0] - t0) / 1000 if rec["sent"] else float("nan"),
        "first_msg": (rec["recv"][0][0] - t0) / 1000 if rec["recv"] else float("nan"),
        "last_msg": (rec["recv"][-1][0] - t0) / 1000 if rec["recv"] else float("nan"),
        "bytes": sum(size for _, size in rec["recv"]),
        "messages": len(rec["recv"]),
        "charts_drawn": len(rec["draws"]),  # afterplot events
        "plotly": sum(drawing) / 1000,
        "long_tasks": sum(d for start, d in rec["longTasks"] if start >= t0) / 1000,
    }


def value_of(box, control: Control) -> str:
    if control.kind == "toggle":
        return str(box.is_checked())
    return box.input_value()


def can_go(box, control: Control, forward: bool) -> bool:
    if control.kind != "slider":
        return True
    value = float(box.input_value())
    low, high = (float(box.get_attribute(a)) for a in ("min", "max"))
    return value < high if forward else value > low


def bench_control(page, url: str, control: Control, presses: int, server_pid: int) -> dict:
    """``presses`` timed key presses on ``control`` (after WARMUP_PRESSES untimed ones), each a
    new value where the control has room (one direction; back at the end of its range); with the
    CPU seconds the server process (``server_pid``) spent on each, which the machine's load does
    not stretch as it stretches wall time."""
    open_view(page, url, control.page, control.query)
    box = locate(page, control)
    box.focus()
    forward, runs, seen = True, [], {value_of(box, control)}
    for i in range(WARMUP_PRESSES + presses):
        if not can_go(box, control, forward):
            forward = not forward
        page.evaluate("() => window.__bench.reset()")
        cpu_before = cpu_seconds(server_pid)
        press_keys(box, control, forward)
        with contextlib.suppress(Exception):  # a fast rerun may be over before this looks
            page.wait_for_selector(
                "[data-testid='stApp'][data-test-script-state='running']", timeout=2_000
            )
        wait_quiet(page)
        run = record_after(page)
        run["server_cpu"] = cpu_seconds(server_pid) - cpu_before
        value = value_of(box, control)
        run["new_value"] = value not in seen
        seen.add(value)
        if i >= WARMUP_PRESSES:
            runs.append(run)
    errors = page.locator("[data-testid='stException']").count()
    return {"control": control, "runs": runs, "exceptions": errors}


def first_load(context, url: str, path: str) -> dict:
    """A new tab opens ``path``: navigation start → first contentful paint, → app idle, → every
    chart drawn (the last chart's frame or DOM change), with what was received. The tab is new,
    the browser is not: its HTTP and code caches hold Streamlit's and Plotly's JavaScript, as for
    a student who has opened the app before."""
    page = context.new_page()
    try:
        open_view(page, url, path)
        run = record_after(page, t0=0.0)  # performance.now() counts from navigation start
        paint = page.evaluate(
            "() => (performance.getEntriesByName('first-contentful-paint')[0] || {}).startTime"
        )
        run["first_paint"] = paint / 1000 if paint is not None else float("nan")
        run["charts"] = page.locator("[data-testid='stPlotlyChart']").count()
        run["charts_shown"] = page.locator("[data-testid='stPlotlyChart']:has(.main-svg)").count()
        return run
    finally:
        page.close()


# --- the section ---------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(values, q)) if values else float("nan")


def median_of(runs: list[dict], key: str) -> float:
    return float(np.median([r[key] for r in runs])) if runs else float("nan")


def slowest_draw(runs: list[dict]) -> str:
    """The chart whose draw was most often the slowest of a press, with its median draw time."""
    names = [r["slowest"][0] for r in runs if r["slowest"][0]]
    if not names:
        return "–"
    name = max(set(names), key=names.count)
    seconds = float(np.median([r["slowest"][1] for r in runs if r["slowest"][0] == name]))
    return f"{fmt_seconds(seconds)}: {name}"


def attempt(measurement, *args) -> dict:
    """One measurement; a failure is reported as its error, not raised."""
    try:
        return measurement(*args)
    except Exception as err:
        return {"error": f"{type(err).__name__}: {str(err).splitlines()[0][:200]}"}


def measure(cfg: Config) -> dict:
    """Everything, in one browser: the anchor's server and hbviz's, both warm."""
    from playwright.sync_api import sync_playwright

    from tests.browser import CHROMIUM_ARGS, chromium_path

    executable = chromium_path()
    if executable is None:
        raise RuntimeError("Debian's chromium is not installed (`sudo apt-get install chromium`)")
    presses = 5 if cfg.quick else 20
    loads = 1 if cfg.quick else FIRST_LOADS
    chosen = cfg.browser_pages
    pages = [p for p in PAGES if chosen is None or p in chosen]
    controls = [c for c in CONTROLS if chosen is None or c.page in chosen]
    out: dict = {"controls": [], "loads": {}, "presses": presses, "errors": []}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        context.add_init_script(PROBE)
        page = context.new_page()
        with serve(ROOT / "app.py") as (url, pid):
            start = time.monotonic()
            for path in pages:  # every page's first run compiles what it needs
                open_view(page, url, path)
            for control in controls:  # and its control's first moves
                open_view(page, url, control.page, control.query)
            out["warm_up_pages"] = time.monotonic() - start
            out["warm_up_quiet"] = wait_server_quiet(pid)
            with serve(ANCHOR) as (anchor_url, anchor_pid):
                # the anchor first, then hbviz's controls, then the anchor again: the anchor's
                # figure is the median over both passes, so drift in the machine's load shows
                open_view(page, anchor_url, "")
                anchor = [bench_control(page, anchor_url, ANCHOR_CONTROL, presses // 2, anchor_pid)]
                for control in controls:
                    out["controls"].append(attempt(bench_control, page, url, control, presses, pid))
                anchor.append(
                    bench_control(page, anchor_url, ANCHOR_CONTROL, presses // 2, anchor_pid)
                )
                # the framework's floor for a first load too: the same new tab, the bare page
                runs = [attempt(first_load, context, anchor_url, "") for _ in range(loads)]
                out["loads"][ANCHOR_LOAD] = [r for r in runs if "error" not in r]
            out["anchor"] = {
                "control": ANCHOR_CONTROL,
                "runs": anchor[0]["runs"] + anchor[1]["runs"],
                "exceptions": anchor[0]["exceptions"] + anchor[1]["exceptions"],
                "passes": [median_of(a["runs"], "seconds") for a in anchor],
            }
            page.close()
            first_load(context, url, "")  # not timed: fills the browser's caches
            for path in pages:
                runs = [attempt(first_load, context, url, path) for _ in range(loads)]
                out["loads"][path or "home"] = [r for r in runs if "error" not in r]
                out["errors"] += [f"{path or 'home'}: {r['error']}" for r in runs if "error" in r]
        browser.close()
    return out


def bench_browser(cfg: Config) -> Section:
    load_start = os.getloadavg()
    data = measure(cfg)
    load_end = os.getloadavg()
    sec = Section(
        "7. Browser: key press → charts redrawn, in Chromium against a warm `streamlit run`",
        [
            "page, control",
            "p50",
            "p95",
            "n (new values)",
            "p50 / anchor p50",
            "key → BackMsg sent",
            "key → last ForwardMsg",
            "server CPU",
            "last ForwardMsg → last chart shown",
            "Plotly draws",
            "Plotly drawing (Σ draws)",
            "slowest draw",
            "main-thread long tasks",
            "received per press",
        ],
    )
    anchor_p50 = percentile([r["seconds"] for r in data["anchor"]["runs"]], 50)
    ratios = []
    data["errors"] += [e["error"] for e in data["controls"] if "error" in e]
    for entry in [data["anchor"], *(e for e in data["controls"] if "error" not in e)]:
        runs = entry["runs"]
        times = [r["seconds"] for r in runs]
        p50 = percentile(times, 50)
        is_anchor = entry is data["anchor"]
        if not is_anchor:
            ratios.append((entry["control"].name, p50 / anchor_p50))
        tail = median_of(runs, "seconds") - median_of(runs, "last_msg")
        name = entry["control"].name + (" (two passes)" if is_anchor else "")
        if entry["exceptions"]:
            name += f" — {entry['exceptions']} exception box(es) on the page"
        sec.rows.append(
            [
                name,
                fmt_seconds(p50),
                fmt_seconds(percentile(times, 95)),
                f"{len(runs)} ({sum(r['new_value'] for r in runs)})",
                "1×" if is_anchor else f"{p50 / anchor_p50:.2f}×",
                fmt_seconds(median_of(runs, "sent")),
                fmt_seconds(median_of(runs, "last_msg")),
                fmt_seconds(median_of(runs, "server_cpu")),
                fmt_seconds(tail),
                f"{median_of(runs, 'charts_drawn'):g}",
                fmt_seconds(median_of(runs, "plotly")),
                slowest_draw(runs),
                fmt_seconds(median_of(runs, "long_tasks")),
                f"{median_of(runs, 'bytes') / 1024:.0f} kB in {median_of(runs, 'messages'):g} msgs",
            ]
        )
    for name, ratio in ratios:
        sec.verdicts.append((f"{name}: p50 ≤ 1× the anchor's ({ratio:.2f}×)", ratio <= 1.0))
    load_rows = []
    for path, loads in data["loads"].items():
        if not loads:
            continue
        done = median_of(loads, "seconds")
        if path != ANCHOR_LOAD:
            sec.verdicts.append(
                (
                    f"{path}: navigation → all charts drawn ≤ 1.5 s ({fmt_seconds(done)})",
                    done <= 1.5,
                )
            )
        load_rows.append(
            f"| {path} | {fmt_seconds(median_of(loads, 'first_paint'))} | "
            f"{fmt_seconds(median_of(loads, 'last_msg'))} | {fmt_seconds(done)} | "
            f"{min(r['charts_shown'] for r in loads)}/{max(r['charts'] for r in loads)} | "
            f"{fmt_seconds(median_of(loads, 'plotly'))} | "
            f"{fmt_seconds(median_of(loads, 'long_tasks'))} | "
            f"{median_of(loads, 'bytes') / 1024:.0f} kB | {len(loads)} |"
        )
    sec.extra += [
        "First load of every page on the warm server, in a new tab (medians; times from "
        "navigation start):",
        "",
        "| page | first contentful paint | last ForwardMsg | all charts drawn | charts drawn / "
        "on the page | Plotly drawing (Σ draws) | main-thread long tasks | received | n |",
        "|---|---|---|---|---|---|---|---|---|",
        *load_rows,
    ]
    passes = ", ".join(fmt_seconds(p) for p in data["anchor"]["passes"])
    sec.notes += [f"Failed: {error}" for error in data["errors"]]
    sec.notes += [
        "Load average (1, 5, 15 min) at the section's start: "
        + ", ".join(f"{x:.2f}" for x in load_start)
        + "; at its end: "
        + ", ".join(f"{x:.2f}" for x in load_end)
        + f". Anchor p50 in its two passes (before and after hbviz's controls): {passes}.",
        f"Warm server: every page opened once and each control's view once "
        f"({data['warm_up_pages']:.0f} s), then until the server process used no CPU "
        f"(its warm-up thread done; {data['warm_up_quiet']:.0f} s). "
        f"{data['presses']} timed presses per control after {WARMUP_PRESSES} untimed, each a "
        "new value while the control has room ('new values'); the anchor's presses are split "
        "over two passes, one before and one after hbviz's controls.",
        "A press's time: key down → the latest of the app idle (`data-test-script-state` "
        "notRunning), the animation frame after the last chart's `plotly_afterplot` / "
        "`plotly_react`, and the last DOM change inside a `.js-plotly-plot`, all on the page's "
        f"clock (bench/browser.py's probe); done when nothing moved for {QUIET_MS} ms after idle. "
        "It is the time to the last chart drawn, whichever charts a press redraws.",
        "Where it goes: 'key → BackMsg sent' is the browser before the server hears of the "
        "move (Streamlit's widget handling); 'key → last ForwardMsg' "
        "includes the server's rerun of the script; after it, the browser renders (React and "
        "Plotly). 'Server CPU' is the CPU time the `streamlit run` process used during the press "
        "(/proc/PID/stat; the anchor's own server for the anchor): what the rerun costs, which "
        "a loaded machine stretches into more wall time. 'Plotly drawing' sums `plotly_beforeplot` → `plotly_afterplot` over the "
        "draws (a draw without a `plotly_beforeplot` event is not in the sum); 'long tasks' are main-thread tasks over 50 ms (PerformanceObserver). "
        "'Received' is the ForwardMsgs' bytes on the websocket. 'Plotly draws' counts "
        "`plotly_afterplot` events: each chart whose figure changed fires two per press here "
        "(the anchor's 3 charts: 6), unchanged charts none; 'slowest draw' is the chart most "
        "often slowest in a press, by its title and trace types.",
        "First loads: a new tab in the browser that ran the presses (its caches hold "
        "Streamlit's and Plotly's JavaScript, as for a returning student); one untimed load "
        "first. The anchor's row is the bare page's own first load in the same browser: the "
        "framework's floor for the 1.5 s target.",
        "Chromium: Debian's /usr/bin/chromium, headless, the browser tests' flags "
        "(tests/browser.py), 1400 × 1000 viewport; the server: `streamlit run` with the "
        "project's .streamlit/config.toml.",
    ]
    return sec
