"""Every foreign key is indexed once: by its own index, or by a composite index starting with its
column — never by both (osit.core.db.covered, issue 5)."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.db import connection, models

OURS = {"api", "audit", "directory", "mail", "tickets", "web", "core", "jobs"}


def indexes(table: str) -> dict[str, dict]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, table)
    # Unique constraints are indexes too (reported apart on PostgreSQL).
    return {n: i for n, i in constraints.items() if i.get("index") or i.get("unique")}


def our_models():
    return [m for m in apps.get_models() if m._meta.app_label in OURS and m._meta.managed]


@pytest.mark.django_db
def test_every_foreign_key_column_leads_an_index():
    # What the removed single-column indexes served: a lookup or a delete by the key's value.
    unindexed = []
    for model in our_models():
        leading = {
            tuple(info["columns"] or ())[:1] for info in indexes(model._meta.db_table).values()
        }
        for field in model._meta.get_fields():
            if isinstance(field, models.ForeignKey) and (field.column,) not in leading:
                unindexed.append(f"{model._meta.db_table}.{field.column}")
    assert unindexed == []


@pytest.mark.django_db
def test_no_index_is_the_start_of_another_one():
    # A non-unique index on columns that begin another index serves nothing the longer one does
    # not, and every insert writes both.
    covered = []
    for model in our_models():
        found = indexes(model._meta.db_table)
        for name, info in found.items():
            if info.get("unique") or info.get("primary_key"):
                continue
            columns = list(info["columns"] or [])
            for other, other_info in found.items():
                longer = list(other_info["columns"] or [])
                if (
                    other != name
                    and len(longer) > len(columns)
                    and longer[: len(columns)] == columns
                ):
                    covered.append(f"{name} (covered by {other})")
    assert covered == []


def _own_ticket_index(table: str) -> list[str]:
    return [
        name
        for name, info in indexes(table).items()
        if list(info["columns"] or []) == ["ticket_id"] and not info.get("unique")
    ]


@pytest.mark.django_db(transaction=True)
def test_the_migration_drops_the_index_alone_and_can_be_undone(make_ticket):
    from django.db.migrations.executor import MigrationExecutor

    from osit.audit.models import Event

    make_ticket(subject="History kept through the migration")
    events = list(Event.objects.order_by("seq").values_list("seq", "hash"))
    assert events and _own_ticket_index("audit_event") == []

    MigrationExecutor(connection).migrate([("audit", "0002_initial")])
    assert len(_own_ticket_index("audit_event")) == 1  # Django's own index, back again
    MigrationExecutor(connection).migrate([("audit", "0003_covered_ticket_index")])
    assert _own_ticket_index("audit_event") == []
    # The table was not remade: the same rows, the chain intact.
    assert list(Event.objects.order_by("seq").values_list("seq", "hash")) == events
