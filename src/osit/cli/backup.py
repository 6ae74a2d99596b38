"""``osit backup FILE`` and ``osit restore FILE``."""

from __future__ import annotations

import argparse
from pathlib import Path

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write the database and attachments to one archive",
        description="Write one tar.gz archive with a consistent copy of the database (SQLite's "
        "online backup, or pg_dump for PostgreSQL), the attachments and a manifest. "
        "Safe while the server runs.",
    )
    backup.add_argument("file", metavar="FILE", help="the archive to write, e.g. osit.tar.gz")
    backup.set_defaults(func=run_backup)
    restore = subparsers.add_parser(
        "restore",
        help="restore an archive written by `osit backup`",
        description="Restore the database and attachments from an archive into an empty "
        "installation (same database engine), then verify the history chain.",
    )
    restore.add_argument("file", metavar="FILE")
    restore.add_argument(
        "--force", action="store_true", help="replace a database that already has tickets"
    )
    restore.set_defaults(func=run_restore)


def run_backup(args: argparse.Namespace) -> int:
    from osit.backup import BackupError, backup

    require_initialised()
    try:
        found = backup(Path(args.file))
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    print(f"backup written to {args.file}: {found}")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.core.management import call_command

    from osit.audit.chain import verify
    from osit.backup import BackupError, restore
    from osit.cli.init import write_secret_key

    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    try:
        found = restore(Path(args.file), force=args.force)
    except BackupError as exc:
        raise CommandError(str(exc)) from None
    # An archive from an older OSIT is brought up to date; the static files and the secret
    # key belong to this installation, not to the archive.
    call_command("migrate", interactive=False, verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    write_secret_key(settings.SECRET_KEY_FILE)
    checked, problems = verify()
    print(f"restored {found}")
    if problems:
        raise CommandError(
            f"the restored history has {len(problems)} problem(s): run `osit audit verify`"
        )
    print(f"history verified: {checked} events, chain intact")
    return 0
