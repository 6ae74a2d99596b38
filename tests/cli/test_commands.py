"""The administration commands, run as a user would: `osit …` in a subprocess."""

from __future__ import annotations

import hashlib
import shutil

import pytest

from tests import live

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def initialised(tmp_path_factory):
    """One initialised installation per module (SQLite, or a PostgreSQL database)."""
    with live.process_database("cli") as url:
        env = live.osit_env(tmp_path_factory.mktemp("cli") / "data", url)
        live.initialise(env)
        yield env


def osit(env, *args, input=None):
    return live.run_osit(list(args), env, input=input)


def test_every_command_has_help():
    env = live.osit_env(live.Path("/nonexistent-osit"), None)
    for command in (
        ["init"],
        ["serve"],
        ["worker"],
        ["demo"],
        ["service", "add"],
        ["application", "add"],
        ["user", "add"],
        ["token", "create"],
        ["audit", "verify"],
        ["backup"],
        ["restore"],
    ):
        result = osit(env, *command, "--help")
        assert result.returncode == 0, (command, result.stderr)
        assert "usage: osit" in result.stdout


def test_init_is_idempotent_and_keeps_the_key(initialised):
    key_file = live.Path(initialised["OSIT_DATA_DIR"]) / "secret_key"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    result = osit(initialised, "init")
    assert result.returncode == 0 and "OSIT is ready" in result.stdout
    assert key_file.read_text() == key


def test_service_application_user_and_token(initialised):
    assert (
        osit(
            initialised,
            "service",
            "add",
            "network",
            "--name",
            "Network",
            "--email",
            "network@example.org",
        ).returncode
        == 0
    )
    result = osit(initialised, "application", "add", "vpn", "--name", "VPN", "--service", "network")
    assert (
        result.returncode == 0 and "application vpn created: VPN (service network)" in result.stdout
    )
    result = osit(
        initialised,
        "user",
        "add",
        "nina",
        "--email",
        "nina@example.org",
        "--role",
        "technician",
        "--service",
        "network",
        "--password-stdin",
        input="a long enough passphrase\n",
    )
    assert result.returncode == 0, result.stderr
    token = osit(initialised, "token", "create", "nina")
    assert token.returncode == 0
    lines = token.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith("osit_") and len(lines[0]) > 40
    stored = live.shell(
        initialised,
        "from osit.directory.models import ApiToken; "
        "print(ApiToken.objects.get(user__username='nina').digest)",
    )
    assert stored.strip() == hashlib.sha256(lines[0].encode()).hexdigest()
    listing = osit(initialised, "user", "list")
    assert "nina\ttechnician\tnetwork" in listing.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["application", "add", "x", "--name", "X", "--service", "nope"],
            "There is no service 'nope'.",
        ),
        (
            [
                "user",
                "add",
                "u1",
                "--email",
                "u1@x.org",
                "--role",
                "technician",
                "--service",
                "nope",
            ],
            "There is no service 'nope'.",
        ),
        (["user", "add", "u2", "--email", "u2@x.org", "--role", "wizard"], "Unknown role 'wizard'"),
        (
            ["user", "add", "u3", "--email", "not-an-address", "--role", "requester"],
            "'not-an-address' is not a valid e-mail address.",
        ),
        (["token", "create", "ghost"], "There is no user 'ghost'."),
        (["service", "add", "Bad Slug", "--name", "X"], "is not a valid slug"),
    ],
)
def test_bad_input_names_the_problem(initialised, args, message):
    result = osit(initialised, *args)
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_duplicates_are_refused_clearly(initialised):
    assert osit(initialised, "service", "add", "dup", "--name", "Dup").returncode == 0
    again = osit(initialised, "service", "add", "dup", "--name", "Dup")
    assert again.returncode == 1
    assert "A service with the slug 'dup' already exists." in again.stderr
    osit(initialised, "user", "add", "twin", "--email", "t@x.org", "--role", "requester")
    again = osit(initialised, "user", "add", "twin", "--email", "t@x.org", "--role", "requester")
    assert again.returncode == 1 and "The username 'twin' is taken." in again.stderr


def test_missing_name_is_a_usage_error(initialised):
    result = osit(initialised, "service", "add", "nameless")
    assert result.returncode == 2
    assert "--name" in result.stderr


