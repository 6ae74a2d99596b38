"""``osit init``: create or upgrade everything OSIT needs. Idempotent."""

from __future__ import annotations

import argparse
import os
import secrets


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "init",
        help="create or upgrade the database and the data directory (idempotent)",
        description=(
            "Create the data directory (OSIT_DATA_DIR), the secret key (mode 0600, unless "
            "OSIT_SECRET_KEY is set), create or upgrade the database, the default roles and "
            "activity types, and collect the static files. Safe to run again after an upgrade."
        ),
    )
    parser.set_defaults(func=run)


DEFAULT_ACTIVITIES = [
    ("diagnosis", "Diagnosis", True),
    ("fix", "Fix", True),
    ("call", "Phone call", True),
    ("travel", "Travel", False),
    ("meeting", "Meeting", False),
]


def write_secret_key(path) -> bool:
    """Write a new key with mode 0600 unless one exists; True if written."""
    if path.exists():
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    # O_EXCL: two `osit init` at once never overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(secrets.token_urlsafe(50) + "\n")
    return True


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    data_dir = settings.DATA_DIR
    data_dir.mkdir(parents=True, exist_ok=True)
    settings.MEDIA_ROOT.mkdir(parents=True, exist_ok=True)
    key_from_env = os.environ.get("OSIT_SECRET_KEY") or os.environ.get("OSIT_SECRET_KEY_FILE")
    if not key_from_env and write_secret_key(settings.SECRET_KEY_FILE):
        print(f"secret key written to {settings.SECRET_KEY_FILE} (mode 0600)")
        # This process read a placeholder at start-up; use the real key from now on.
        settings.SECRET_KEY = settings.SECRET_KEY_FILE.read_text(encoding="utf-8").strip()
    from django.db import connection

    call_command("migrate", interactive=False, verbosity=0)
    from osit.directory.actions import ensure_roles
    from osit.tickets.models import ActivityType

    ensure_roles()
    for slug, name, billable in DEFAULT_ACTIVITIES:
        ActivityType.objects.get_or_create(
            slug=slug, defaults={"name": name, "billable_by_default": billable}
        )
    call_command("collectstatic", interactive=False, verbosity=0)
    engine = "PostgreSQL" if connection.vendor == "postgresql" else "SQLite"
    where = settings.DATABASES["default"]["NAME"]
    print(f"OSIT is ready: {engine} database {where}; data directory {data_dir}")
    print("Next: `osit demo` for demo data, `osit user add` for real accounts, `osit serve`.")
    return 0
