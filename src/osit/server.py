"""``osit serve``: granian in front, the embedded job loop beside it.

The job loop runs in a child process that this process supervises rather than in a thread:
granian forks its workers, and a forked copy of a thread's open database connection is unsafe.
"""

from __future__ import annotations

import logging
import multiprocessing
import signal
import sys
import threading
from pathlib import Path

log = logging.getLogger("osit.server")


def _job_process() -> None:
    import django

    django.setup()
    from osit.jobs.embedded import run_forever

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    run_forever(stop)


class JobSupervisor(threading.Thread):
    """Keeps one job-loop child process alive until stopped."""

    def __init__(self) -> None:
        super().__init__(name="osit-job-supervisor", daemon=True)
        self._stop_event = threading.Event()
        self._context = multiprocessing.get_context("spawn")
        self.process: multiprocessing.process.BaseProcess | None = None

    def run(self) -> None:
        while not self._stop_event.is_set():
            self.process = self._context.Process(target=_job_process, name="osit-jobs")
            self.process.start()
            while self.process.is_alive() and not self._stop_event.is_set():
                self.process.join(1)
            if not self._stop_event.is_set():
                log.warning("job loop exited with %s; restarting", self.process.exitcode)
                self._stop_event.wait(2)

    def stop(self) -> None:
        self._stop_event.set()
        if self.process is not None and self.process.is_alive():
            self.process.terminate()
            self.process.join(10)


def serve(host: str, port: int, workers: int, *, with_jobs: bool) -> int:
    from django.conf import settings
    from granian import Granian
    from granian.constants import Interfaces

    supervisor = JobSupervisor() if with_jobs else None
    if supervisor:
        supervisor.start()
    static_root = Path(settings.STATIC_ROOT)
    print(
        f"OSIT listening on http://{host}:{port}/ "
        f"({workers} worker(s); background jobs: "
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
            static_path_route=["/static"],
            static_path_mount=[static_root],
            log_access=False,
        ).serve()
    finally:
        if supervisor:
            supervisor.stop()
    return 0
