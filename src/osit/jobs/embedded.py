"""The embedded job loop: runs due jobs in this process until told to stop."""

from __future__ import annotations

import logging
import threading
import time

from django.db import close_old_connections

from osit.jobs.registry import JOBS, Job

log = logging.getLogger("osit.jobs")


def run_once(jobs: dict[str, Job] | None = None) -> dict[str, object]:
    """Run every job once (``osit worker --once``); a failing job does not stop the others."""
    results: dict[str, object] = {}
    for job in (jobs or JOBS).values():
        try:
            results[job.name] = job.run()
        except Exception:  # a job's failure is logged with its traceback; the loop goes on
            log.exception("job %s failed", job.name)
            results[job.name] = None
    return results


def run_forever(stop: threading.Event | None = None, jobs: dict[str, Job] | None = None) -> None:
    """Run each job every ``interval`` seconds until ``stop`` is set."""
    stop = stop or threading.Event()
    jobs = jobs or JOBS
    next_run = {name: 0.0 for name in jobs}
    log.info("job loop started: %s", ", ".join(jobs))
    while not stop.is_set():
        now = time.monotonic()
        for name, job in jobs.items():
            if stop.is_set():
                break
            if now >= next_run[name]:
                # Outside a web request nothing else recycles connections: without this, one
                # database restart would leave the loop failing on a dead connection for ever.
                close_old_connections()
                try:
                    job.run()
                except Exception:
                    log.exception("job %s failed", name)
                finally:
                    close_old_connections()
                next_run[name] = time.monotonic() + max(1, job.interval())
        stop.wait(max(0.2, min(next_run.values()) - time.monotonic()))
    log.info("job loop stopped")
