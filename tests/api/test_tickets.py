"""Contract tests of /tickets (SPEC §11): fields, types, status codes, errors naming the field."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from osit.api.models import IdempotencyKey
from osit.tickets import actions
from osit.tickets.models import Ticket
from tests.api.conftest import assert_error

pytestmark = pytest.mark.django_db

TICKET_FIELDS = {
    "number": int,
    "subject": str,
    "description": str,
    "status": str,
    "service": (str, type(None)),
    "application": (str, type(None)),
    "requester": str,
    "owner": (str, type(None)),
    "severity": str,
    "criticality": str,
    "priority": int,
    "priority_reason": str,
    "channel": str,
    "type": str,
    "created_at": str,
    "updated_at": str,
    "due_at": (str, type(None)),
    "resolved_at": (str, type(None)),
    "closed_at": (str, type(None)),
    "time_spent_minutes": int,
    "comment_count": int,
    "watchers": list,
    "tags": list,
    "version": int,
    "url": str,
}


def assert_ticket_shape(body: dict) -> None:
    assert set(body) == set(TICKET_FIELDS)
    for name, kind in TICKET_FIELDS.items():
        assert isinstance(body[name], kind), (name, body[name])


# --- create ---------------------------------------------------------------------------------


def test_an_operator_creates_a_ticket_for_a_requester(api_as, personas):
    response = api_as("olivia").post(
        "/tickets",
        {
            "subject": "Payroll: database unavailable",
            "description": "Since 9:00",
            "requester": "alice@osit.test",
            "application": "payroll",
            "severity": "major",
            "criticality": "blocking",
            "channel": "phone",
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert_ticket_shape(body)
    assert body["requester"] == "alice"
    assert body["service"] == "appdev"  # from the application
    assert body["status"] == "new"
    assert body["priority"] == 1
    assert body["channel"] == "phone"
    assert body["url"] == f"/api/v1/tickets/{body['number']}"
    ticket = Ticket.objects.get(pk=body["number"])
    assert ticket.created_by == personas.olivia
    assert ticket.events.filter(kind="created").count() == 1


def test_defaults_and_a_requester_without_service_waits_for_routing(api_as):
    response = api_as("alice").post("/tickets", {"subject": "My screen flickers"})
    assert response.status_code == 201
    body = response.json()
    assert (body["requester"], body["service"], body["status"]) == ("alice", None, "new")
    assert (body["severity"], body["criticality"], body["channel"]) == (
        "moderate",
        "non_blocking",
        "api",
    )


def test_an_enhancement_waits_for_a_decision(api_as):
    body = (
        api_as("tom")
        .post(
            "/tickets",
            {"subject": "Export to CSV", "service": "appdev", "criticality": "enhancement"},
        )
        .json()
    )
    assert body["status"] == "pending_decision"
    assert body["type"] == "enhancement"


@pytest.mark.parametrize(
    ("who", "body", "status", "field", "words"),
    [
        ("tom", {"subject": "x"}, 422, "service", "service"),
        ("tom", {"subject": "x", "service": "nope"}, 422, "service", "nope"),
        (
            "tom",
            {"subject": "x", "service": "appdev", "application": "nope"},
            422,
            "application",
            "nope",
        ),
        (
            "tom",
            {"subject": "x", "service": "appdev", "requester": "ghost"},
            422,
            "requester",
            "ghost",
        ),
        ("tom", {"subject": "   ", "service": "appdev"}, 422, "subject", "subject"),
        ("tom", {"subject": "x" * 251, "service": "appdev"}, 422, "subject", "subject"),
        (
            "tom",
            {"subject": "x", "service": "appdev", "severity": "huge"},
            422,
            "severity",
            "severity",
        ),
        ("tom", {"subject": "x", "service": "appdev", "colour": "red"}, 422, "colour", "colour"),
        ("tom", {"service": "appdev"}, 422, "subject", "subject"),
        ("alice", {"subject": "x", "requester": "bob"}, 403, None, "yourself"),
    ],
)
def test_bad_creation_names_the_problem(api_as, personas, who, body, status, field, words):
    before = Ticket.objects.count()
    error = assert_error(api_as(who).post("/tickets", body), status, field=field)
    assert words.lower() in error["message"].lower()
    assert Ticket.objects.count() == before


def test_a_body_that_is_not_json_is_a_422(api_as, personas):
    api = api_as("tom")
    response = api.client.post(
        "/api/v1/tickets", data="{not json", content_type="application/json", headers=api.headers
    )
    assert response.status_code in (400, 422)
    assert response.json()["status"] == response.status_code


# --- idempotency ----------------------------------------------------------------------------


BODY = {"subject": "Printer on fire", "service": "appdev", "requester": "alice"}


def test_the_same_idempotency_key_and_body_give_the_first_ticket(api_as):
    api = api_as("olivia")
    first = api.post("/tickets", BODY, headers={"Idempotency-Key": "call-42"})
    again = api.post("/tickets", BODY, headers={"Idempotency-Key": "call-42"})
    assert first.status_code == again.status_code == 201
    assert again.json()["number"] == first.json()["number"]
    assert Ticket.objects.filter(subject="Printer on fire").count() == 1
    other = api.post("/tickets", BODY, headers={"Idempotency-Key": "call-43"})
    assert other.json()["number"] != first.json()["number"]


def test_an_idempotency_key_reused_with_another_body_is_refused(api_as):
    api = api_as("olivia")
    api.post("/tickets", BODY, headers={"Idempotency-Key": "k1"})
    response = api.post("/tickets", {**BODY, "subject": "Other"}, headers={"Idempotency-Key": "k1"})
    assert_error(response, 422, field="Idempotency-Key", contains="different body")
    assert not Ticket.objects.filter(subject="Other").exists()


def test_idempotency_keys_belong_to_one_user_and_expire_after_24_hours(api_as):
    first = api_as("olivia").post("/tickets", BODY, headers={"Idempotency-Key": "k"}).json()
    theirs = api_as("max").post("/tickets", BODY, headers={"Idempotency-Key": "k"}).json()
    assert theirs["number"] != first["number"]
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    later = api_as("olivia").post("/tickets", BODY, headers={"Idempotency-Key": "k"}).json()
    assert later["number"] not in (first["number"], theirs["number"])


def test_a_failed_creation_does_not_burn_the_key(api_as):
    api = api_as("olivia")
    bad = api.post("/tickets", {**BODY, "service": "nope"}, headers={"Idempotency-Key": "k"})
    assert bad.status_code == 422
    assert not IdempotencyKey.objects.exists()


# --- read, patch ----------------------------------------------------------------------------


def test_get_answers_the_ticket_with_its_etag(api_as, make_ticket, personas):
    ticket = make_ticket()
    actions.add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    response = api_as("tom").get(f"/tickets/{ticket.pk}")
    assert response.status_code == 200
    body = response.json()
    assert_ticket_shape(body)
    assert body["watchers"] == [{"username": "bob", "kind": "cc"}]
    assert response["ETag"] == f'"{body["version"]}"'


def test_a_missing_ticket_and_an_invisible_one_answer_the_same(api_as, make_ticket):
    ticket = make_ticket()
    missing = api_as("nina").get("/tickets/999999")
    hidden = api_as("nina").get(f"/tickets/{ticket.pk}")
    assert missing.status_code == hidden.status_code == 404
    assert hidden.json()["message"] == f"Ticket #{ticket.pk} does not exist."


def test_patch_changes_fields_and_bumps_the_version(api_as, make_ticket):
    ticket = make_ticket(severity="minor", criticality="non_blocking")
    api = api_as("tom")
    etag = api.get(f"/tickets/{ticket.pk}")["ETag"]
    response = api.patch(
        f"/tickets/{ticket.pk}",
        {"subject": "Payroll down", "severity": "major", "tags": ["Payroll", "db"]},
        headers={"If-Match": etag},
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["subject"] == "Payroll down"
    assert body["severity"] == "major"
    assert body["priority"] == 2  # major × non-blocking in the default matrix
    assert body["tags"] == ["db", "payroll"]
    assert response["ETag"] == f'"{body["version"]}"' != etag


def test_a_stale_if_match_is_a_409_and_changes_nothing(api_as, make_ticket):
    ticket = make_ticket()
    api = api_as("tom")
    etag = api.get(f"/tickets/{ticket.pk}")["ETag"]
    api.patch(f"/tickets/{ticket.pk}", {"subject": "First edit"})
    response = api.patch(
        f"/tickets/{ticket.pk}", {"subject": "Second edit"}, headers={"If-Match": etag}
    )
    assert_error(response, 409, field="If-Match", contains="changed since you read it")
    assert Ticket.objects.get(pk=ticket.pk).subject == "First edit"


def test_priority_override_needs_a_reason_and_zero_goes_back_to_the_matrix(api_as, make_ticket):
    ticket = make_ticket()
    api = api_as("tom")
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"priority": 4}), 422, field="reason")
    body = api.patch(f"/tickets/{ticket.pk}", {"priority": 4, "reason": "Workaround given"}).json()
    assert (body["priority"], body["priority_reason"]) == (4, "Workaround given")
    body = api.patch(f"/tickets/{ticket.pk}", {"priority": 0}).json()
    assert (body["priority"], body["priority_reason"]) == (1, "")


def test_owner_is_assigned_by_username_and_cleared_with_an_empty_string(api_as, make_ticket):
    ticket = make_ticket()
    api = api_as("tom")
    body = api.patch(f"/tickets/{ticket.pk}", {"owner": "tom"}).json()
    assert (body["owner"], body["status"]) == ("tom", "open")
    assert api.patch(f"/tickets/{ticket.pk}", {"owner": ""}).json()["owner"] is None
    assert_error(api.patch(f"/tickets/{ticket.pk}", {"owner": "nina"}), 422, field="owner")


def test_patch_is_all_or_nothing(api_as, make_ticket):
    ticket = make_ticket()
    response = api_as("tom").patch(
        f"/tickets/{ticket.pk}", {"subject": "Changed", "owner": "ghost"}
    )
    assert_error(response, 422, field="owner")
    assert Ticket.objects.get(pk=ticket.pk).subject == ticket.subject


@pytest.mark.parametrize("field", ["status", "service", "number"])
def test_patch_refuses_what_only_actions_change(api_as, make_ticket, field):
    ticket = make_ticket()
    assert_error(api_as("tom").patch(f"/tickets/{ticket.pk}", {field: "x"}), 422, field=field)


def test_a_requester_may_not_patch(api_as, make_ticket):
    ticket = make_ticket()
    assert_error(api_as("alice").patch(f"/tickets/{ticket.pk}", {"subject": "Mine"}), 403)


# --- transitions, re-route ------------------------------------------------------------------


def test_a_status_change_without_comment_is_refused(api_as, make_ticket):
    ticket = make_ticket()
    response = api_as("tom").post(
        f"/tickets/{ticket.pk}/transitions", {"status": "open", "comment": "  "}
    )
    assert_error(response, 422, field="comment")
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_transition_not_allowed_names_the_allowed_ones(api_as, make_ticket, personas):
    ticket = make_ticket()
    actions.change_status(
        ticket, actor=personas.tom, channel="web", status="closed", comment="Done"
    )
    response = api_as("tom").post(
        f"/tickets/{ticket.pk}/transitions", {"status": "resolved", "comment": "Again"}
    )
    body = assert_error(response, 409, field="status")
    assert body["allowed"] == ["open"]
    assert "open" in body["message"]


def test_the_requester_confirms_or_reopens_a_resolved_ticket(api_as, make_ticket, personas):
    first, second = make_ticket(), make_ticket()
    for t in (first, second):
        actions.change_status(t, actor=personas.tom, channel="web", status="resolved", comment="ok")
    alice = api_as("alice")
    closed = alice.post(
        f"/tickets/{first.pk}/transitions", {"status": "closed", "comment": "Works, thanks"}
    )
    assert closed.status_code == 200 and closed.json()["status"] == "closed"
    reopened = alice.post(
        f"/tickets/{second.pk}/transitions", {"status": "open", "comment": "Still broken"}
    )
    assert reopened.status_code == 200 and reopened.json()["status"] == "open"


def test_a_manager_decides_an_enhancement_and_a_technician_may_not(api_as, make_ticket):
    ticket = make_ticket(criticality="enhancement")
    refused = api_as("tom").post(
        f"/tickets/{ticket.pk}/transitions", {"status": "open", "comment": "Let's do it"}
    )
    assert refused.status_code == 403
    accepted = api_as("max").post(
        f"/tickets/{ticket.pk}/transitions", {"status": "open", "comment": "Accepted in review"}
    )
    assert accepted.status_code == 200 and accepted.json()["status"] == "open"
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="enhancement_accepted").exists()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"service": "network", "comment": ""}, "comment"),
        ({"service": "nope", "comment": "why"}, "service"),
        ({"service": "appdev", "comment": "why"}, "service"),
        ({"comment": "why"}, "service"),
    ],
)
def test_bad_reroutes_name_the_field(api_as, make_ticket, body, field):
    ticket = make_ticket()
    assert_error(api_as("tom").post(f"/tickets/{ticket.pk}/reroute", body), 422, field=field)
    assert Ticket.objects.get(pk=ticket.pk).service.slug == "appdev"


# --- comments, events, watchers, attachments -------------------------------------------------


def test_a_note_with_time_spent(api_as, make_ticket):
    ticket = make_ticket()
    response = api_as("tom").post(
        f"/tickets/{ticket.pk}/comments",
        {"body": "Restarted the pool", "visibility": "internal", "time_spent_minutes": 30},
    )
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "author",
        "body",
        "visibility",
        "channel",
        "created_at",
        "time_spent_minutes",
        "attachments",
    }
    assert (body["author"], body["visibility"], body["time_spent_minutes"]) == (
        "tom",
        "internal",
        30,
    )
    assert api_as("tom").get(f"/tickets/{ticket.pk}").json()["time_spent_minutes"] == 30


def test_comment_errors(api_as, make_ticket):
    ticket = make_ticket()
    assert_error(
        api_as("tom").post(f"/tickets/{ticket.pk}/comments", {"body": ""}), 422, field="body"
    )
    assert_error(
        api_as("tom").post(f"/tickets/{ticket.pk}/comments", {"body": "x", "activity": "juggling"}),
        422,
        field="activity",
    )
    assert_error(
        api_as("tom").post(
            f"/tickets/{ticket.pk}/comments", {"body": "x", "time_spent_minutes": -5}
        ),
        422,
        field="time_spent_minutes",
    )
    assert_error(
        api_as("alice").post(
            f"/tickets/{ticket.pk}/comments", {"body": "x", "visibility": "internal"}
        ),
        403,
    )


def test_events_are_the_history_oldest_first(api_as, make_ticket, personas):
    ticket = make_ticket()
    actions.reroute(
        ticket, actor=personas.tom, channel="web", service=personas.network, comment="Network issue"
    )
    events = api_as("max").get(f"/tickets/{ticket.pk}/events").json()
    assert events[0]["kind"] == "created"
    assert "rerouted" in [e["kind"] for e in events]
    ids = [e["id"] for e in events]
    assert ids == sorted(ids)
    assert set(events[0]) == {"id", "kind", "actor", "channel", "created_at", "data"}


def test_watchers_are_added_and_removed(api_as, make_ticket):
    ticket = make_ticket()
    api = api_as("tom")
    body = api.post(f"/tickets/{ticket.pk}/watchers", {"username": "max", "kind": "admincc"})
    assert body.status_code == 200
    assert body.json()["watchers"] == [{"username": "max", "kind": "admincc"}]
    assert_error(
        api.post(f"/tickets/{ticket.pk}/watchers", {"username": "bob", "kind": "admincc"}), 422
    )
    removed = api.delete(f"/tickets/{ticket.pk}/watchers/max?kind=admincc")
    assert removed.status_code == 200 and removed.json()["watchers"] == []


def test_attachments_go_up_and_come_down(api_as, make_ticket, settings):
    from django.core.files.uploadedfile import SimpleUploadedFile

    ticket = make_ticket()
    api = api_as("alice")
    response = api.upload(
        f"/tickets/{ticket.pk}/attachments",
        [SimpleUploadedFile("screen.png", b"\x89PNG fake", content_type="image/png")],
    )
    assert response.status_code == 201, response.content
    [meta] = response.json()
    assert (meta["filename"], meta["size"], meta["content_type"]) == ("screen.png", 9, "image/png")
    download = api.get(meta["url"].removeprefix("/api/v1"))
    assert b"".join(download.streaming_content) == b"\x89PNG fake"
    assert api_as("bob").get(meta["url"].removeprefix("/api/v1")).status_code == 404

    settings.OSIT_MAX_ATTACHMENT_BYTES = 4
    too_big = api.upload(
        f"/tickets/{ticket.pk}/attachments", [SimpleUploadedFile("big.bin", b"12345")]
    )
    assert_error(too_big, 422, field="files")
