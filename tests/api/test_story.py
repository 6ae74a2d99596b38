"""The OSIT brief's story (seed 001), through the REST API alone."""

from __future__ import annotations

import pytest

from osit.audit.chain import verify
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db


def listed(api, **params) -> list[int]:
    return [t["number"] for t in api.get("/tickets", params).json()["items"]]


def test_the_seed_story_through_the_api(api_as, personas):
    olivia, tom, nina, alice, bob, max_ = (
        api_as(n) for n in ("olivia", "tom", "nina", "alice", "bob", "max")
    )

    # The call centre takes a call from alice and opens a ticket for her.
    created = olivia.post(
        "/tickets",
        {
            "subject": "Payroll: 'database unavailable' at login",
            "description": "Since this morning, every login fails.",
            "requester": "alice",
            "application": "payroll",
            "severity": "major",
            "criticality": "blocking",
            "channel": "phone",
        },
    )
    assert created.status_code == 201
    n = created.json()["number"]
    assert created.json()["service"] == "appdev"

    # Visibility by service: appdev's technician sees it, network's does not (yet).
    assert n in listed(tom)
    assert n not in listed(nina)
    assert nina.get(f"/tickets/{n}").status_code == 404
    assert n in listed(alice) and n not in listed(bob)

    # Tom takes it and writes a note with 30 minutes.
    assert tom.patch(f"/tickets/{n}", {"owner": "tom"}).json()["status"] == "open"
    note = tom.post(
        f"/tickets/{n}/comments",
        {
            "body": "The DB is fine; the VPN to the DB site is down.",
            "visibility": "internal",
            "time_spent_minutes": 30,
        },
    )
    assert note.status_code == 201

    # Re-routing without a justification is refused; with one, it goes to network.
    assert_error(
        tom.post(f"/tickets/{n}/reroute", {"service": "network", "comment": ""}),
        422,
        field="comment",
    )
    moved = tom.post(
        f"/tickets/{n}/reroute",
        {"service": "network", "comment": "VPN tunnel down between sites: network's job."},
    )
    assert moved.status_code == 200
    assert (moved.json()["service"], moved.json()["owner"]) == ("network", None)
    assert n in listed(nina)

    # A status change without an observation comment is refused; nina closes it with one.
    assert_error(
        nina.post(f"/tickets/{n}/transitions", {"status": "closed", "comment": ""}),
        422,
        field="comment",
    )
    closed = nina.post(
        f"/tickets/{n}/transitions",
        {"status": "closed", "comment": "Tunnel restarted; logins work again."},
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"

    # Closed tickets leave the active lists and appear in the closed list.
    assert n not in listed(nina)
    assert n in listed(nina, view="closed")

    # The requester sees it closed, with the public comment and without the internal note.
    assert alice.get(f"/tickets/{n}").json()["status"] == "closed"
    bodies = [c["body"] for c in alice.get(f"/tickets/{n}/comments").json()]
    assert "Tunnel restarted; logins work again." in bodies
    assert not any("VPN to the DB site" in b for b in bodies)
    assert all(not e["kind"].startswith("note") for e in alice.get(f"/tickets/{n}/events").json())

    # It failed again: a technician reopens the closed ticket, with a comment.
    reopened = nina.post(
        f"/tickets/{n}/transitions", {"status": "open", "comment": "Failing again since 14:00."}
    )
    assert reopened.json()["status"] == "open"
    assert n in listed(nina)

    # An enhancement request lands in its own list and a manager accepts it.
    idea = alice.post(
        "/tickets",
        {
            "subject": "Payroll: export payslips as PDF",
            "application": "payroll",
            "criticality": "enhancement",
        },
    ).json()
    assert idea["status"] == "pending_decision"
    assert idea["number"] in listed(max_, view="enhancements")
    decided = max_.post(
        f"/tickets/{idea['number']}/transitions",
        {"status": "open", "comment": "Accepted at the review meeting."},
    )
    assert decided.json()["status"] == "open"
    assert idea["number"] not in listed(max_, view="enhancements")

    # The whole history is there, hash-chained and intact.
    kinds = [e["kind"] for e in max_.get(f"/tickets/{n}/events").json()]
    for kind in ("created", "owner_changed", "note_added", "rerouted", "status_changed"):
        assert kind in kinds
    checked, problems = verify()
    assert checked > 0 and problems == []
