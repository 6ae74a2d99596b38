"""What the benchmark runners share: a free port, a logged-in browser session, API calls, the
latency/throughput measurement, the peak memory of a process tree and the machine's description.

Used by ``bench/run`` (OSIT) and ``bench/peer/run`` (django-helpdesk), so both are measured by the
same client code. Standard library only: it runs under whichever interpreter starts the runner.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import platform
import re
import socket
import statistics
import subprocess
import threading
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def peak_rss_mb(root_pid: int) -> float:
    """Sum of the peak resident memory (VmHWM) of a process and its children."""
    pids = [root_pid]
    try:
        out = subprocess.run(["pgrep", "-P", str(root_pid)], capture_output=True, text=True).stdout
        pids += [int(p) for p in out.split()]
    except OSError:
        pass
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


def wait_for_http(url: str, proc: subprocess.Popen, log: str, timeout: float = 60) -> None:
    """Wait until ``url`` answers (any HTTP status), or fail if ``proc`` died or time ran out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return
        except urllib.error.HTTPError:
            return
        except OSError:
            if time.monotonic() > deadline or proc.poll() is not None:
                raise SystemExit(f"the server did not start; see {log}") from None
            time.sleep(0.3)


def vacuum(url: str) -> float:
    """``VACUUM (ANALYZE)`` a PostgreSQL database before it is measured; returns the seconds.

    A production PostgreSQL runs autovacuum, which marks the pages of a table whose rows all
    changes have settled as all-visible; counts and reads from an index then skip the table
    (index-only scans). This machine's server runs with ``autovacuum = off``, so a database
    left as its load, its first jobs (OSIT's auto-close of old resolved tickets) and the
    previous run's creates left it reads the table for every row on an unmarked page: at a
    million tickets that made OSIT's queue count 1.4 ms instead of 0.2 and its 10th page
    4.5 ms instead of 2.5. Both runners vacuum their database, so both are measured in the
    state a maintained server keeps them in.

    Then a ``CHECKPOINT`` and the kernel's ``sync``: a fresh load (or the vacuum itself) leaves
    gigabytes of dirty pages that PostgreSQL and the kernel write back over the next minutes.
    Measured while that was happening, right after seeding a million tickets, API create ran
    at 130 tickets/s; ten minutes later, with nothing changed, at 396/s. A server that has been
    running has no such backlog, so the runner flushes it before measuring. (``CHECKPOINT``
    needs a superuser or ``pg_checkpoint``; without either it is skipped.) Imports psycopg: run
    under OSIT's environment.
    """
    import psycopg

    t0 = time.perf_counter()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")
        with contextlib.suppress(psycopg.errors.InsufficientPrivilege):
            conn.execute("CHECKPOINT")
    os.sync()
    return time.perf_counter() - t0


class Session:
    """A logged-in browser: cookies, CSRF, one urllib opener per thread."""

    def __init__(
        self, base: str, username: str, password: str = "bench", login_path: str = "/login/"
    ) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        opener.open(base + login_path).read()
        csrf = next(c.value for c in self.jar if c.name == "csrftoken")
        data = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
        ).encode()
        request = urllib.request.Request(
            base + login_path, data=data, headers={"Referer": base + login_path}
        )
        opener.open(request).read()
        if not any(c.name == "sessionid" for c in self.jar):
            raise SystemExit(f"could not log in as {username}")
        self.local = threading.local()

    def opener(self):
        if not hasattr(self.local, "opener"):
            self.local.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        return self.local.opener

    def get(self, path: str, headers: dict[str, str] | None = None) -> int:
        request = urllib.request.Request(self.base + path, headers=headers or {})
        with self.opener().open(request, timeout=60) as response:
            response.read()
            return response.status

    def text(self, path: str) -> str:
        with self.opener().open(self.base + path, timeout=60) as response:
            return response.read().decode()


def api_call(
    base: str,
    token: str,
    method: str,
    path: str,
    body: dict | None = None,
    *,
    prefix: str = "/api/v1",
    authorization: str | None = None,
) -> int:
    """One JSON API call; ``authorization`` replaces the default ``Bearer <token>`` header."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + prefix + path, data=data, method=method,
        headers={"Authorization": authorization or f"Bearer {token}",
                 "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        response.read()
        return response.status


def measure(call, requests: int, concurrency: int) -> dict:
    """Latencies (ms) and throughput of ``requests`` calls at ``concurrency``."""
    call()  # warm-up
    latencies: list[float] = []
    lock = threading.Lock()

    def one(_):
        t0 = time.perf_counter()
        call()
        dt = (time.perf_counter() - t0) * 1000
        with lock:
            latencies.append(dt)

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(requests)))
    wall = time.perf_counter() - t0
    latencies.sort()
    return {
        "median_ms": round(statistics.median(latencies), 1),
        "p95_ms": round(latencies[max(0, int(len(latencies) * 0.95) - 1)], 1),
        "rps": round(requests / wall, 1),
        "n": requests,
    }


def machine() -> str:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{os.cpu_count()} CPU ({cpu}), {mem:.0f} GiB RAM, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def cpu_speed_s() -> float:
    """Seconds this Python takes for 10 million additions, best of three: how fast the machine
    is right now. A virtual machine's speed drifts (1.7× within one session here), so every
    result records it, and only figures taken at the same speed are compared."""
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        total = 0
        for i in range(10_000_000):
            total += i
        best = min(best, time.perf_counter() - t0)
    return round(best, 2)


LOCK_PATH = Path(os.environ.get("OSIT_BENCH_LOCK", "/tmp/osit-bench.lock"))


class measuring:  # noqa: N801 — used as ``with measuring():``
    """Hold the machine-wide benchmark lock while measuring, so two runners never overlap."""

    def __enter__(self) -> measuring:
        import fcntl

        self.file = open(LOCK_PATH, "w")  # noqa: SIM115 — closed in __exit__
        fcntl.flock(self.file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc: object) -> None:
        import fcntl

        fcntl.flock(self.file, fcntl.LOCK_UN)
        self.file.close()
