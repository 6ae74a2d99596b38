"""Personas (STYLE §10) shared by every test: one of each role, two services, two requesters.

- alice, bob: requesters (different organisations)
- olivia: operator (call centre)
- tom: technician of *appdev* (Application developers)
- nina: technician of *network*
- max: manager; ada: admin
Every persona's password is ``PASSWORD``.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

PASSWORD = "correct-horse-battery"


@dataclass
class Personas:
    alice: object
    bob: object
    olivia: object
    tom: object
    nina: object
    max: object
    ada: object
    appdev: object
    network: object
    payroll: object  # an application owned by appdev
    router: object  # an application owned by network

    def by_role(self, name: str):
        return getattr(self, name)


@pytest.fixture
def personas(db) -> Personas:
    from osit.directory import actions as d

    d.ensure_roles()
    appdev = d.create_service(
        actor=None,
        channel="cli",
        slug="appdev",
        name="Application developers",
        email="appdev@osit.test",
    )
    network = d.create_service(
        actor=None, channel="cli", slug="network", name="Network", email="network@osit.test"
    )
    payroll = d.create_application(
        actor=None, channel="cli", slug="payroll", name="Payroll", service=appdev
    )
    router = d.create_application(
        actor=None, channel="cli", slug="core-router", name="Core router", service=network
    )
    acme = d.create_organisation(actor=None, channel="cli", slug="acme", name="Acme")
    globex = d.create_organisation(actor=None, channel="cli", slug="globex", name="Globex")

    def user(name, role, services=(), org=None, phone=""):
        return d.create_user(
            actor=None,
            channel="cli",
            username=name,
            email=f"{name}@osit.test",
            roles=[role],
            services=services,
            password=PASSWORD,
            first_name=name.capitalize(),
            last_name="Test",
            phone=phone,
            organisation=org,
            validate=False,
        )

    return Personas(
        alice=user("alice", "requester", org=acme, phone="+33123456789"),
        bob=user("bob", "requester", org=globex, phone="+33987654321"),
        olivia=user("olivia", "operator"),
        tom=user("tom", "technician", [appdev]),
        nina=user("nina", "technician", [network]),
        max=user("max", "manager"),
        ada=user("ada", "admin"),
        appdev=appdev,
        network=network,
        payroll=payroll,
        router=router,
    )


@pytest.fixture
def make_ticket(personas):
    """Create a ticket through the action, as an operator would by phone."""
    from osit.tickets.actions import create_ticket

    def make(**overrides):
        fields = {
            "actor": personas.olivia,
            "channel": "phone",
            "requester": personas.alice,
            "subject": "Error message at login",
            "description": "The payroll application says 'database unavailable'.",
            "service": personas.appdev,
            "application": personas.payroll,
            "severity": "major",
            "criticality": "blocking",
        }
        fields.update(overrides)
        return create_ticket(**fields)

    return make


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "attachments"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings, request):
    # Argon2 is deliberately slow; personas are created for most tests. tests/test_settings.py
    # checks that production uses Argon2.
    if "argon2" not in request.keywords:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def pipelines(monkeypatch):
    """How many times psycopg entered pipeline mode on PostgreSQL: one round trip for the
    statements sent in it (``osit.core.queries.together``); always empty on SQLite."""
    from django.db import connection

    entered: list[int] = []
    if connection.vendor != "postgresql":
        return entered
    import psycopg

    real = psycopg.Connection.pipeline

    def counting(self, *args, **kwargs):
        entered.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "pipeline", counting)
    return entered


@pytest.fixture
def round_trips(monkeypatch):
    """The round trips to PostgreSQL, in order: ``"together"`` for statements sent in one
    pipeline (``osit.core.queries.together``), else the text of a statement sent alone. Always
    empty on SQLite."""
    from django.db import connection

    trips: list[str] = []
    if connection.vendor != "postgresql":
        yield trips
        return
    import psycopg

    real = psycopg.Connection.pipeline

    def counting(self, *args, **kwargs):
        trips.append("together")
        return real(self, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "pipeline", counting)

    def alone(execute, sql, params, many, context):
        if not connection.connection.pgconn.pipeline_status:
            trips.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(alone):
        yield trips


@pytest.fixture(autouse=True)
def _no_remembered_queue_addresses():
    """Each test starts with no queue address remembered by the process (the guess a queue
    page reads ahead with: ``tickets.queries.guessed_service_id``), so its statements do not
    depend on the tests the same worker ran before."""
    from osit.tickets import queries

    queries._SERVICE_IDS.clear()
    yield
    queries._SERVICE_IDS.clear()
