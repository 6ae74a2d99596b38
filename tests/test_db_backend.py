"""OSIT's PostgreSQL backend: a kept connection's health checked without a round trip."""

from __future__ import annotations

import select
import time

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connection, connections

pytestmark = pytest.mark.django_db


@pytest.fixture
def kept():
    """A second connection to the test database, as a server thread keeps one between requests."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's connections")
    wrapper = connections.create_connection(DEFAULT_DB_ALIAS)
    assert wrapper.settings_dict["CONN_HEALTH_CHECKS"]
    wrapper.ensure_connection()
    yield wrapper
    wrapper.close()


@pytest.fixture
def sent(monkeypatch):
    """Every statement psycopg sends to the server, in order."""
    statements: list[str] = []
    execute = psycopg.Cursor.execute

    def recording(self, query, *args, **kwargs):
        statements.append(str(query))
        return execute(self, query, *args, **kwargs)

    monkeypatch.setattr(psycopg.Cursor, "execute", recording)
    return statements


def _next_request(wrapper) -> int:
    """What Django does around a request's first query; the answer of ``SELECT 2``."""
    wrapper.close_if_unusable_or_obsolete()  # the request starts
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT 2")
        return cursor.fetchone()[0]


def _wait_readable(wrapper) -> None:
    readable: list = []
    deadline = time.monotonic() + 10
    while not readable and time.monotonic() < deadline:
        readable, _w, _x = select.select([wrapper.connection.pgconn.socket], [], [], 0.1)
    assert readable, "the server sent nothing"


def test_a_healthy_kept_connection_is_checked_without_a_statement(kept, sent):
    assert _next_request(kept) == 2
    assert _next_request(kept) == 2
    assert sent == ["SELECT 2", "SELECT 2"]  # Django's check would have sent SELECT 1 before each


def test_a_connection_the_server_ended_is_replaced_before_the_first_query(kept, sent):
    pid = kept.connection.info.backend_pid
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        assert cursor.fetchone() == (True,)
    _wait_readable(kept)  # the server's "terminating connection" error, then the end
    sent.clear()

    assert _next_request(kept) == 2  # no error reaches the request
    assert kept.connection.info.backend_pid != pid
    assert sent[0] == "SELECT 1"  # something had arrived: Django's own check, which failed


def test_something_else_arriving_keeps_the_connection(kept, sent):
    # An idle connection that received a message (here a notification) is checked the usual way,
    # and kept when it answers.
    pid = kept.connection.info.backend_pid
    with kept.cursor() as cursor:
        cursor.execute("LISTEN osit_health_test")
    # From outside the test's transaction, so that it is delivered.
    other = kept.get_new_connection(kept.get_connection_params())
    try:
        other.autocommit = True
        other.execute("NOTIFY osit_health_test")
    finally:
        other.close()
    _wait_readable(kept)
    sent.clear()

    assert _next_request(kept) == 2
    assert kept.connection.info.backend_pid == pid
    assert sent == ["SELECT 1", "SELECT 2"]


def test_a_closed_connection_is_not_usable(kept):
    kept.connection.close()
    assert kept.is_usable() is False
