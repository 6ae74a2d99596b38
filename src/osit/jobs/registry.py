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


def deliver_outbox() -> str:
    from osit.mail.outbox import deliver

    sent = deliver()
    return f"sent {sent} mail(s)" if sent else ""


def poll_imap() -> str:
    from osit.mail.imap import poll_all

    fetched = poll_all()
    return f"fetched {fetched} message(s)" if fetched else ""


def purge_idempotency_keys() -> str:
    from datetime import timedelta

    from django.utils import timezone

    from osit.api.models import IdempotencyKey

    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=timezone.now() - timedelta(hours=24)
    ).delete()
    return f"purged {deleted} idempotency key(s)" if deleted else ""


def purge_expired_sessions() -> str:
    from django.utils import timezone

    from osit.web.models import WebSession

    deleted, _ = WebSession.objects.filter(expire_date__lt=timezone.now()).delete()
    return f"purged {deleted} expired session(s)" if deleted else ""


def _hourly() -> float:
    return 3600.0


JOBS: dict[str, Job] = {
    "auto_close_resolved": Job("auto_close_resolved", auto_close_resolved, _tick),
    "deliver_outbox": Job("deliver_outbox", deliver_outbox, _tick),
    "poll_imap": Job("poll_imap", poll_imap, _tick),
    "purge_idempotency_keys": Job("purge_idempotency_keys", purge_idempotency_keys, _hourly),
    "purge_expired_sessions": Job("purge_expired_sessions", purge_expired_sessions, _hourly),
}
