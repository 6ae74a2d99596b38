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


def _own_index(table: str, column: str) -> list[str]:
    return [
        name
        for name, info in indexes(table).items()
        if list(info["columns"] or []) == [column] and not info.get("unique")
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("app", "before", "migration", "table", "column"),
    [
        ("audit", "0002_initial", "0003_covered_ticket_index", "audit_event", "ticket_id"),
        (
            "tickets",
            "0005_ticket_autovacuum",
            "0006_covered_foreign_key_indexes",
            "tickets_comment",
            "ticket_id",
        ),
        (
            "tickets",
            "0005_ticket_autovacuum",
            "0006_covered_foreign_key_indexes",
            "tickets_ticket",
            "requester_id",
        ),
        ("api", "0001_initial", "0002_covered_user_index", "api_idempotencykey", "user_id"),
    ],
)
def test_the_migration_drops_the_index_alone_and_can_be_undone(
    make_ticket, app, before, migration, table, column
):
    from django.db.migrations.executor import MigrationExecutor

    from osit.audit.models import Event
    from osit.tickets.actions import add_comment
    from osit.tickets.models import Comment, Ticket

    ticket = make_ticket(subject="History kept through the migration")
    add_comment(ticket, actor=ticket.requester, channel="web", body="Still here afterwards.")

    def rows():
        return (
            list(Event.objects.order_by("seq").values_list("seq", "hash")),
            list(Comment.objects.values_list("id", "ticket_id", "body")),
            list(Ticket.objects.values_list("id", "requester_id", "subject")),
        )

    kept = rows()
    assert kept[0] and kept[1] and _own_index(table, column) == []

    MigrationExecutor(connection).migrate([(app, before)])
    assert len(_own_index(table, column)) == 1  # Django's own index, back again
    MigrationExecutor(connection).migrate([(app, migration)])
    assert _own_index(table, column) == []
    # The tables were not remade: the same rows, the history's chain intact.
    assert rows() == kept
