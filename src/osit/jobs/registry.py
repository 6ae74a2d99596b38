"""The periodic jobs: one set of functions run by the embedded loop and by Celery alike.

Each job does one round of due work and returns a short summary ("" when there was nothing to
do). Due work is rows with a due time claimed with ``select_for_update(skip_locked=True)``, so any
number of runners may call the same job at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

log = logging.getLogger("osit.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    func: Callable[[], object]
    interval: Callable[[], float]

    def run(self) -> str:
        """Run one round and log what it did; the summary is "" when nothing was due."""
        summary = self.func()
        text = "" if summary is None else str(summary)
        log.info("job %s: %s", self.name, text or "nothing to do")
        return text


def _tick() -> float:
    return float(settings.OSIT_JOB_TICK_SECONDS)


def auto_close_resolved() -> str:
    from osit.tickets.actions import auto_close_resolved as close

    closed = close()
    return f"closed {closed} resolved ticket(s)" if closed else ""


JOBS: dict[str, Job] = {
    "auto_close_resolved": Job("auto_close_resolved", auto_close_resolved, _tick),
}
