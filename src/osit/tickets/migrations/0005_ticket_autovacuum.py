"""PostgreSQL: vacuum the tickets table after a few thousand changes, not a fifth of it.

The lists count and read active tickets from their partial indexes without touching the table
only where the table's pages are marked all-visible, and a page loses that mark on every insert
or update of a row in it. The active tickets are the recent ones, on the very pages the desk's
inserts, status changes and auto-closes keep dirtying, and by default autovacuum only comes
back after 20 % of the table has changed: 200,000 rows at a million tickets, months of a desk's
work. Measured at a million tickets (issue 5): after the ~4,400 auto-closes of a first
``osit serve`` left 1,231 of a queue's 2,627 active rows on unmarked pages, the queue's count
took 1.4 ms instead of 0.3 and its 10th page 4.5 ms instead of 2.5; a vacuum restored both.
With these settings autovacuum runs once 1,000 rows plus 0.2 % of the table (3,000 at a
million) have changed or been added, and a vacuum of a table that is mostly marked only reads
its unmarked pages. SQLite has no such map: nothing to do there.
"""

from django.db import migrations

OPTIONS = {
    "autovacuum_vacuum_threshold": "1000",
    "autovacuum_vacuum_scale_factor": "0.002",
    "autovacuum_vacuum_insert_threshold": "1000",
    "autovacuum_vacuum_insert_scale_factor": "0.002",
    "autovacuum_analyze_threshold": "1000",
    "autovacuum_analyze_scale_factor": "0.01",
}


def _alter(apps, schema_editor, reset: bool = False) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("tickets", "Ticket")._meta.db_table)
    if reset:
        schema_editor.execute(f"ALTER TABLE {table} RESET ({', '.join(OPTIONS)})")
    else:
        options = ", ".join(f"{name} = {value}" for name, value in OPTIONS.items())
        schema_editor.execute(f"ALTER TABLE {table} SET ({options})")


def set_options(apps, schema_editor) -> None:
    _alter(apps, schema_editor)


def reset_options(apps, schema_editor) -> None:
    _alter(apps, schema_editor, reset=True)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0004_unowned_indexes")]

    operations = [migrations.RunPython(set_options, reset_options)]
