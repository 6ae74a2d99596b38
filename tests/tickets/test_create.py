"""Creating a ticket (seed 001): the operator assigns it to a service and sets severity and
criticality; a requester creates for herself only."""

from __future__ import annotations

import pytest

from osit.audit.models import Event
from osit.core.errors import Forbidden, InvalidInput
from osit.tickets.actions import create_ticket
from osit.tickets.models import Ticket

from .util import last_event


def _create(personas, **overrides):
    fields = {
        "actor": personas.olivia,
        "channel": "phone",
        "requester": personas.alice,
        "subject": "Printer on fire",
        "service": personas.appdev,
    }
    fields.update(overrides)
    return create_ticket(**fields)


def test_the_operator_creates_a_ticket_for_a_caller(personas, make_ticket):
    ticket = make_ticket()

    ticket = Ticket.objects.get(pk=ticket.pk)
    assert (ticket.requester, ticket.created_by, ticket.channel) == (
        personas.alice,
        personas.olivia,
        "phone",
    )
    assert (ticket.service, ticket.application) == (personas.appdev, personas.payroll)
    assert (ticket.status, ticket.type, ticket.priority) == ("new", "incident", 1)
    assert ticket.organisation == personas.alice.organisation
    assert (ticket.comment_count, ticket.time_spent_minutes, ticket.version) == (0, 0, 1)
    event = last_event(ticket)
    assert event.kind == "created"
    assert event.data == {
        "subject": "Error message at login",
        "requester": "alice",
        "service": "appdev",
        "application": "payroll",
        "severity": "major",
        "criticality": "blocking",
        "priority": 1,
        "status": "new",
    }


def test_the_application_gives_the_service(personas):
    ticket = _create(personas, service=None, application=personas.router)
    assert ticket.service == personas.network


def test_a_requester_creates_for_herself_without_a_service(personas):
    ticket = _create(personas, actor=personas.alice, channel="web", service=None)
    assert (ticket.service, ticket.status) == (None, "new")


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"subject": "   "}, "subject", "A subject is required."),
        (
            {"subject": "x" * 251},
            "subject",
            "The subject is 251 characters long; the limit is 250.",
        ),
        ({"service": None}, "service", "Choose the service this ticket is assigned to."),
        (
            {"severity": "grave"},
            "severity",
            "'grave' is not a valid severity (choose one of: major, moderate, minor).",
        ),
        (
            {"criticality": "bloquant"},
            "criticality",
            "'bloquant' is not a valid criticality (choose one of: blocking, non_blocking, "
            "enhancement).",
        ),
        (
            {"channel": "fax"},
            "channel",
            "'fax' is not a valid channel (choose one of: phone, email, web, monitoring, api, "
            "system, cli).",
        ),
    ],
)
def test_invalid_input_is_refused_and_nothing_is_created(personas, overrides, field, message):
    events = Event.objects.count()
    with pytest.raises(InvalidInput) as exc:
        _create(personas, **overrides)
    assert (exc.value.field, exc.value.message) == (field, message)
    assert Ticket.objects.count() == 0
    assert Event.objects.count() == events


def test_a_requester_cannot_create_for_someone_else(personas):
    with pytest.raises(Forbidden) as exc:
        _create(personas, actor=personas.alice, channel="web", requester=personas.bob)
    assert exc.value.message == "You may only create tickets for yourself."
    assert Ticket.objects.count() == 0


def test_an_inactive_requester_or_service_is_refused(personas):
    personas.bob.is_active = False
    personas.bob.save()
    with pytest.raises(InvalidInput) as exc:
        _create(personas, requester=personas.bob)
    assert (exc.value.field, exc.value.message) == ("requester", "bob is not an active user.")

    personas.network.is_active = False
    personas.network.save()
    with pytest.raises(InvalidInput) as exc2:
        _create(personas, service=personas.network)
    assert exc2.value.message == "The service Network is no longer active."
    assert Ticket.objects.count() == 0
