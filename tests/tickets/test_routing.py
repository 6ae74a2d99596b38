"""Re-routing with a justification (seed 001), ownership inside the service."""

from __future__ import annotations

import pytest

from osit.core.errors import Conflict, Forbidden, InvalidInput
from osit.directory import actions as directory
from osit.tickets.actions import assign, reroute, take
from osit.tickets.models import Comment, Notification
from osit.tickets.policy import visible_tickets

from .util import kinds, last_event, move, refresh, snapshot

JUSTIFICATION = (
    "DB logs show connection resets from 10.2.0.0/16; the application is fine, the firewall "
    "drops the pool's idle connections."
)


def _notifications(user) -> list[str]:
    return list(Notification.objects.filter(user=user).values_list("message", flat=True))


def test_rerouting_moves_the_ticket_clears_the_owner_and_tells_the_new_service(
    personas, make_ticket, fresh_user
):
    ticket = make_ticket()
    take(ticket, actor=personas.tom, channel="web")
    colleague = directory.create_user(
        actor=None,
        channel="cli",
        username="nadia",
        email="nadia@osit.test",
        roles=["technician"],
        services=[personas.network],
        first_name="Nadia",
        last_name="Test",
    )

    reroute(
        ticket, actor=personas.tom, channel="web", service=personas.network, comment=JUSTIFICATION
    )

    ticket = refresh(ticket)
    assert ticket.service == personas.network
    assert ticket.owner is None
    message = f"#{ticket.pk} was re-routed to Network by Tom Test: Error message at login"
    assert _notifications(personas.nina) == [message]
    assert _notifications(colleague) == [message]
    assert _notifications(personas.tom) == []  # the one who re-routed is not told
    event = last_event(ticket)
    assert event.kind == "rerouted"
    assert (event.data["old"], event.data["new"]) == ("appdev", "network")
    assert event.data["owner_cleared"] == "tom"
    note = Comment.objects.get(pk=event.data["comment_id"])
    assert note.body == JUSTIFICATION
    assert note.author == personas.tom
    # It now leaves tom's lists and reaches nina's.
    assert ticket not in visible_tickets(fresh_user(personas.tom))
    assert ticket in visible_tickets(fresh_user(personas.nina))


def test_the_history_shows_the_whole_route(personas, make_ticket):
    ticket = make_ticket()
    reroute(ticket, actor=personas.tom, channel="web", service=personas.network, comment="Net.")
    reroute(ticket, actor=personas.nina, channel="web", service=personas.appdev, comment="App.")

    routes = [
        (e.data["old"], e.data["new"], e.actor_label)
        for e in refresh(ticket).events.filter(kind="rerouted").order_by("seq")
    ]
    assert routes == [("appdev", "network", "Tom Test"), ("network", "appdev", "Nina Test")]


@pytest.mark.parametrize("comment", ["", "  \n ", None])
def test_rerouting_needs_a_justification(personas, make_ticket, comment):
    ticket = make_ticket()
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as exc:
        reroute(
            ticket, actor=personas.tom, channel="web", service=personas.network, comment=comment
        )

    assert exc.value.field == "comment"
    assert exc.value.message == "A justification is required to re-route a ticket."
    assert snapshot(ticket) == before
    assert Notification.objects.count() == 0


def test_rerouting_to_the_same_service_is_refused(personas, make_ticket):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as exc:
        reroute(ticket, actor=personas.tom, channel="web", service=personas.appdev, comment="x")
    assert exc.value.field == "service"
    assert exc.value.message == "The ticket is already in Application developers."
    assert snapshot(ticket) == before


def test_a_closed_ticket_cannot_be_rerouted(personas, make_ticket):
    ticket = make_ticket()
    move(ticket, "closed", actor=personas.tom)
    before = snapshot(ticket)
    with pytest.raises(Conflict) as exc:
        reroute(ticket, actor=personas.tom, channel="web", service=personas.network, comment="x")
    assert exc.value.message == "A closed ticket cannot be re-routed; reopen it first."
    assert snapshot(ticket) == before


def test_an_inactive_service_cannot_receive_tickets(personas, make_ticket):
    ticket = make_ticket()
    personas.network.is_active = False
    personas.network.save()
    with pytest.raises(InvalidInput) as exc:
        reroute(ticket, actor=personas.tom, channel="web", service=personas.network, comment="x")
    assert exc.value.message == "The service Network is no longer active."