def test_weak_password_refused_and_nothing_written(initialised):
    result = osit(
        initialised,
        "user",
        "add",
        "weak",
        "--email",
        "w@x.org",
        "--role",
        "requester",
        "--password-stdin",
        input="123\n",
    )
    assert result.returncode == 1 and "too short" in result.stderr
    users = live.shell(
        initialised,
        "from osit.directory.models import User; "
        "print(User.objects.filter(username='weak').count())",
    )
    assert users.strip() == "0"


MAKE_HISTORY = """
from osit.directory import actions as d
from osit.tickets import actions as t
svc = d.create_service(actor=None, channel="cli", slug="appdev", name="Apps")
tech = d.create_user(actor=None, channel="cli", username="tom", email="t@x.test",
                     roles=["technician"], services=[svc])
req = d.create_user(actor=None, channel="cli", username="alice", email="a@x.test",
                    roles=["requester"])
for n in range(3):
    ticket = t.create_ticket(actor=tech, channel="phone", requester=req, subject=f"T{n}",
                             service=svc)
    t.add_comment(ticket, actor=tech, channel="web", body="note", visibility="internal",
                  time_spent_minutes=15, uploads=[t.Upload(f"log{n}.txt", b"log %d" % n)])
    t.change_status(ticket, actor=tech, channel="web", status="resolved", comment="done")
"""

COUNTS = (
    "from osit.backup import counts; from osit.tickets.models import Attachment; "
    "print(counts()); print(sorted((a.filename, a.file.read()) for a in "
    "Attachment.objects.all()))"
)


def test_backup_and_restore_round_trip(tmp_path):
    with live.process_database("src") as src_url, live.process_database("dst") as dst_url:
        if src_url and not shutil.which("pg_dump"):
            pytest.skip("pg_dump is not installed")
        src = live.osit_env(tmp_path / "src", src_url)
        live.initialise(src)
        live.shell(src, MAKE_HISTORY)
        before = live.shell(src, COUNTS)
        archive = tmp_path / "osit.tar.gz"
        result = osit(src, "backup", str(archive))
        assert result.returncode == 0, result.stderr
        assert "3 tickets" in result.stdout

        dst = live.osit_env(tmp_path / "dst", dst_url)  # an empty data directory
        result = osit(dst, "restore", str(archive))
        assert result.returncode == 0, result.stderr
        assert "history verified" in result.stdout
        assert live.shell(dst, COUNTS) == before
        assert osit(dst, "audit", "verify").returncode == 0

        again = osit(dst, "restore", str(archive))
        assert again.returncode == 1
        assert "already has tickets" in again.stderr
        assert osit(dst, "restore", str(archive), "--force").returncode == 0


def test_restore_rejects_what_is_not_a_backup(tmp_path):
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(b"not an archive")
    env = live.osit_env(tmp_path / "data", None)
    result = osit(env, "restore", str(bogus))
    assert result.returncode == 1
    assert "is not an OSIT backup archive" in result.stderr
    result = osit(env, "restore", str(tmp_path / "missing.tar.gz"))
    assert result.returncode == 1 and "no such file" in result.stderr


TAMPER = {
    "modified": "UPDATE audit_event SET actor_label = 'Mallory' WHERE seq = 3",
    "deleted": "DELETE FROM audit_event WHERE seq = 4",
    "tail": "DELETE FROM audit_event WHERE seq = (SELECT MAX(seq) FROM audit_event)",
    "inserted": (
        "INSERT INTO audit_event (seq, actor_label, channel, kind, internal, data, "
        "created_at, prev_hash, hash) SELECT seq + 1000, 'x', 'web', 'forged', false, "
        "'{}', created_at, hash, hash FROM audit_event WHERE seq = 2"
    ),
}


@pytest.mark.parametrize("kind", list(TAMPER))
def test_audit_verify_detects_tampering(tmp_path, kind):
    with live.process_database(f"audit{kind}") as url:
        env = live.osit_env(tmp_path / "data", url)
        live.initialise(env)
        live.shell(env, MAKE_HISTORY)
        assert osit(env, "audit", "verify").returncode == 0
        live.shell(
            env,
            "from django.db import connection, transaction\n"
            "with transaction.atomic(), connection.cursor() as c:\n"
            f"    c.execute({TAMPER[kind]!r})",
        )
        result = osit(env, "audit", "verify")
        assert result.returncode == 1
        assert "TAMPERED" in result.stderr
        expected = {
            "modified": "modified",
            "deleted": "deleted",
            "tail": "deleted",
            "inserted": "was inserted",
        }[kind]
        assert expected in result.stderr
