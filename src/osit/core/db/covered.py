"""Migrations that drop a foreign key's own index where a composite index covers it (issue 5).

Django gives every foreign key an index on its column. Where a model also declares an index
that starts with that column — ``(ticket, seq)`` on the history, ``(ticket, id)`` on comments,
``(service, status, priority, id)`` on tickets — the single-column index serves no lookup the
composite one does not, and every insert writes both: at a million tickets the history's own
ticket index alone was 83 MB, the comments' 63 MB.

Declaring ``db_index=False`` makes Django's ``AlterField`` remake the whole table on SQLite
(copy every row, drop, rename) to drop one index. :func:`drop_own_indexes` keeps the
``AlterField`` for the migration state and, in the database, drops just the index — found by
introspection (the non-unique index on exactly that column that the model does not declare) —
on SQLite and PostgreSQL alike; reversed, it creates the index Django would have.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _own_index(schema_editor: Any, model: Any, column: str) -> str | None:
    declared = {index.name for index in model._meta.indexes}
    connection = schema_editor.connection
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    for name, info in constraints.items():
        if (
            info.get("index")
            and not info.get("unique")
            and not info.get("primary_key")
            and list(info.get("columns") or []) == [column]
            and name not in declared
        ):
            return name
    return None


def drop_own_indexes(app_label: str, *alterations: migrations.AlterField) -> Any:
    """The ``AlterField`` operations (``db_index=False``) as state, an index drop as SQL."""
    fields = [(op.model_name, op.name) for op in alterations]

    def drop(apps: Any, schema_editor: Any) -> None:
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            name = _own_index(schema_editor, model, model._meta.get_field(field_name).column)
            if name is not None:
                schema_editor.execute(f"DROP INDEX {schema_editor.quote_name(name)}")

    def create(apps: Any, schema_editor: Any) -> None:
        for model_name, field_name in fields:
            model = apps.get_model(app_label, model_name)
            field = model._meta.get_field(field_name)
            if _own_index(schema_editor, model, field.column) is None:
                schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))

    return migrations.SeparateDatabaseAndState(
        state_operations=list(alterations),
        database_operations=[migrations.RunPython(drop, create)],
    )
