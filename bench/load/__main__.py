"""Load the server as a lecture hall does, over Streamlit's websocket protocol (no browser).

Usage (from the repository root, with the project's venv)::

    python -m bench.load                                    # 25, 50, 100 sessions; 1 and 2 servers
    python -m bench.load --sessions 50 --seconds 60 --servers 1
    python -m bench.load --sessions 20 --seconds 20 --output /tmp/load.md

Every run starts fresh server processes (with the warm-up on), waits for the warm-up to finish,
then lets the sessions arrive (see bench/load/scenario.py). Two or more servers run behind nginx
configured as in docs/DEPLOYMENT.md. The runs go one after another; the markdown (bench/LOAD.md by
default) is rewritten after each, so an interrupted matrix keeps the runs it finished, and the
JSON of every run (each session's latencies too) is written beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.load.measure import measure
from bench.load.servers import ROOT, nginx_available

OUTPUT = ROOT / "bench" / "LOAD.md"


def integers(text: str) -> list[int]:
    return [int(v) for v in text.split(",") if v.strip()]


def seconds(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f} s"


def table(runs: list[dict]) -> list[str]:
    lines = [
        "| servers | sessions | connected | moves answered | rerun p50 | rerun p95 | rerun max "
        "| NUTS pages p50 / p95 | conjugate pages p50 / p95 | page open p50 / p95 | errors "
        "| server peak RSS (VmHWM) | server cores | other work (cores) |",
        "|" + "---|" * 14,
    ]
    for run in runs:
        a, n, c = run["all"], run["nuts"], run["conjugate"]
        errors = a["errors"] + run["server_log_tracebacks"]
        lines.append(
            f"| {run['servers']} | {run['sessions']} | {a['connected']} "
            f"| {a['answered']} / {a['moves']} | {seconds(a['rerun_p50_s'])} "
            f"| {seconds(a['rerun_p95_s'])} | {seconds(a['rerun_max_s'])} "
            f"| {seconds(n['rerun_p50_s'])} / {seconds(n['rerun_p95_s'])} "
            f"| {seconds(c['rerun_p50_s'])} / {seconds(c['rerun_p95_s'])} "
            f"| {seconds(a['open_p50_s'])} / {seconds(a['open_p95_s'])} | {errors} "
            f"| {' + '.join(f'{m} MB' for m in run['server_peak_rss_mb'])} "
            f"| {run['server_cores']:.2f} | {run['other_cores']:.2f} |"
        )
    return lines


def details(run: dict) -> list[str]:
    lines = [
        f"### {run['servers']} server(s), {run['sessions']} sessions",
        "",
        f"- warm-up (first request until the servers were idle): {run['warm_up_s']} s; "
        f"resident memory after it: {', '.join(f'{m} MB' for m in run['server_rss_after_warm_up_mb'])}",
        f"- sessions ran for {run['wall_s']} s (arrivals over {run['arrival_s']:g} s, then "
        f"{run['seconds']:g} s of moves each)",
        f"- CPU while they ran: servers {run['server_cores']} cores, nginx {run['nginx_cores']}, "
        f"this client {run['client_cores']}, other work on the machine {run['other_cores']} "
        f"(of {run['cpus']}); load average at the start {run['load_average_at_start']}",
        f"- errors: {run['all']['errors']} sessions ended by an error; tracebacks in the server "
        f"logs: {run['server_log_tracebacks']}",
    ]
    if run["websockets_per_server"]:
        lines.append(f"- websockets per server (nginx access log): {run['websockets_per_server']}")
    lines += [f"  - {m}" for m in run["error_messages"][:10]]
    return [*lines, ""]


def _git(*args: str) -> str:
    """The stripped output of ``git args`` run in the repository; raises if git fails."""
    return subprocess.run(
        ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=True
    ).stdout.strip()


def code_version() -> str:
    """The commit measured, and whether the tree had changes on top of it."""
    try:
        head = _git("log", "-1", "--format=%h (%ci)")
        dirty = _git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout)"
    return f"`{head}`" + (" with uncommitted changes" if dirty else "")


def markdown(runs: list[dict], command: str, started: str) -> str:
    other = max((r["other_cores"] for r in runs), default=0.0)
    lines = [
        "# hbviz under load: Streamlit sessions over the websocket",
        "",
        f"Written by `{command}` (issue 10). Each session is a websocket client speaking "
        "Streamlit's protocol (bench/load/client.py, on the `websockets` package that "
        "streamlit 1.67 itself requires: 1.67 serves with uvicorn and no longer ships tornado), "
        "not a browser, so the client's cost is small and the figures are the server's. Scenario (bench/load/scenario.py): sessions "
        "arrive evenly over 10 s; half open a NUTS page (levels of pooling; eight schools with "
        "NUTS on), half a conjugate page (eight schools, free throws, drug trial); each moves one "
        "of its page's controls to a new value every 2–5 s and waits for the rerun. Latency: "
        "the BackMsg sent → the run's `script_finished`, as the client sees it. Errors: a "
        "failed connection, a run not finished within 180 s, an exception element or `st.error` "
        "in a run, a run not finished successfully, or a traceback in a server's log. Every run "
        "starts fresh server processes with the warm-up on and waits for it to finish.",
        "",
        f"- Started: {started}; machine: {platform.machine()}, {runs[0]['cpus'] if runs else '?'} "
        f"cores; Python {platform.python_version()}",
        f"- Code measured: {code_version()}",
        "- nginx (Debian 1.22) in front of two servers, configured as in docs/DEPLOYMENT.md "
        "(sticky by the XSRF cookie); one server is reached directly.",
    ]
    if other >= 0.2:
        lines.append(
            f"- **The machine was shared**: other work used up to {other:.2f} cores during a run "
            "(column 'other work'); latencies are higher than on an idle machine."
        )
    lines += ["", *table(runs), "", "## Runs", "", *(line for r in runs for line in details(r))]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=integers, default=[25, 50, 100])
    parser.add_argument("--servers", type=integers, default=[1, 2])
    parser.add_argument("--seconds", type=float, default=60.0, help="moving time per session")
    parser.add_argument("--arrival", type=float, default=10.0, help="sessions arrive over this")
    parser.add_argument("--timeout", type=float, default=180.0, help="per connection and run")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    if max(args.servers) > 1 and not nginx_available():
        parser.error("two or more servers need nginx: apt-get install -y nginx")
    command = "python -m bench.load " + " ".join(argv if argv is not None else sys.argv[1:])
    started = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    runs = []
    for servers in args.servers:
        for sessions in args.sessions:
            print(f"{servers} server(s), {sessions} sessions…", flush=True)
            run = measure(
                sessions, args.seconds, servers, arrival=args.arrival, timeout=args.timeout
            )
            runs.append(run)
            print(json.dumps({k: v for k, v in run.items() if k != "records"}), flush=True)
            args.output.write_text(markdown(runs, command.strip(), started) + "\n")
            args.output.with_suffix(".json").write_text(json.dumps(runs, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
