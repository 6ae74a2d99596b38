"""Due work is claimed with SELECT … FOR UPDATE SKIP LOCKED: runners never do the same work twice.

SQLite has no row locks (Django ignores select_for_update there): its writers take turns, each
transaction holding the write lock from its start (BEGIN IMMEDIATE), so there is nothing to
skip. These tests need PostgreSQL.
"""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.utils import timezone

from osit.audit.models import Event
from osit.tickets.actions import auto_close_resolved, change_status
from osit.tickets.models import Ticket

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not connection.features.has_select_for_update_skip_locked,
        reason="row locks and SKIP LOCKED need PostgreSQL; SQLite writers take turns instead",
    ),
]


def _resolved(make_ticket, personas, *, subject: str, days_ago: int = 10) -> Ticket:
    ticket = make_ticket(subject=subject)
    change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="resolved",
        comment="Fixed.",
        now=timezone.now() - timedelta(days=days_ago),
    )
    return ticket


def _status(ticket: Ticket) -> str:
    return Ticket.objects.values_list("status", flat=True).get(pk=ticket.pk)


def test_a_ticket_locked_by_another_runner_is_skipped_then_closed(personas, make_ticket):
    busy = _resolved(make_ticket, personas, subject="being closed elsewhere")
    free = _resolved(make_ticket, personas, subject="free")
    locked, release = threading.Event(), threading.Event()

    def other_runner() -> None:
        try:
            with transaction.atomic():
                Ticket.objects.select_for_update().get(pk=busy.pk)
                locked.set()
                release.wait(10)
        finally:
            connection.close()

    thread = threading.Thread(target=other_runner)
    thread.start()
    try:
        assert locked.wait(10)
        assert auto_close_resolved() == 1  # does not wait for the locked row
        assert (_status(busy), _status(free)) == ("resolved", "closed")
    finally:
        release.set()
        thread.join()

    assert auto_close_resolved() == 1
    assert _status(busy) == "closed"
    for ticket in (busy, free):
        assert Event.objects.filter(ticket=ticket, kind="auto_closed").count() == 1


def test_runners_at_the_same_time_close_each_ticket_once(personas, make_ticket):
    tickets = [_resolved(make_ticket, personas, subject=f"old {n}") for n in range(8)]
    start = threading.Barrier(3)
    counts: list[int] = []
    errors: list[BaseException] = []

    def runner() -> None:
        try:
            start.wait(10)
            counts.append(auto_close_resolved(batch_size=1))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=runner) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sum(counts) == len(tickets)
    assert Event.objects.filter(kind="auto_closed").count() == len(tickets)
    assert {_status(ticket) for ticket in tickets} == {"closed"}
