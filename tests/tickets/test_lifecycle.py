"""The life cycle of SPEC §2 and seed 001: observation comments, the transition table, enhancement
requests, resolved → closed, reopening a closed ticket."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from osit.audit.models import Event
from osit.core.errors import Conflict, Forbidden, InvalidInput
from osit.tickets import lifecycle, queries
from osit.tickets.actions import (
    add_comment,
    auto_close_resolved,
    change_status,
    classify,
    confirm_resolution,
    decide_enhancement,
    requester_reopen,
    system_user,
)
from osit.tickets.choices import Status
from osit.tickets.models import Comment

from .util import kinds, last_event, move, refresh, snapshot

STATUSES = [s.value for s in Status]

# The documented life cycle: from each status, the statuses a ticket may move to, as a person
# reads them in the refusal message.
DOCUMENTED_ALLOWED = {
    "new": "open, pending customer, pending decision, resolved, closed",
    "open": "pending customer, pending decision, resolved, closed",
    "pending_customer": "open, resolved, closed",
    "pending_decision": "open, closed",
    "resolved": "open, closed",
    "closed": "open",
}

OBSERVATION_REQUIRED = "An observation comment is required to change the status."


def _labels(status: str) -> str:
    return {"pending_customer": "pending customer", "pending_decision": "pending decision"}.get(
        status, status
    )


def _in_status(make_ticket, personas, status: str):
    """A ticket in ``status``, reached from ``new`` in one move by the manager."""
    ticket = make_ticket()
    if status != Status.NEW:
        move(ticket, status, actor=personas.max)
    return refresh(ticket)


# --- observation comment ---------------------------------------------------------------------


@pytest.mark.parametrize("comment", ["", "   ", "\n\t ", None])
def test_a_status_change_without_an_observation_comment_is_refused(personas, make_ticket, comment):
    ticket = make_ticket()
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as exc:
        change_status(ticket, actor=personas.tom, channel="web", status="open", comment=comment)

    assert exc.value.field == "comment"
    assert exc.value.message == OBSERVATION_REQUIRED
    assert str(exc.value) == OBSERVATION_REQUIRED
    assert snapshot(ticket) == before


def test_closing_without_an_observation_comment_is_refused_too(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "open")
    before = snapshot(ticket)

    with pytest.raises(InvalidInput, match=OBSERVATION_REQUIRED):
        change_status(ticket, actor=personas.tom, channel="web", status="closed", comment=" ")

    assert snapshot(ticket) == before
    assert refresh(ticket).closed_at is None


def test_the_observation_comment_is_kept_and_the_history_shows_old_and_new(personas, make_ticket):
    ticket = make_ticket()
    change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="open",
        comment="  Logs show a DB timeout; looking into it.  ",
    )

    ticket = refresh(ticket)
    assert ticket.status == "open"
    assert ticket.comment_count == 1
    comment = Comment.objects.get(ticket=ticket)
    assert comment.body == "Logs show a DB timeout; looking into it."
    assert comment.author == personas.tom
    assert comment.visibility == "public"
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == ("status_changed", "new", "open")
    assert event.data["comment_id"] == comment.pk
    assert (event.actor_id, event.actor_label, event.channel) == (
        personas.tom.pk,
        "Tom Test",
        "web",
    )


def test_an_internal_observation_makes_an_internal_event(personas, make_ticket):
    ticket = make_ticket()
    change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="open",
        comment="Only for us.",
        visibility="internal",
    )
    assert Comment.objects.get(ticket=ticket).visibility == "internal"
    assert last_event(ticket).internal is True


def test_an_unknown_status_is_refused_naming_the_valid_ones(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        change_status(ticket, actor=personas.tom, channel="web", status="done", comment="x")
    assert exc.value.field == "status"
    assert exc.value.message == (
        "'done' is not a valid status (choose one of: new, open, pending_customer, "
        "pending_decision, resolved, closed)."
    )


# --- the transition table --------------------------------------------------------------------


def test_the_transition_table_is_the_documented_life_cycle():
    table = {old: ", ".join(_labels(s) for s in lifecycle.allowed_from(old)) for old in STATUSES}
    assert table == DOCUMENTED_ALLOWED


@pytest.mark.parametrize(
    ("old", "new"),
    [(o, n) for o in STATUSES for n in STATUSES if o != n and lifecycle.is_allowed(o, n)],
)
def test_an_allowed_transition_moves_the_ticket(personas, make_ticket, old, new):
    ticket = _in_status(make_ticket, personas, old)
    comments = ticket.comment_count

    change_status(ticket, actor=personas.max, channel="web", status=new, comment=f"{old} to {new}")

    ticket = refresh(ticket)
    assert ticket.status == new
    assert ticket.comment_count == comments + 1
    event = last_event(ticket)
    assert (event.data["old"], event.data["new"]) == (old, new)
    assert (ticket.closed_at is not None) == (new == "closed")
    if new == "resolved":
        assert ticket.resolved_at is not None
    if new == "open":  # reopened: neither resolved nor closed any more
        assert (ticket.resolved_at, ticket.closed_at) == (None, None)


@pytest.mark.parametrize(
    ("old", "new"),
    [(o, n) for o in STATUSES for n in STATUSES if o != n and not lifecycle.is_allowed(o, n)],
)
def test_a_forbidden_transition_is_refused_naming_the_allowed_statuses(
    personas, make_ticket, old, new
):
    ticket = _in_status(make_ticket, personas, old)
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        change_status(ticket, actor=personas.max, channel="web", status=new, comment="Try it.")

    assert exc.value.field == "status"
    assert exc.value.message == (
        f"A {_labels(old)} ticket cannot become {_labels(new)}; allowed: {DOCUMENTED_ALLOWED[old]}."
    )
    assert snapshot(ticket) == before


def test_the_forbidden_transitions_are_the_ones_expected():
    forbidden = sorted(
        (o, n) for o in STATUSES for n in STATUSES if o != n and not lifecycle.is_allowed(o, n)
    )
    assert forbidden == [
        ("closed", "new"),
        ("closed", "pending_customer"),
        ("closed", "pending_decision"),
        ("closed", "resolved"),
        ("open", "new"),
        ("pending_customer", "new"),
        ("pending_customer", "pending_decision"),
        ("pending_decision", "new"),
        ("pending_decision", "pending_customer"),
        ("pending_decision", "resolved"),
        ("resolved", "new"),
        ("resolved", "pending_customer"),
        ("resolved", "pending_decision"),
    ]


@pytest.mark.parametrize("status", STATUSES)
def test_moving_to_the_same_status_is_refused(personas, make_ticket, status):
    ticket = _in_status(make_ticket, personas, status)
    before = snapshot(ticket)
    with pytest.raises(Conflict) as exc:
        change_status(ticket, actor=personas.max, channel="web", status=status, comment="Again.")
    assert exc.value.message == f"The ticket is already {_labels(status)}."
    assert snapshot(ticket) == before


# --- who may change the status ---------------------------------------------------------------


def test_a_requester_cannot_change_the_status(personas, make_ticket):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        move(ticket, "resolved", actor=personas.alice)
    assert exc.value.message == "Only technicians and managers may change the status of a ticket."
    assert snapshot(ticket) == before


def test_an_operator_cannot_close_a_ticket(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "open")
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        move(ticket, "closed", actor=personas.olivia)
    assert exc.value.message == "Only technicians and managers may close a ticket."
    assert snapshot(ticket) == before


def test_an_operator_cannot_reopen_a_closed_ticket(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "closed")
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        move(ticket, "open", actor=personas.olivia)
    assert exc.value.message == "Only technicians and managers may reopen a closed ticket."
    assert snapshot(ticket) == before


def test_a_technician_closes_then_reopens_a_closed_ticket_with_a_comment(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "open")
    change_status(
        ticket, actor=personas.tom, channel="web", status="closed", comment="Fixed the pool size."
    )
    closed = refresh(ticket)
    assert closed.status == "closed"
    assert closed.closed_at is not None
    assert closed in queries.closed(personas.tom)
    assert closed not in queries.active(personas.tom)

    with pytest.raises(InvalidInput, match=OBSERVATION_REQUIRED):
        change_status(ticket, actor=personas.tom, channel="web", status="open", comment="")
    change_status(
        ticket, actor=personas.tom, channel="web", status="open", comment="It happened again."
    )

    reopened = refresh(ticket)
    assert reopened.status == "open"
    assert reopened.closed_at is None
    assert reopened in queries.active(personas.tom)
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == (
        "status_changed",
        "closed",
        "open",
    )
    assert Comment.objects.get(pk=event.data["comment_id"]).body == "It happened again."


def test_the_owner_is_told_when_someone_else_changes_the_status(personas, make_ticket):
    from osit.tickets.actions import take
    from osit.tickets.models import Notification

    ticket = make_ticket()
    take(ticket, actor=personas.tom, channel="web")
    move(ticket, "pending_customer", actor=personas.max)

    assert list(
        Notification.objects.filter(user=personas.tom).values_list("message", flat=True)
    ) == [f"#{ticket.pk} is now pending customer"]


# --- enhancement requests (seed 001: "demandes d'évolution") ---------------------------------


def test_an_enhancement_request_waits_for_a_decision(personas, make_ticket):
    ticket = make_ticket(criticality="enhancement", subject="Export payslips as PDF")

    assert ticket.status == "pending_decision"
    assert ticket.type == "enhancement"
    assert last_event(ticket).data["status"] == "pending_decision"
    assert list(queries.enhancements(personas.max)) == [ticket]
    assert ticket not in queries.enhancements(personas.nina)  # not her service


def test_a_manager_accepts_an_enhancement_request(personas, make_ticket):
    ticket = make_ticket(criticality="enhancement")
    decide_enhancement(
        ticket, actor=personas.max, channel="web", accept=True, comment="Agreed in meeting."
    )

    ticket = refresh(ticket)
    assert ticket.status == "open"
    assert list(queries.enhancements(personas.max)) == []
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == (
        "enhancement_accepted",
        "pending_decision",
        "open",
    )
    assert Comment.objects.get(pk=event.data["comment_id"]).body == "Agreed in meeting."


def test_a_manager_rejects_an_enhancement_request(personas, make_ticket):
    ticket = make_ticket(criticality="enhancement")
    decide_enhancement(
        ticket, actor=personas.ada, channel="web", accept=False, comment="Out of scope."
    )

    ticket = refresh(ticket)
    assert ticket.status == "closed"
    assert ticket.closed_at is not None
    assert ticket in queries.closed(personas.alice)
    assert last_event(ticket).kind == "enhancement_rejected"


@pytest.mark.parametrize("who", ["tom", "olivia", "alice"])
def test_only_a_manager_decides_an_enhancement_request(personas, make_ticket, who):
    ticket = make_ticket(criticality="enhancement")
    before = snapshot(ticket)

    with pytest.raises(Forbidden) as exc:
        decide_enhancement(
            ticket, actor=personas.by_role(who), channel="web", accept=True, comment="Yes."
        )

    assert exc.value.message == "Only a manager may accept or reject an enhancement request."
    assert snapshot(ticket) == before


def test_a_technician_cannot_bypass_the_decision_with_a_status_change(personas, make_ticket):
    ticket = make_ticket(criticality="enhancement")
    with pytest.raises(Forbidden) as exc:
        move(ticket, "open", actor=personas.tom)
    assert exc.value.message == "Only a manager may accept or reject an enhancement request."
    assert refresh(ticket).status == "pending_decision"


def test_a_decision_needs_a_comment(personas, make_ticket):
    ticket = make_ticket(criticality="enhancement")
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as exc:
        decide_enhancement(ticket, actor=personas.max, channel="web", accept=False, comment="  ")
    assert exc.value.field == "comment"
    assert exc.value.message == "A comment is required to accept or reject a request."
    assert snapshot(ticket) == before


def test_only_a_ticket_pending_decision_can_be_decided(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "open")
    with pytest.raises(Conflict) as exc:
        decide_enhancement(ticket, actor=personas.max, channel="web", accept=True, comment="Yes.")
    assert exc.value.message == (
        "Only a ticket pending decision can be accepted or rejected; this one is open."
    )


def test_classifying_an_open_ticket_as_enhancement_sends_it_to_decision(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "open")

    classify(ticket, actor=personas.tom, channel="web", criticality="enhancement")

    ticket = refresh(ticket)
    assert ticket.status == "pending_decision"
    assert ticket.criticality == "enhancement"
    assert ticket in queries.enhancements(personas.max)
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == (
        "status_changed",
        "open",
        "pending_decision",
    )


def test_classifying_a_resolved_ticket_as_enhancement_leaves_its_status(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")
    classify(ticket, actor=personas.tom, channel="web", criticality="enhancement")
    assert refresh(ticket).status == "resolved"


# --- resolved waits for the requester --------------------------------------------------------


def test_a_reply_from_the_requester_reopens_a_resolved_ticket(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")

    add_comment(ticket, actor=personas.alice, channel="web", body="Still broken this morning.")

    ticket = refresh(ticket)
    assert ticket.status == "open"
    assert ticket.resolved_at is None
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == (
        "status_changed",
        "resolved",
        "open",
    )
    assert event.data["reason"] == "requester replied"


def test_a_reply_from_the_requester_ends_the_wait_for_the_customer(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "pending_customer")
    add_comment(ticket, actor=personas.alice, channel="email", body="Here is the screenshot.")
    assert refresh(ticket).status == "open"


def test_an_internal_note_on_a_resolved_ticket_does_not_reopen_it(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")
    add_comment(ticket, actor=personas.tom, channel="web", body="FYI", visibility="internal")
    assert refresh(ticket).status == "resolved"


def test_a_reply_from_an_agent_leaves_a_resolved_ticket_resolved(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")
    add_comment(ticket, actor=personas.tom, channel="web", body="Tell us if it comes back.")
    assert refresh(ticket).status == "resolved"


def test_the_requester_confirms_and_the_ticket_closes(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")

    confirm_resolution(ticket, actor=personas.alice, channel="web")

    ticket = refresh(ticket)
    assert ticket.status == "closed"
    assert ticket.closed_at is not None
    event = last_event(ticket)
    assert (event.kind, event.data["old"], event.data["new"]) == ("confirmed", "resolved", "closed")
    assert (
        Comment.objects.get(pk=event.data["comment_id"]).body
        == "The requester confirmed that the problem is fixed."
    )


def test_only_the_requester_confirms_and_only_a_resolved_ticket(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")
    with pytest.raises(Forbidden) as exc:
        confirm_resolution(ticket, actor=personas.bob, channel="web")
    assert exc.value.message == "Only the requester may confirm that a resolved ticket is fixed."

    other = _in_status(make_ticket, personas, "open")
    with pytest.raises(Conflict) as exc2:
        confirm_resolution(other, actor=personas.alice, channel="web")
    assert exc2.value.message == "Only a resolved ticket can be confirmed; this one is open."


def test_the_requester_reopens_within_the_window(personas, make_ticket, settings):
    settings.OSIT_REOPEN_WINDOW_DAYS = 14
    ticket = make_ticket()
    move(ticket, "resolved", actor=personas.tom, now=timezone.now() - timedelta(days=13))

    requester_reopen(ticket, actor=personas.alice, channel="web", comment="Not fixed at all.")

    ticket = refresh(ticket)
    assert ticket.status == "open"
    assert ticket.resolved_at is None
    assert last_event(ticket).kind == "reopened_by_requester"


def test_the_requester_cannot_reopen_after_the_window(personas, make_ticket, settings):
    settings.OSIT_REOPEN_WINDOW_DAYS = 3
    ticket = make_ticket()
    move(ticket, "resolved", actor=personas.tom, now=timezone.now() - timedelta(days=4))
    before = snapshot(ticket)

    with pytest.raises(Conflict) as exc:
        requester_reopen(ticket, actor=personas.alice, channel="web", comment="Still broken.")

    assert exc.value.message == (
        "The 3-day window to reopen this ticket has passed; please open a new ticket."
    )
    assert snapshot(ticket) == before


def test_requester_reopen_needs_a_reason_and_the_requester(personas, make_ticket):
    ticket = _in_status(make_ticket, personas, "resolved")
    with pytest.raises(InvalidInput) as exc:
        requester_reopen(ticket, actor=personas.alice, channel="web", comment="")
    assert exc.value.message == "Say what is still wrong to reopen the ticket."
    with pytest.raises(Forbidden) as exc2:
        requester_reopen(ticket, actor=personas.bob, channel="web", comment="Mine too.")
    assert exc2.value.message == (
        "Only the requester may reopen a resolved ticket, within the reopening window."
    )
    assert refresh(ticket).status == "resolved"


def test_auto_close_closes_only_old_resolved_tickets(personas, make_ticket, settings):
    settings.OSIT_AUTOCLOSE_DAYS = 7
    now = timezone.now()
    old = make_ticket(subject="resolved 8 days ago")
    move(old, "resolved", actor=personas.tom, now=now - timedelta(days=8))
    recent = make_ticket(subject="resolved 6 days ago")
    move(recent, "resolved", actor=personas.tom, now=now - timedelta(days=6))
    opened = make_ticket(subject="open for a month")
    move(opened, "open", actor=personas.tom, now=now - timedelta(days=30))

    assert auto_close_resolved(now=now) == 1

    assert [refresh(t).status for t in (old, recent, opened)] == ["closed", "resolved", "open"]
    event = last_event(old)
    system = system_user()
    assert (event.kind, event.actor_id, event.channel) == ("auto_closed", system.pk, "system")
    assert event.actor_label == "OSIT (automatic)"
    assert Comment.objects.get(pk=event.data["comment_id"]).body == (
        "Closed automatically: resolved 7 days ago without an answer from the requester."
    )
    assert not system.is_active
    assert not system.has_usable_password()
    assert auto_close_resolved(now=now) == 0  # nothing left: a second run changes nothing
    assert Event.objects.filter(kind="auto_closed").count() == 1


def test_auto_close_works_in_batches(personas, make_ticket, settings):
    settings.OSIT_AUTOCLOSE_DAYS = 1
    tickets = [make_ticket(subject=f"old {n}") for n in range(5)]
    for ticket in tickets:
        move(ticket, "resolved", actor=personas.tom, now=timezone.now() - timedelta(days=2))

    assert auto_close_resolved(batch_size=2) == 5
    assert {refresh(t).status for t in tickets} == {"closed"}
    assert all(kinds(t)[-1] == "auto_closed" for t in tickets)
