"""What every ``osit`` command shares: Django set-up, error reporting, exit codes.

A command module exposes ``register(subparsers)``, which adds its parser(s) and sets
``func=run`` (a callable taking the parsed ``argparse.Namespace`` and returning an exit code).
Raise ``CommandError`` (or let a ``DomainError`` escape) for a message a person can act on: it is
printed on stderr as one line and the command exits 1.
"""

from __future__ import annotations

import os
import sys


class CommandError(Exception):
    def __init__(self, message: str, exit_code: int = 1) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osit.settings")
    import django

    django.setup()


def require_initialised() -> None:
    """Refuse to run before ``osit init`` has created the database and secret key."""
    from django.conf import settings
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    if not os.environ.get("OSIT_SECRET_KEY") and not settings.SECRET_KEY_FILE.exists():
        raise CommandError(
            f"OSIT is not initialised in {settings.DATA_DIR}: run `osit init` first "
            "(or set OSIT_DATA_DIR to the data directory you initialised)."
        )
    try:
        executor = MigrationExecutor(connection)
        pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    except Exception as exc:
        raise CommandError(f"cannot reach the database: {exc}".strip()) from exc
    if pending:
        raise CommandError("the database needs upgrading: run `osit init` first.")


def err(message: str) -> None:
    print(f"osit: error: {message}", file=sys.stderr)
