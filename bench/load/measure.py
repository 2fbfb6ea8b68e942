"""One measured run: fresh servers, warm-up, the lecture hall, and what the servers used."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import resource
import tempfile
import time
from collections import Counter
from dataclasses import asdict
from pathlib import Path

from bench.load.client import Session
from bench.load.scenario import CONJUGATE_PAGES, NUTS_PAGES, lecture_hall, summarize
from bench.load.servers import (
    cpu_seconds,
    machine_busy_seconds,
    nginx_balancer,
    nginx_pids,
    peak_rss_mb,
    status_mb,
    streamlit_servers,
    wait_until_idle,
)


async def open_once(url: str, page: str, query: str = "", timeout: float = 180) -> float:
    session = Session(url, page, query, timeout=timeout)
    try:
        return await session.open()
    finally:
        await session.close()


def client_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def websockets_per_upstream(access_log: Path) -> dict[str, int]:
    """How many websockets nginx sent to each server (from its access log)."""
    counts: Counter[str] = Counter()
    with contextlib.suppress(OSError):
        for line in access_log.read_text().splitlines():
            if "/_stcore/stream" in line:
                found = re.search(r"upstream=(\S+)", line)
                counts[found.group(1) if found else "?"] += 1
    return dict(sorted(counts.items()))


def measure(
    sessions: int,
    seconds: float,
    servers: int = 1,
    *,
    arrival: float = 10.0,
    warm_up: bool = True,
    timeout: float = 180,
    work_dir: Path | None = None,
    seed: int = 7,
) -> dict:
    """Start ``servers`` fresh processes (behind nginx when more than one), let the first
    request's warm-up finish, open each page of the scenario once (the lecturer), run the lecture
    hall, and return the figures.

    Server figures: peak resident memory (VmHWM) of each process at the end, its resident memory
    after the warm-up, and the cores the servers used while the sessions ran (CPU seconds over
    wall seconds). ``other_cores`` is what the rest of the machine used meanwhile (all busy CPU
    time minus the servers, nginx and this client), so a run beside other work says so.
    """
    work_dir = Path(work_dir or tempfile.mkdtemp(prefix="hbviz-load-"))
    load_start = os.getloadavg()
    with streamlit_servers(servers, work_dir, warm_up=warm_up) as procs:
        warm_start = time.monotonic()
        # the instructor opens the app: a server's first request starts its warm-up thread
        for server in procs:
            asyncio.run(open_once(server.url, "", timeout=timeout))
        if warm_up:
            wait_until_idle([s.pid for s in procs])
        warm_s = time.monotonic() - warm_start
        # then the lecturer shows each page of the scenario once, on every server, before the
        # class opens them (the runs that fill a server's caches for the lecture's settings)
        for server in procs:
            for page in sorted({(p.path, p.query) for p in NUTS_PAGES + CONJUGATE_PAGES}):
                asyncio.run(open_once(server.url, *page, timeout))
        rss_warm = [status_mb(s.pid, "VmRSS") for s in procs]
        balancer = (
            nginx_balancer([s.port for s in procs], work_dir / "nginx")
            if servers > 1
            else contextlib.nullcontext((procs[0].url, None))
        )
        with balancer as (url, access_log):
            helpers = nginx_pids(work_dir / "nginx") if servers > 1 else []
            cpu = {pid: cpu_seconds(pid) for pid in [s.pid for s in procs] + helpers}
            busy, client, start = machine_busy_seconds(), client_cpu_seconds(), time.monotonic()
            records = asyncio.run(
                lecture_hall(
                    url, sessions, seconds=seconds, arrival=arrival, timeout=timeout, seed=seed
                )
            )
            wall = time.monotonic() - start
            used = {pid: cpu_seconds(pid) - before for pid, before in cpu.items()}
            client = client_cpu_seconds() - client
            busy = machine_busy_seconds() - busy
            routes = websockets_per_upstream(access_log) if access_log else {}
        peaks = [peak_rss_mb(s.pid) for s in procs]
    logs = [s.log_path.read_text(errors="replace") for s in procs]
    server_cpu = sum(used[s.pid] for s in procs)
    nginx_cpu = sum(used[p] for p in helpers)
    summary = summarize(records)
    return {
        "sessions": sessions,
        "seconds": seconds,
        "servers": servers,
        "arrival_s": arrival,
        "warm_up_s": round(warm_s, 1),
        "wall_s": round(wall, 1),
        **summary,
        "server_peak_rss_mb": [round(p) for p in peaks],
        "server_rss_after_warm_up_mb": [round(r) for r in rss_warm],
        "server_cores": round(server_cpu / wall, 2),
        "nginx_cores": round(nginx_cpu / wall, 3),
        "client_cores": round(client / wall, 3),
        "other_cores": round(max(busy - server_cpu - nginx_cpu - client, 0.0) / wall, 2),
        "cpus": os.cpu_count(),
        "load_average_at_start": [round(v, 2) for v in load_start],
        "websockets_per_server": routes,
        "server_log_tracebacks": sum(log.count("Traceback") for log in logs),
        "records": [asdict(r) for r in records],
        "work_dir": str(work_dir),
    }
