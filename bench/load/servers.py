"""The servers a load run talks to: fresh `streamlit run app.py` processes, and nginx in front of
several (the configuration of docs/DEPLOYMENT.md), with what /proc says about them."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX = "/usr/sbin/nginx"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_streamlit(port: int, log, *, env: dict[str, str] | None = None) -> subprocess.Popen:
    """`streamlit run app.py` on 127.0.0.1:``port``, its output to the open file ``log``."""
    return subprocess.Popen(
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
        # NUTS programs built in a child process, as `make run` does (the test suite sets 0)
        env={**os.environ, "PYTHONPATH": str(ROOT), "HBVIZ_COMPILE_IN_CHILD": "1", **(env or {})},
    )


def log_tail(path: Path, chars: int = 2000) -> str:
    try:
        return Path(path).read_text(errors="replace")[-chars:]
    except OSError:
        return ""


def wait_healthy(url: str, process: subprocess.Popen, *, timeout: float, log_path: Path) -> float:
    """Poll ``url``/_stcore/health until it answers 200; return the seconds it took.

    The bound is generous (a busy machine imports streamlit and JAX slowly) and a failure says
    what happened: the process exited, or it never answered, with the end of its log.
    """
    start = time.monotonic()
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"streamlit exited with {process.returncode} before answering; "
                f"{log_path}:\n{log_tail(log_path)}"
            )
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=5) as response:
                if response.status == 200:
                    return time.monotonic() - start
        except OSError:
            pass
        if time.monotonic() - start > timeout:
            raise TimeoutError(
                f"streamlit did not answer {url}/_stcore/health within {timeout:g} s "
                f"(load average {os.getloadavg()[0]:.1f}); {log_path}:\n{log_tail(log_path)}"
            )
        time.sleep(0.25)


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass
class Server:
    url: str
    port: int
    process: subprocess.Popen
    log_path: Path

    @property
    def pid(self) -> int:
        return self.process.pid


@contextlib.contextmanager
def streamlit_servers(
    count: int,
    log_dir: Path,
    *,
    warm_up: bool = True,
    timeout: float = 300,
    env: dict[str, str] | None = None,
) -> Iterator[list[Server]]:
    """``count`` fresh server processes sharing one cookie secret (so a balancer may send a
    browser's requests to any of them) and the environment's JAX cache; always stopped."""
    log_dir.mkdir(parents=True, exist_ok=True)
    shared = {
        "HBVIZ_WARM_UP": "1" if warm_up else "0",
        "STREAMLIT_SERVER_COOKIE_SECRET": os.urandom(16).hex(),
        **(env or {}),
    }
    servers: list[Server] = []
    logs = []
    try:
        for _ in range(count):
            port = free_port()
            log_path = log_dir / f"server-{port}.log"
            logs.append(open(log_path, "wb"))  # noqa: SIM115 (closed below)
            process = start_streamlit(port, logs[-1], env=shared)
            servers.append(Server(f"http://127.0.0.1:{port}", port, process, log_path))
        for server in servers:
            wait_healthy(server.url, server.process, timeout=timeout, log_path=server.log_path)
        yield servers
    finally:
        for server in servers:
            stop(server.process)
        for log in logs:
            log.close()


NGINX_CONF = """worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format up "$remote_addr $request $status upstream=$upstream_addr";
    access_log {prefix}/access.log up;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
    client_max_body_size 10m;
    map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
    upstream hbviz {{
        hash $cookie__streamlit_xsrf consistent;
{servers}
    }}
    server {{
        listen 127.0.0.1:{port};
        location / {{
            proxy_pass http://hbviz;
            proxy_http_version 1.1;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_set_header Host $host;
            proxy_read_timeout 86400;
        }}
    }}
}}
"""


def nginx_available() -> bool:
    return Path(NGINX).exists() or shutil.which("nginx") is not None


@contextlib.contextmanager
def nginx_balancer(ports: Sequence[int], prefix: Path) -> Iterator[tuple[str, Path]]:
    """nginx as docs/DEPLOYMENT.md configures it (sticky by the XSRF cookie), run as an ordinary
    process with its files under ``prefix``; yields (its URL, its access log)."""
    prefix.mkdir(parents=True, exist_ok=True)
    port = free_port()
    conf = prefix / "nginx.conf"
    conf.write_text(
        NGINX_CONF.format(
            prefix=prefix,
            port=port,
            servers="\n".join(f"        server 127.0.0.1:{p};" for p in ports),
        )
    )
    binary = NGINX if Path(NGINX).exists() else shutil.which("nginx")
    subprocess.run([binary, "-p", str(prefix), "-c", str(conf)], check=True)
    # the command returns when nginx has forked its master, which writes the pid file after
    deadline = time.monotonic() + 30
    while not (prefix / "nginx.pid").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", prefix / "access.log"
    finally:
        subprocess.run([binary, "-p", str(prefix), "-c", str(conf), "-s", "quit"], check=False)
        pid_file = prefix / "nginx.pid"
        deadline = time.monotonic() + 10
        while pid_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)


def nginx_pids(prefix: Path) -> list[int]:
    """The master and worker processes of the nginx running under ``prefix``."""
    try:
        master = int((prefix / "nginx.pid").read_text())
    except (OSError, ValueError):
        return []
    pids = [master]
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError):
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(entry.name))
    return pids


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def status_mb(pid: int, field: str) -> float:
    """A memory line of /proc/<pid>/status (VmHWM: peak resident set; VmRSS: now), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) / 1024
    raise LookupError(f"no {field} in /proc/{pid}/status")


def peak_rss_mb(pid: int) -> float:
    """VmHWM (the peak resident set size) of a process, in MB."""
    return status_mb(pid, "VmHWM")


def machine_busy_seconds() -> float:
    """CPU seconds the whole machine has spent not idle (all cores), from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def runnable_threads(pid: int) -> int:
    """How many of the process's threads are running or waiting for a CPU (state R) now."""
    count = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(OSError):
            count += (task / "stat").read_text().rsplit(")", 1)[1].split()[0] == "R"
    return count


def wait_until_idle(
    pids: Sequence[int], *, below: float = 0.15, quiet: float = 4.0, timeout: float = 900
) -> float:
    """Wait until the processes are idle for ``quiet`` seconds (the warm-up thread has finished
    compiling); return the seconds waited.

    Idle means both: together they used less than ``below`` of a core, and in fewer than a fifth
    of the samples was any of their threads runnable. CPU time alone would mistake a server
    starved by other work on a busy machine for an idle one; a starved thread is still runnable.
    """
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        before = sum(cpu_seconds(p) for p in pids)
        samples = busy = 0
        window = time.monotonic()
        while time.monotonic() - window < quiet:
            busy += any(runnable_threads(p) for p in pids)
            samples += 1
            time.sleep(0.2)
        cores = (sum(cpu_seconds(p) for p in pids) - before) / (time.monotonic() - window)
        if cores < below and busy < samples / 5:
            return time.monotonic() - start
    raise TimeoutError(f"the servers were still busy after {timeout:g} s")