def test_the_operator_reroutes_but_a_requester_cannot(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(Forbidden) as exc:
        reroute(ticket, actor=personas.alice, channel="web", service=personas.network, comment="x")
    assert exc.value.message == "You may not re-route this ticket."

    reroute(ticket, actor=personas.olivia, channel="phone", service=personas.network, comment="y")
    assert refresh(ticket).service == personas.network


def test_a_portal_ticket_gets_its_service_and_priority_on_first_routing(personas):
    from osit.tickets.actions import create_ticket

    personas.network.priority_matrix = {"minor": {"non_blocking": 2}}
    personas.network.save()
    ticket = create_ticket(
        actor=personas.alice,
        channel="web",
        requester=personas.alice,
        subject="VPN drops",
        severity="minor",
        criticality="non_blocking",
    )
    assert (ticket.service, ticket.status, ticket.priority) == (None, "new", 4)

    reroute(ticket, actor=personas.olivia, channel="web", service=personas.network, comment="Net.")

    ticket = refresh(ticket)
    assert (ticket.service, ticket.priority) == (personas.network, 2)
    assert kinds(ticket)[-2:] == ["rerouted", "field_changed"]
    assert ticket.events.get(kind="rerouted").data["old"] is None
    assert last_event(ticket).data == {"field": "priority", "old": 4, "new": 2}


def test_rerouting_applies_the_new_service_matrix_unless_overridden(personas, make_ticket):
    from osit.tickets.actions import set_priority

    personas.network.priority_matrix = {"major": {"blocking": 2}}
    personas.network.save()
    computed = make_ticket()
    overridden = make_ticket()
    set_priority(overridden, actor=personas.tom, channel="web", priority=1, reason="CEO")
    for ticket in (computed, overridden):
        reroute(ticket, actor=personas.tom, channel="web", service=personas.network, comment="N")

    assert (refresh(computed).priority, refresh(overridden).priority) == (2, 1)
    assert last_event(computed).data == {"field": "priority", "old": 1, "new": 2}
    assert last_event(overridden).kind == "rerouted"


# --- ownership -------------------------------------------------------------------------------


def test_taking_a_new_ticket_opens_it(personas, make_ticket):
    ticket = make_ticket()
    assert ticket.status == "new"

    take(ticket, actor=personas.tom, channel="web")

    ticket = refresh(ticket)
    assert (ticket.owner, ticket.status) == (personas.tom, "open")
    assert kinds(ticket)[-2:] == ["status_changed", "owner_changed"]
    event = last_event(ticket)
    assert (event.data["old"], event.data["new"]) == (None, "tom")
    assert _notifications(personas.tom) == []  # nobody tells you what you just did


def test_taking_a_pending_ticket_keeps_its_status(personas, make_ticket):
    ticket = make_ticket()
    move(ticket, "pending_customer", actor=personas.tom)
    take(ticket, actor=personas.tom, channel="web")
    assert refresh(ticket).status == "pending_customer"


def test_a_technician_of_another_service_cannot_take(personas, make_ticket):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(Forbidden) as exc:
        take(ticket, actor=personas.nina, channel="web")
    assert exc.value.message == "Only a technician of this ticket's service may take it."
    assert snapshot(ticket) == before


def test_only_members_of_the_service_can_own(personas, make_ticket):
    ticket = make_ticket()
    before = snapshot(ticket)
    with pytest.raises(InvalidInput) as exc:
        assign(ticket, actor=personas.max, channel="web", owner=personas.nina)
    assert exc.value.field == "owner"
    assert exc.value.message == "Nina Test is not a member of Application developers."
    with pytest.raises(InvalidInput):
        take(ticket, actor=personas.max, channel="web")  # a manager is in no service
    assert snapshot(ticket) == before


def test_a_manager_assigns_and_the_owner_is_told(personas, make_ticket):
    ticket = make_ticket()
    assign(ticket, actor=personas.max, channel="web", owner=personas.tom)

    assert refresh(ticket).owner == personas.tom
    assert _notifications(personas.tom) == [
        f"Max Test gave you #{ticket.pk}: Error message at login"
    ]


def test_assigning_to_nobody_and_to_the_same_owner(personas, make_ticket):
    ticket = make_ticket()
    take(ticket, actor=personas.tom, channel="web")
    events = len(kinds(ticket))

    assign(ticket, actor=personas.tom, channel="web", owner=personas.tom)
    assert len(kinds(ticket)) == events  # no change, no event

    assign(ticket, actor=personas.tom, channel="web", owner=None)
    ticket = refresh(ticket)
    assert ticket.owner is None
    assert ticket.status == "open"
    assert (last_event(ticket).data["old"], last_event(ticket).data["new"]) == ("tom", None)


@pytest.mark.parametrize("who", ["olivia", "alice", "nina"])
def test_who_may_not_assign(personas, make_ticket, who):
    ticket = make_ticket()
    with pytest.raises(Forbidden) as exc:
        assign(ticket, actor=personas.by_role(who), channel="web", owner=personas.tom)
    assert exc.value.message == "Only a technician of this ticket's service may assign it."
    assert refresh(ticket).owner is None
