"""The cost of POST /tickets (issue 5): what a create reads and writes, and that the shortcuts
taken for it (the answer built from the objects in hand, the token's one query, no savepoint)
answer exactly what reading the ticket back answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from osit.audit.chain import verify
from osit.directory.actions import create_token, user_for_token
from osit.directory.models import ApiToken
from osit.mail.models import MessageRef, OutboundMail
from osit.tickets.models import Ticket

pytestmark = pytest.mark.django_db

# token + user + roles, requester, service, INSERT ticket, recent acknowledgements, mail
# template, INSERT mail, INSERT Message-ID, lock the chain head, INSERT event (+ UPDATE head on
# SQLite; one statement with the INSERT on PostgreSQL).
QUERIES_OF_A_CREATE = 11


def _split(queries: CaptureQueriesContext) -> tuple[list[str], int]:
    """(the statements but savepoints, how many savepoints were opened)."""
    sql = [q["sql"] for q in queries.captured_queries]
    marks = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")
    statements = [s for s in sql if not s.upper().startswith(marks)]
    return statements, sum(s.upper().startswith("SAVEPOINT") for s in sql)


@pytest.mark.parametrize(
    ("who", "body"),
    [
        (
            "olivia",
            {
                "subject": "Payroll: database unavailable",
                "description": "  Since 9:00  ",
                "requester": "alice@osit.test",
                "application": "payroll",
                "severity": "major",
                "criticality": "blocking",
                "channel": "phone",
            },
        ),
        ("olivia", {"subject": "Router down", "service": "network", "requester": "bob"}),
        ("alice", {"subject": "  My screen flickers "}),
        ("alice", {"subject": "A dark mode", "criticality": "enhancement"}),
    ],
)
def test_the_answer_to_a_create_is_the_ticket_as_read_back(api_as, who, body):
    api = api_as(who)
    created = api.post("/tickets", body)
    assert created.status_code == 201, created.content
    number = created.json()["number"]
    read = api.get(f"/tickets/{number}")
    assert read.status_code == 200
    assert created.json() == read.json()
    assert "ETag" not in created  # as before: the create answers no ETag


def test_the_answer_with_an_idempotency_key_is_the_ticket_as_read_back(api_as):
    api = api_as("olivia")
    body = {"subject": "Keyed", "service": "appdev", "requester": "alice"}
    first = api.post("/tickets", body, headers={"Idempotency-Key": "k-1"})
    again = api.post("/tickets", body, headers={"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() == api.get(f"/tickets/{first.json()['number']}").json()


def test_a_create_costs_a_bounded_number_of_queries(api_as, personas):
    api = api_as("olivia")
    assert api.get("/me").status_code == 200  # the token's use is now recorded (once a minute)
    with CaptureQueriesContext(connection) as queries:
        response = api.post(
            "/tickets", {"subject": "Counted", "service": "appdev", "requester": "alice"}
        )
    assert response.status_code == 201
    statements, savepoints = _split(queries)
    assert len(statements) <= QUERIES_OF_A_CREATE, "\n".join(statements)
    # The action's one transaction (a savepoint only because the test runs in a transaction);
    # the API no longer wraps it in another.
    assert savepoints == 1
    assert "AUTH_GROUP" in statements[0].upper()  # the roles come with the token
    assert not any(
        s.upper().startswith("SELECT") and "TICKETS_TICKET" in s.upper() for s in statements
    )  # the answer is not read back
    # Everything a create writes is still written.
    ticket = Ticket.objects.get(pk=response.json()["number"])
    assert ticket.events.filter(kind="created").count() == 1
    mail = OutboundMail.objects.get(ticket=ticket, event="acknowledgement")
    assert mail.to == ["alice@osit.test"]
    assert MessageRef.objects.filter(message_id=mail.message_id, ticket=ticket, outgoing=True)
    assert verify()[1] == []


def test_the_requester_and_the_service_are_read_in_one_round_trip(api_as, personas, pipelines):
    if connection.vendor != "postgresql":
        pytest.skip("round trips are PostgreSQL's (SQLite runs in the process)")
    api = api_as("olivia")
    assert api.get("/me").status_code == 200
    pipelines.clear()
    response = api.post("/tickets", {"subject": "Both", "service": "network", "requester": "bob"})
    assert response.status_code == 201
    assert pipelines == [1]  # the two lookups, sent together
    assert response.json()["requester"] == "bob" and response.json()["service"] == "network"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"requester": "nobody-here", "service": "network"}, "requester"),
        ({"requester": "bob", "service": "nowhere"}, "service"),
    ],
)
def test_a_lookup_read_ahead_that_finds_nothing_names_its_field(api_as, personas, body, field):
    response = api_as("olivia").post("/tickets", {"subject": "Lost", **body})
    assert response.status_code == 422
    assert field in response.content.decode()
    assert not Ticket.objects.filter(subject="Lost").exists()


def test_a_rate_limited_create_costs_fewer_queries(api_as, personas, settings):
    settings.OSIT_MAIL_AUTOREPLY_LIMIT = 1
    api = api_as("olivia")
    body = {"subject": "Again", "service": "appdev", "requester": "alice"}
    assert api.post("/tickets", body).status_code == 201
    with CaptureQueriesContext(connection) as queries:
        assert api.post("/tickets", body).status_code == 201
    assert len(_split(queries)[0]) <= QUERIES_OF_A_CREATE - 3
    assert OutboundMail.objects.filter(event="acknowledgement").count() == 1


def test_the_token_brings_the_users_roles(personas):
    tom = user_for_token(create_token(actor=None, channel="cli", user=personas.tom))
    assert tom is not None and tom.pk == personas.tom.pk
    assert tom.__dict__["role_names"] == frozenset({"technician"})  # known without a query
    personas.tom.groups.add(Group.objects.get(name="manager"))
    personas.tom.is_superuser = True
    personas.tom.save()
    token = create_token(actor=None, channel="cli", user=personas.tom)
    tom = user_for_token(token)
    assert tom is not None
    assert tom.role_names == frozenset({"technician", "manager", "admin"})
    fresh = type(tom).objects.get(pk=tom.pk)
    assert tom.role_names == fresh.role_names
    assert {f.attname: getattr(tom, f.attname) for f in tom._meta.concrete_fields} == {
        f.attname: getattr(fresh, f.attname) for f in fresh._meta.concrete_fields
    }
    nobody = user_for_token(create_token(actor=None, channel="cli", user=personas.alice))
    assert nobody is not None and nobody.role_names == frozenset({"requester"})


def test_a_user_without_any_group_authenticates_with_no_role(personas):
    personas.bob.groups.clear()
    bob = user_for_token(create_token(actor=None, channel="cli", user=personas.bob))
    assert bob is not None and bob.role_names == frozenset()


def test_the_use_of_a_token_is_recorded_at_most_once_a_minute(personas):
    token = create_token(actor=None, channel="cli", user=personas.tom, name="minute")
    row = ApiToken.objects.get(name="minute")
    assert row.last_used_at is None
    user_for_token(token)
    first = ApiToken.objects.get(pk=row.pk).last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        user_for_token(token)
    assert len(queries.captured_queries) == 1  # no UPDATE within the minute
    assert ApiToken.objects.get(pk=row.pk).last_used_at == first
    ApiToken.objects.filter(pk=row.pk).update(last_used_at=first - timedelta(seconds=61))
    user_for_token(token)
    assert ApiToken.objects.get(pk=row.pk).last_used_at > first - timedelta(seconds=1)
    assert ApiToken.objects.get(pk=row.pk).last_used_at <= timezone.now()


def test_revoked_and_unknown_tokens_are_nobody(personas):
    token = create_token(actor=None, channel="cli", user=personas.tom, name="gone")
    ApiToken.objects.filter(name="gone").update(revoked_at=timezone.now())
    assert user_for_token(token) is None
    assert user_for_token("osit_nothing") is None
