"""Comments (public replies, internal notes) and interventions with their time (seeds 001, 002)."""

from __future__ import annotations

from datetime import date

import pytest

from osit.core.errors import Forbidden, InvalidInput
from osit.tickets.actions import add_comment
from osit.tickets.models import ActivityType, Comment, TimeEntry

from .util import kinds, last_event, move, refresh, snapshot

TIME_RANGE = "Time spent must be between 0 and 10080 minutes (a week)."


def test_a_public_reply_and_an_internal_note(personas, make_ticket):
    ticket = make_ticket()

    reply = add_comment(ticket, actor=personas.tom, channel="web", body="Can you retry now?")
    note = add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Pool size was 5; raised to 50.",
        visibility="internal",
    )

    assert (reply.visibility, reply.is_internal) == ("public", False)
    assert (note.visibility, note.is_internal) == ("internal", True)
    assert refresh(ticket).comment_count == 2
    events = list(refresh(ticket).events.order_by("seq"))[-2:]
    assert [(e.kind, e.internal, e.data["comment_id"]) for e in events] == [
        ("reply_added", False, reply.pk),
        ("note_added", True, note.pk),
    ]


@pytest.mark.parametrize("who", ["alice", "olivia", "nina", "max"])
def test_everyone_concerned_may_reply(personas, make_ticket, who):
    ticket = make_ticket()
    add_comment(ticket, actor=personas.by_role(who), channel="web", body="Hello.")
    assert Comment.objects.filter(ticket=ticket, author=personas.by_role(who)).count() == 1


def test_a_requester_may_not_add_an_internal_note(personas, make_ticket):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        add_comment(
            ticket, actor=personas.alice, channel="web", body="secret", visibility="internal"
        )
    assert exc.value.message == "Only agents may add internal notes."
    assert snapshot(ticket) == before


def test_a_requester_may_not_reply_to_a_closed_ticket(personas, make_ticket):
    ticket = make_ticket()
    move(ticket, "closed", actor=personas.tom)
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        add_comment(ticket, actor=personas.alice, channel="web", body="It is back.")
    assert exc.value.message == "You may not reply to this ticket."
    assert snapshot(ticket) == before


@pytest.mark.parametrize("body", ["", "   ", "\n"])
def test_an_empty_comment_is_refused(personas, make_ticket, body):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        add_comment(ticket, actor=personas.tom, channel="web", body=body)
    assert (exc.value.field, exc.value.message) == ("body", "The comment is empty.")
    assert refresh(ticket).comment_count == 0


def test_time_spent_is_an_intervention_and_adds_up(personas, make_ticket):
    ticket = make_ticket()
    debug = ActivityType.objects.create(slug="debug", name="Debugging", billable_by_default=False)

    first = add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Read the server logs.",
        visibility="internal",
        time_spent_minutes=45,
        activity=debug,
        work_date=date(2024, 3, 4),
    )
    add_comment(ticket, actor=personas.tom, channel="web", body="Fixed.", time_spent_minutes=30)

    ticket = refresh(ticket)
    assert ticket.time_spent_minutes == 75
    entries = list(TimeEntry.objects.filter(ticket=ticket).order_by("id"))
    assert [(e.minutes, e.technician, e.billable) for e in entries] == [
        (45, personas.tom, False),  # the activity is not billable by default
        (30, personas.tom, True),
    ]
    assert (entries[0].comment, entries[0].date, entries[0].text) == (
        first,
        date(2024, 3, 4),
        "Read the server logs.",
    )
    logged = ticket.events.filter(kind="time_logged").order_by("seq")
    assert [(e.data["minutes"], e.internal) for e in logged] == [(45, True), (30, True)]
    assert logged[0].data["activity"] == "debug"


def test_billable_can_be_set_explicitly(personas, make_ticket):
    ticket = make_ticket()
    add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Courtesy fix.",
        time_spent_minutes=10,
        billable=False,
    )
    assert TimeEntry.objects.get(ticket=ticket).billable is False


@pytest.mark.parametrize("minutes", [-1, -60, 10081, 10**6])
def test_negative_or_absurd_time_is_refused(personas, make_ticket, minutes):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as exc:
        add_comment(ticket, actor=personas.tom, channel="web", body="x", time_spent_minutes=minutes)
    assert (exc.value.field, exc.value.message) == ("time_spent_minutes", TIME_RANGE)
    assert snapshot(ticket) == before
    assert TimeEntry.objects.count() == 0


def test_a_week_of_work_is_the_most_one_entry_can_hold(personas, make_ticket):
    ticket = make_ticket()
    add_comment(ticket, actor=personas.tom, channel="web", body="x", time_spent_minutes=10080)
    assert refresh(ticket).time_spent_minutes == 10080


@pytest.mark.parametrize("who", ["alice", "olivia"])
def test_only_technicians_and_managers_report_time(personas, make_ticket, who):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        add_comment(
            ticket, actor=personas.by_role(who), channel="web", body="x", time_spent_minutes=5
        )
    assert exc.value.message == "Only technicians and managers may report interventions."
    assert snapshot(ticket) == before


def test_a_comment_without_time_makes_no_time_entry(personas, make_ticket):
    ticket = make_ticket()
    add_comment(ticket, actor=personas.tom, channel="web", body="Looking.")
    assert TimeEntry.objects.count() == 0
    assert "time_logged" not in kinds(ticket)
    assert last_event(ticket).kind == "reply_added"
