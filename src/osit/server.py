"""``osit serve``: granian in front, the embedded job loop beside it.

The job loop runs in a child process that this process supervises rather than in a thread:
granian forks its workers, and a forked copy of a thread's open database connection is unsafe.
The child is started with the ``spawn`` method (a fresh interpreter), so it inherits no database
connection and no lock from this process either, and a crash in a job never takes the web server
down: the supervisor restarts it.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

log = logging.getLogger("osit.server")

MAX_DEFAULT_THREADS = 8
STOP_TIMEOUT = 10.0
MAX_RESTART_DELAY = 30.0


def default_threads() -> int:
    """Requests a web worker runs at once unless told: one per CPU, at least 2, at most 8.

    Each thread keeps its own database connection, whose server-side caches and prepared
    statements warm up separately, so more threads than the CPUs can use make every page slower
    after a burst of other traffic: with granian's advice of 2 × CPUs + 1 (5 threads per worker
    here, 10 connections), a ticket page's first 60 views after 120 concurrent views of another
    page took 26-28 ms, and 20 ms with 2 threads, at no cost in requests per second (issue 5,
    2 cores, 100k tickets on PostgreSQL). It also bounds a host's connections to workers ×
    threads; granian's own default (hundreds) could exhaust PostgreSQL's max_connections.
    """
    return min(MAX_DEFAULT_THREADS, max(2, os.cpu_count() or 1))


def _job_process(parent_pid: int) -> None:
    import django

    django.setup()
    from osit.jobs.embedded import run_forever

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    # Ctrl-C reaches the whole process group; the supervisor decides when the loop stops.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_stop_when_orphaned, args=(parent_pid, stop), daemon=True).start()
    run_forever(stop)


def _stop_when_orphaned(parent_pid: int, stop: threading.Event) -> None:
    # If `osit serve` is killed outright (SIGKILL, OOM killer) it cannot stop this child; a loop
    # left running alone would go on doing jobs nobody supervises.
    while not stop.wait(1):
        if os.getppid() != parent_pid:
            log.warning("osit serve (pid %s) has gone; stopping the job loop", parent_pid)
            stop.set()


class JobSupervisor(threading.Thread):
    """Keeps one job-loop child process alive until stopped.

    The thread itself never touches the database, so it is harmless in the process that granian
    later forks its workers from.
    """

    def __init__(self) -> None:
        super().__init__(name="osit-job-supervisor", daemon=True)
        self._stop_event = threading.Event()
        self._lock = threading.Lock()
        self._context = multiprocessing.get_context("spawn")
        self.process: multiprocessing.process.BaseProcess | None = None

    def run(self) -> None:
        delay = 1.0
        while True:
            with self._lock:
                if self._stop_event.is_set():
                    return
                self.process = self._context.Process(
                    target=_job_process, args=(os.getpid(),), name="osit-jobs"
                )
                self.process.start()
            log.info("job loop started (pid %s)", self.process.pid)
            started = time.monotonic()
            while self.process.is_alive() and not self._stop_event.is_set():
                self.process.join(1)
            if self._stop_event.is_set():
                return
            # A loop that ran for a while died of something passing; one that dies at once
            # (database unreachable, bad configuration) is retried ever more slowly.
            delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, MAX_RESTART_DELAY)
            log.error(
                "job loop (pid %s) exited with code %s; restarting in %.0f s",
                self.process.pid,
                self.process.exitcode,
                delay,
            )
            self._stop_event.wait(delay)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        """Stop the loop (it finishes the job it is running) and do not restart it."""
        with self._lock:
            self._stop_event.set()
            process = self.process
        if process is None or not process.is_alive():
            return
        process.terminate()
        process.join(timeout)
        if process.is_alive():
            log.error("job loop (pid %s) did not stop in %.0f s; killing it", process.pid, timeout)
            process.kill()
            process.join()
        log.info("job loop stopped")


def serve(
    host: str, port: int, workers: int, *, with_jobs: bool, threads: int | None = None
) -> int:
    """Serve until SIGTERM or SIGINT, then stop the web workers and the job loop; returns 0."""
    from django.conf import settings
    from django.db import connections
    from granian import Granian
    from granian.constants import Interfaces

    # The checks before serving opened a connection; granian forks its workers from this
    # process, and a connection shared by two processes corrupts the session of both.
    connections.close_all()
    threads = threads or default_threads()
    supervisor = JobSupervisor() if with_jobs else None
    if supervisor:
        supervisor.start()
    # The LMTP listener, when configured, runs beside the web workers as its own process.
    lmtp = (
        subprocess.Popen([sys.executable, "-m", "osit", "lmtp"])
        if settings.OSIT_LMTP_PORT
        else None
    )
    static_root = Path(settings.STATIC_ROOT)
    print(
        f"OSIT listening on http://{host}:{port}/ "
        f"({workers} worker(s) × {threads} thread(s); background jobs: "
        f"{'embedded' if with_jobs else 'Celery (osit worker)'})",
        file=sys.stderr,
        flush=True,
    )
    try:
        Granian(
            "osit.wsgi:application",
            address=host,
            port=port,
            interface=Interfaces.WSGI,
            workers=workers,
            blocking_threads=threads,
            # Requests beyond the threads wait in the listen queue, not inside the worker.
            backpressure=threads,
            respawn_failed_workers=True,
            workers_kill_timeout=int(STOP_TIMEOUT),
            static_path_route=["/static"],
            static_path_mount=[static_root],
            log_access=False,
        ).serve()
    finally:
        if supervisor:
            supervisor.stop()
        if lmtp is not None:
            lmtp.terminate()
            try:
                lmtp.wait(STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                lmtp.kill()
    return 0
