"""One archive holding a consistent copy of the database and the attachments.

Layout of the tar.gz: ``manifest.json`` (version, engine, counts, time), ``database.sqlite3``
(SQLite's online backup — consistent while the server writes) or ``database.pgdump``
(``pg_dump --format=custom``), and ``attachments/`` (the files under MEDIA_ROOT).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, connections
from django.utils import timezone

from osit import __version__


class BackupError(Exception):
    """A message a person can act on."""


@dataclass
class Counts:
    tickets: int
    events: int
    attachments: int

    def __str__(self) -> str:
        return f"{self.tickets} tickets, {self.events} events, {self.attachments} attachments"


def _engine() -> str:
    return "postgresql" if connection.vendor == "postgresql" else "sqlite"


def counts() -> Counts:
    from osit.audit.models import Event
    from osit.tickets.models import Attachment, Ticket

    return Counts(Ticket.objects.count(), Event.objects.count(), Attachment.objects.count())


def _pg_env() -> dict[str, str]:
    db = settings.DATABASES["default"]
    env = dict(os.environ)
    for key, var in (
        ("HOST", "PGHOST"),
        ("PORT", "PGPORT"),
        ("USER", "PGUSER"),
        ("PASSWORD", "PGPASSWORD"),
    ):
        if db.get(key):
            env[var] = str(db[key])
    return env


def _pg_tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed; install the PostgreSQL client tools "
            "(Debian: apt-get install postgresql-client)"
        )
    return path


def backup(target: Path) -> Counts:
    """Write the archive to ``target`` (atomically: a temporary file renamed at the end)."""
    engine = _engine()
    found = counts()
    target = target.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="osit-backup-", dir=target.parent) as tmp:
        work = Path(tmp)
        if engine == "sqlite":
            db_file = work / "database.sqlite3"
            source = sqlite3.connect(settings.DATABASES["default"]["NAME"])
            dest = sqlite3.connect(db_file)
            try:
                source.backup(dest)
            finally:
                dest.close()
                source.close()
        else:
            db_file = work / "database.pgdump"
            result = subprocess.run(
                [
                    _pg_tool("pg_dump"),
                    "--format=custom",
                    "--no-owner",
                    "--file",
                    str(db_file),
                    settings.DATABASES["default"]["NAME"],
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
        manifest = {
            "osit_version": __version__,
            "engine": engine,
            "created_at": timezone.now().isoformat(),
            "tickets": found.tickets,
            "events": found.events,
            "attachments": found.attachments,
        }
        partial = work / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            info = tarfile.TarInfo("manifest.json")
            data = json.dumps(manifest, indent=2).encode()
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())

            archive.addfile(info, io.BytesIO(data))
            archive.add(db_file, arcname=db_file.name)
            media = Path(settings.MEDIA_ROOT)
            if media.exists():
                archive.add(media, arcname="attachments")
        os.replace(partial, target)
    return found


def _is_empty() -> bool:
    from django.db.utils import DatabaseError

    try:
        return counts().tickets == 0
    except DatabaseError:
        return True  # no tables yet


def restore(source: Path, *, force: bool = False) -> Counts:
    """Put back the database and the attachments of ``source``; verify the history."""
    if not source.exists():
        raise BackupError(f"{source}: no such file")
    try:
        archive = tarfile.open(source, "r:gz")  # noqa: SIM115 — closed by the with below
    except (tarfile.TarError, OSError) as exc:
        raise BackupError(f"{source} is not an OSIT backup archive ({exc})") from None
    with archive, tempfile.TemporaryDirectory(prefix="osit-restore-") as tmp:
        try:
            manifest = json.load(archive.extractfile("manifest.json"))  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError):
            raise BackupError(f"{source} has no valid manifest.json: not an OSIT backup") from None
        engine = _engine()
        if manifest.get("engine") != engine:
            raise BackupError(
                f"this archive holds a {manifest.get('engine')} database but OSIT is configured "
                f"for {engine}; set OSIT_DATABASE_URL accordingly"
            )
        if not force and not _is_empty():
            raise BackupError(
                "the target database already has tickets; restore into an empty "
                "one, or pass --force to replace it"
            )
        archive.extractall(tmp, filter="data")
        work = Path(tmp)
        if engine == "sqlite":
            name = Path(settings.DATABASES["default"]["NAME"])
            connections.close_all()
            name.parent.mkdir(parents=True, exist_ok=True)
            for suffix in ("-wal", "-shm"):
                Path(str(name) + suffix).unlink(missing_ok=True)
            shutil.copyfile(work / "database.sqlite3", name)
        else:
            connections.close_all()
            result = subprocess.run(
                [
                    _pg_tool("pg_restore"),
                    "--clean",
                    "--if-exists",
                    "--no-owner",
                    "--dbname",
                    settings.DATABASES["default"]["NAME"],
                    str(work / "database.pgdump"),
                ],
                env=_pg_env(),
                capture_output=True,
                text=True,
                check=False,
            )
            if result.returncode != 0:
                raise BackupError(f"pg_restore failed: {result.stderr.strip()}")
        media = Path(settings.MEDIA_ROOT)
        if (work / "attachments").exists():
            if media.exists() and force:
                shutil.rmtree(media)
            shutil.copytree(work / "attachments", media, dirs_exist_ok=True)
        else:
            media.mkdir(parents=True, exist_ok=True)
    return counts()
