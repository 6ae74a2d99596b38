"""The policy matrix through the REST API: every persona × every action, exact status codes.

Same ticket and personas as tests/web/test_policy_matrix.py (alice's ticket in *appdev*, with a
public reply carrying a file and an internal note). The API must answer exactly what the web UI
allows: 2xx and the effect visible to a manager, 403 (visible, not allowed; nothing changes) or
404 (not visible; the same answer as a ticket that does not exist).
"""

from __future__ import annotations

import pytest

from osit.tickets import actions
from osit.tickets.models import Ticket

pytestmark = pytest.mark.django_db

ACTIONS = ("list", "view", "reply", "internal", "status", "reroute", "close", "reopen", "download")
# fmt: off
#   expected status code; for list/internal: "yes" = listed / notes shown, "no" = not
MATRIX = {
    #                    list   view  reply internal status reroute close reopen download
    "owner_requester":  ("yes", 200,  201,  "no",    403,   403,    403,  403,   200),
    "other_requester":  ("no",  404,  404,  404,     404,   404,    404,  404,   404),
    "operator":         ("yes", 200,  201,  "yes",   403,   200,    403,  403,   200),
    "technician":       ("yes", 200,  201,  "yes",   200,   200,    200,  200,   200),
    "other_technician": ("no",  404,  404,  404,     404,   404,    404,  404,   404),
    "manager":          ("yes", 200,  201,  "yes",   200,   200,    200,  200,   200),
    "admin":            ("yes", 200,  201,  "yes",   200,   200,    200,  200,   200),
}
# fmt: on
PERSONA = {
    "owner_requester": "alice",
    "other_requester": "bob",
    "operator": "olivia",
    "technician": "tom",
    "other_technician": "nina",
    "manager": "max",
    "admin": "ada",
}
INTERNAL_NOTE = "INTERNAL: the database password expired"
PUBLIC_REPLY = "We are looking at it."

CELLS = [
    pytest.param(role, action, MATRIX[role][i], id=f"{role}-{action}")
    for role in MATRIX
    for i, action in enumerate(ACTIONS)
]


@pytest.fixture
def shared(personas, make_ticket):
    ticket = make_ticket(subject="Payroll says database unavailable")
    reply = actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body=PUBLIC_REPLY,
        uploads=[actions.Upload("error.log", b"error log")],
    )
    actions.add_comment(
        ticket, actor=personas.tom, channel="web", body=INTERNAL_NOTE, visibility="internal"
    )
    return ticket, reply.attachments.get()


def _status(api, ticket, target, role, expected):
    before = Ticket.objects.get(pk=ticket.pk).status
    text = f"Observation by {role}"
    response = api.post(f"/tickets/{ticket.pk}/transitions", {"status": target, "comment": text})
    assert response.status_code == expected, response.content
    after = Ticket.objects.get(pk=ticket.pk)
    if expected == 200:
        assert response.json()["status"] == target
        assert after.status == target
        assert after.comments.filter(body=text).exists()
    else:
        assert response.json()["status"] == expected
        assert after.status == before
        assert not after.comments.filter(body=text).exists()


@pytest.mark.parametrize(("role", "action", "expected"), CELLS)
def test_api_matrix(api_as, personas, shared, role, action, expected):
    ticket, attachment = shared
    api = api_as(PERSONA[role])
    n = ticket.pk
    if action == "list":
        numbers = [t["number"] for t in api.get("/tickets").json()["items"]]
        assert (n in numbers) is (expected == "yes")
    elif action == "view":
        response = api.get(f"/tickets/{n}")
        assert response.status_code == expected
        if expected == 200:
            assert response.json()["subject"] == ticket.subject
            assert response["ETag"] == f'"{response.json()["version"]}"'
        else:
            assert response.json()["message"] == f"Ticket #{n} does not exist."
    elif action == "reply":
        text = f"Reply from {role}"
        response = api.post(f"/tickets/{n}/comments", {"body": text})
        assert response.status_code == expected
        assert ticket.comments.filter(body=text).exists() is (expected == 201)
    elif action == "internal":
        comments = api.get(f"/tickets/{n}/comments")
        events = api.get(f"/tickets/{n}/events")
        if expected == 404:
            assert comments.status_code == events.status_code == 404
            return
        bodies = [c["body"] for c in comments.json()]
        assert PUBLIC_REPLY in bodies
        assert (INTERNAL_NOTE in bodies) is (expected == "yes")
        notes = [e for e in events.json() if e["kind"] == "note_added"]
        assert len(notes) == (1 if expected == "yes" else 0), events.json()
    elif action == "status":
        _status(api, ticket, "pending_customer", role, expected)
    elif action == "close":
        _status(api, ticket, "closed", role, expected)
    elif action == "reopen":
        actions.change_status(
            ticket, actor=personas.max, channel="web", status="closed", comment="Closed first."
        )
        _status(api, ticket, "open", role, expected)
    elif action == "reroute":
        text = f"Justification by {role}"
        response = api.post(f"/tickets/{n}/reroute", {"service": "network", "comment": text})
        assert response.status_code == expected
        moved = Ticket.objects.get(pk=n).service_id == personas.network.pk
        assert moved is (expected == 200)
        if expected == 200:
            assert response.json()["service"] == "network"
            assert response.json()["owner"] is None
    elif action == "download":
        response = api.get(f"/attachments/{attachment.pk}")
        assert response.status_code == expected
        if expected == 200:
            assert b"".join(response.streaming_content) == b"error log"
            assert response["Content-Disposition"] == 'attachment; filename="error.log"'
        else:
            assert b"error log" not in response.content


def test_the_matrix_matches_the_web_matrix():
    from tests.web.test_policy_matrix import ACTIONS as WEB_ACTIONS
    from tests.web.test_policy_matrix import MATRIX as WEB

    web_codes = {"yes": {200, 201, "yes"}, "no": {"no"}, "403": {403}, "404": {404}}
    assert WEB_ACTIONS == ACTIONS
    for role, row in MATRIX.items():
        for i, cell in enumerate(row):
            assert cell in web_codes[WEB[role][i]], (role, ACTIONS[i], cell, WEB[role][i])
