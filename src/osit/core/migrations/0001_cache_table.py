"""The table of the database cache (settings.CACHES without OSIT_CACHE_URL).

Created by a migration rather than by a separate ``createcachetable`` step so that ``osit init`` and
every upgrade leave a working cache (login rate limits depend on it). It is created even when Redis
is configured, so that switching back to the embedded setup needs no extra command.
"""

from django.core.management import call_command
from django.db import migrations

CACHE_TABLE = "osit_cache"


def create_cache_table(apps, schema_editor):
    # Naming the table creates it whatever CACHES says; an existing table is left alone.
    call_command(
        "createcachetable", CACHE_TABLE, database=schema_editor.connection.alias, verbosity=0
    )


def drop_cache_table(apps, schema_editor):
    quoted = schema_editor.quote_name(CACHE_TABLE)
    schema_editor.execute(f"DROP TABLE IF EXISTS {quoted}")


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [migrations.RunPython(create_cache_table, drop_cache_table)]
