"""Watchers: Cc (public correspondence) and AdminCc (also internal notes); agents manage them."""

from __future__ import annotations

import pytest

from osit.core.errors import Forbidden, InvalidInput
from osit.tickets.actions import add_watcher, remove_watcher
from osit.tickets.models import Watcher
from osit.tickets.policy import visible_tickets

from .util import kinds, last_event, snapshot


def test_an_agent_adds_and_removes_a_watcher(personas, make_ticket, fresh_user):
    ticket = make_ticket()
    add_watcher(ticket, actor=personas.tom, channel="web", user=personas.nina, kind="admincc")

    assert list(Watcher.objects.filter(ticket=ticket).values_list("user__username", "kind")) == [
        ("nina", "admincc")
    ]
    event = last_event(ticket)
    assert (event.kind, event.data) == ("watcher_added", {"user": "nina", "kind": "admincc"})
    assert ticket in visible_tickets(fresh_user(personas.nina))

    remove_watcher(ticket, actor=personas.tom, channel="web", user=personas.nina, kind="admincc")

    assert not Watcher.objects.filter(ticket=ticket).exists()
    assert last_event(ticket).kind == "watcher_removed"
    assert ticket not in visible_tickets(fresh_user(personas.nina))


def test_adding_twice_or_removing_a_non_watcher_changes_nothing(personas, make_ticket):
    ticket = make_ticket()
    add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    before = snapshot(ticket)

    add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    remove_watcher(ticket, actor=personas.tom, channel="web", user=personas.max, kind="cc")

    assert snapshot(ticket) == before
    assert kinds(ticket).count("watcher_added") == 1
    assert Watcher.objects.filter(ticket=ticket).count() == 1


def test_a_requester_cannot_be_admincc(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="admincc")
    assert exc.value.field == "user"
    assert exc.value.message == (
        "Bob Test is not an agent; only agents can be AdminCc (they read internal notes)."
    )
    assert not Watcher.objects.exists()


def test_a_requester_cannot_change_the_watchers(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(Forbidden) as exc:
        add_watcher(ticket, actor=personas.alice, channel="web", user=personas.bob, kind="cc")
    assert exc.value.message == "Only agents may change the watchers."
    assert not Watcher.objects.exists()


def test_an_unknown_watcher_kind_is_refused(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="bcc")
    assert exc.value.field == "kind"
    assert exc.value.message == "'bcc' is not a valid kind (choose one of: cc, admincc)."
