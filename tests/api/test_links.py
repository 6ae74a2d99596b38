"""/tickets/{n}/links, /merge, /split and the override of dependencies, through the API."""

from __future__ import annotations

import pytest

from osit.tickets import actions
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def test_link_list_and_remove(api_as, make_ticket):
    a, b = make_ticket(), make_ticket()
    api = api_as("tom")
    created = api.post(f"/tickets/{a.pk}/links", {"kind": "depends_on", "target": b.pk})
    assert created.status_code == 201
    [link] = created.json()
    assert link == {
        "id": link["id"],
        "kind": "depends_on",
        "direction": "outgoing",
        "label": "depends on",
        "ticket": b.pk,
        "subject": b.subject,
        "status": "new",
    }
    [back] = api.get(f"/tickets/{b.pk}/links").json()
    assert (back["direction"], back["label"], back["ticket"]) == ("incoming", "blocks", a.pk)
    assert api.delete(f"/tickets/{b.pk}/links/{link['id']}").json() == []


def test_link_errors(api_as, make_ticket, personas):
    a = make_ticket()
    hidden = make_ticket(service=personas.network, application=None)
    api = api_as("tom")
    assert_error(
        api.post(f"/tickets/{a.pk}/links", {"kind": "likes", "target": 1}), 422, field="kind"
    )
    assert_error(
        api.post(f"/tickets/{a.pk}/links", {"kind": "refers_to", "target": hidden.pk}), 404
    )
    assert_error(
        api_as("alice").post(f"/tickets/{a.pk}/links", {"kind": "refers_to", "target": a.pk}), 403
    )


def test_resolving_with_an_open_dependency_and_the_override(api_as, make_ticket):
    a, b = make_ticket(), make_ticket()
    api = api_as("tom")
    api.post(f"/tickets/{a.pk}/links", {"kind": "depends_on", "target": b.pk})
    refused = api.post(f"/tickets/{a.pk}/transitions", {"status": "resolved", "comment": "ok"})
    assert_error(refused, 409, field="status", contains=f"#{b.pk}")
    forced = api.post(
        f"/tickets/{a.pk}/transitions",
        {"status": "resolved", "comment": "ok", "override_dependencies": True},
    )
    assert forced.status_code == 200 and forced.json()["status"] == "resolved"


def test_merge_answers_the_survivor_and_the_old_number_keeps_working(api_as, make_ticket):
    old, survivor = make_ticket(), make_ticket()
    api = api_as("tom")
    merged = api.post(f"/tickets/{old.pk}/merge", {"into": survivor.pk, "comment": "Same"})
    assert merged.status_code == 200 and merged.json()["number"] == survivor.pk
    assert api.get(f"/tickets/{old.pk}").json()["number"] == survivor.pk
    assert_error(
        api.post(f"/tickets/{survivor.pk}/merge", {"into": survivor.pk}), 422, field="into"
    )


def test_split_creates_a_ticket_from_a_comment(api_as, make_ticket, personas):
    ticket = make_ticket()
    comment = actions.add_comment(ticket, actor=personas.alice, channel="web", body="Also: VPN")
    api = api_as("tom")
    new = api.post(f"/tickets/{ticket.pk}/split", {"event": comment.pk, "subject": "VPN down"})
    assert new.status_code == 201
    body = new.json()
    assert (body["subject"], body["description"], body["requester"]) == (
        "VPN down",
        "Also: VPN",
        "alice",
    )
    assert_error(api.post(f"/tickets/{ticket.pk}/split", {"event": 999999}), 404, field="event")


def test_numbers_out_of_range_are_not_a_server_error(api_as, personas):
    api = api_as("tom")
    assert api.get("/tickets/99999999999999999999").status_code in (404, 422)
    assert api.get("/attachments/99999999999999999999").status_code in (404, 422)
