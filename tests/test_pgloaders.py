"""PostgreSQL times are read by psycopg's C loader, and come out as Django's loader gives them."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

VALUES = [
    datetime(2026, 12, 1, 17, 0, 9, 215249, tzinfo=UTC),
    datetime(1999, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2026, 3, 29, 1, 30, tzinfo=timezone(timedelta(hours=2))),  # another offset
    datetime(1, 1, 1, 0, 0, tzinfo=UTC),
]


@pytest.fixture
def postgres():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    connection.ensure_connection()
    return connection


def _read(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def test_the_c_loader_reads_times_as_django_does(postgres):
    from django.db.backends.postgresql.psycopg_any import register_tzloader
    from psycopg.pq import Format

    from osit.core.pgloaders import FastTzLoader

    oid = postgres.connection.adapters.types["timestamptz"].oid
    assert issubclass(postgres.connection.adapters.get_loader(oid, Format.TEXT), FastTzLoader)
    query = "SELECT " + ", ".join(["%s::timestamptz"] * len(VALUES))
    fast = _read(query, VALUES)[0]

    register_tzloader(postgres.timezone, postgres.connection)  # Django's own, for comparison
    try:
        django_s = _read(query, VALUES)[0]
    finally:
        from osit.core.pgloaders import loader_for

        postgres.connection.adapters.register_loader("timestamptz", loader_for(postgres.timezone))
    assert fast == django_s == tuple(VALUES)
    assert all(v.tzinfo is postgres.timezone for v in fast)
    assert [v.isoformat() for v in fast] == [v.isoformat() for v in django_s]


def test_null_times_stay_none_and_a_model_round_trips(postgres, personas, make_ticket):
    from osit.tickets.models import Ticket

    ticket = make_ticket()
    assert _read("SELECT NULL::timestamptz") == [(None,)]
    again = Ticket.objects.get(pk=ticket.pk)
    assert again.created_at == ticket.created_at
    assert again.created_at.tzinfo is UTC
