"""Real processes for tests: an initialised data directory and a running ``osit serve``.

Tests that start processes cannot use pytest-django's test database; they get their own:
a fresh SQLite file under ``tmp_path``, or — when the suite runs on PostgreSQL
(``OSIT_DATABASE_URL`` set) — a dedicated database created here and dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

OSIT = [sys.executable, "-m", "osit"]


CHROMIUM = "/usr/bin/chromium"
BROWSER_ARGS = ["--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking"]


def require_chromium() -> str:
    """Debian's chromium for a browser test: skipped without it, unless OSIT_REQUIRE_BROWSER
    makes that a failure (as on CI)."""
    import pytest

    if not os.path.exists(CHROMIUM):
        if os.environ.get("OSIT_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} is required (OSIT_REQUIRE_BROWSER is set)")
        pytest.skip(f"{CHROMIUM} is not installed (Debian package chromium)")
    return CHROMIUM


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextlib.contextmanager
def process_database(tag: str) -> Iterator[str | None]:
    """Yield an OSIT_DATABASE_URL for subprocesses (None: SQLite in the data directory)."""
    base = os.environ.get("OSIT_DATABASE_URL")
    if not base:
        yield None
        return
    import psycopg

    name = f"osit_proc_{tag}_{secrets.token_hex(4)}"
    admin = base.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield base.rsplit("/", 1)[0] + "/" + name
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def osit_env(data_dir: Path, database_url: str | None, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSIT_")}
    env["OSIT_DATA_DIR"] = str(data_dir)
    env["DJANGO_SETTINGS_MODULE"] = "osit.settings"
    if database_url:
        env["OSIT_DATABASE_URL"] = database_url
    env.update(extra)
    return env


def run_osit(
    args: list[str], env: dict[str, str], *, input: str | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*OSIT, *args],
        env=env,
        input=input,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def initialise(env: dict[str, str]) -> None:
    result = run_osit(["init"], env)
    assert result.returncode == 0, result.stderr


def shell(env: dict[str, str], code: str) -> str:
    """Run Python with Django set up against the process database; returns stdout."""
    prelude = "import django; django.setup()\n"
    result = subprocess.run(
        [sys.executable, "-c", prelude + code],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def wait_for(url: str, timeout: float = 30, process: subprocess.Popen | None = None) -> None:
    """Wait until ``url`` answers at all (any HTTP status); OSError if it never does."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if process is not None and process.poll() is not None:
                raise OSError(f"the process exited with code {process.returncode}") from None
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class LiveServer(str):
    """The base URL of a running ``osit serve`` (a plain ``str``), with its process and log."""

    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def running_server(
    env: dict[str, str], *, workers: int = 1, args: tuple[str, ...] = ()
) -> Iterator[LiveServer]:
    """Start ``osit serve`` on a free port; yield its base URL once it answers; stop it on exit.

    The output goes to ``serve.log`` in the data directory (``server.log()``). A test may stop
    the process itself (``server.process``); otherwise it gets SIGTERM here, then SIGKILL after
    20 s.
    """
    port = free_port()
    log = Path(env["OSIT_DATA_DIR"]) / "serve.log"
    with log.open("w") as output:
        proc = subprocess.Popen(
            [*OSIT, "serve", "--port", str(port), "--workers", str(workers), *args],
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    server = LiveServer(f"http://127.0.0.1:{port}")
    server.process, server.log_path = proc, log
    try:
        try:
            wait_for(server + "/login/", process=proc)
        except OSError:
            proc.terminate()
            raise AssertionError("osit serve did not start:\n" + log.read_text()) from None
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def create_tokens(env: dict[str, str], usernames: list[str]) -> dict[str, str]:
    """``osit token create USER`` for each user, the processes side by side; {username: token}."""
    procs = {
        name: subprocess.Popen(
            [*OSIT, "token", "create", name, "--name", "tests"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name in usernames
    }
    tokens = {}
    for name, proc in procs.items():
        out, errors = proc.communicate(timeout=120)
        assert proc.returncode == 0, errors
        tokens[name] = out.strip()
    return tokens
