"""CI runs the README's test command, as a reader of the README would type it."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _readme_commands() -> list[str]:
    """The shell blocks of the README's set-up section, in order."""
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## Set up", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```sh\n(.*?)```", section, re.S)]


def test_the_readme_shows_the_two_set_up_commands():
    install, tests = _readme_commands()
    assert install.startswith("python3.11 -m venv .venv") and "osit demo" in install
    assert "osit serve" in install
    assert tests == "scripts/test"
    assert (ROOT / tests).is_file()


def test_ci_runs_the_readmes_test_command():
    raw = (ROOT / ".ci" / "run").read_text().splitlines()
    lines = [line.strip() for line in raw if line.strip() and not line.lstrip().startswith("#")]
    command = _readme_commands()[1]
    # Once, on a line of its own at the top level (not in a branch that could skip it).
    assert [line for line in raw if command in line and not line.lstrip().startswith("#")] == [
        command
    ]
    at = lines.index(command)
    # …as a reader types it: no variable of OSIT's set around it (PostgreSQL is the script's
    # own finding, the machine's tools are checked before it runs).
    assert not [line for line in lines if "OSIT_" in line]
    for needed in ("chromium", "dovecot", "corpus", "6379", "5432"):
        assert needed in "\n".join(lines[:at])
    # A tool found missing fails CI after the suite ran (its tests were skipped).
    assert lines[at + 1].startswith("if [ ${#missing[@]} -gt 0 ]") and "exit 1" in lines[at + 1 :]


def _answers(url: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "scripts" / "postgres_answers.py"
    return subprocess.run([sys.executable, str(script), url], capture_output=True, text=True)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_test_command_finds_no_postgresql_where_nothing_listens():
    assert _answers(f"postgres://postgres@127.0.0.1:{_free_port()}/osit_ci").returncode == 2


def test_the_test_command_runs_postgresql_when_the_machines_server_answers():
    machine = "postgres://postgres@127.0.0.1:5432/osit_ci"
    if _answers(machine).returncode == 2:
        pytest.skip("no PostgreSQL server on this machine")
    assert _answers(machine).returncode == 0
    refused = _answers("postgres://no_such_role_osit@127.0.0.1:5432/osit_ci")
    assert refused.returncode == 1
    assert "no_such_role_osit" in refused.stderr
    script = (ROOT / "scripts" / "test").read_text()
    assert f"MACHINE_POSTGRES={machine}" in script


def _readme_guard() -> str:
    """The lines of .ci/run that read the README's test command and stop CI if it runs another."""
    script = (ROOT / ".ci" / "run").read_text()
    start = script.index("readme_command=$(")
    return script[start : script.index("\nfi\n", start) + 4]


def test_ci_stops_at_once_when_the_readme_names_another_test_command(tmp_path):
    guard = 'self="$0"\n' + _readme_guard()  # $self: .ci/run's own path, as the script sets it
    ci = str(ROOT / ".ci" / "run")
    # The README as it is: the command .ci/run runs.
    ok = subprocess.run(["bash", "-c", guard, ci], cwd=ROOT, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    # A README that names another command: CI stops and says which.
    readme = (ROOT / "README.md").read_text()
    (tmp_path / "README.md").write_text(
        readme.replace(
            "Run the tests:\n\n```sh\nscripts/test\n```", "Run the tests:\n\n```sh\nmake check\n```"
        )
    )
    changed = subprocess.run(
        ["bash", "-c", guard, ci], cwd=tmp_path, capture_output=True, text=True
    )
    assert changed.returncode == 1
    assert "is 'make check', which .ci/run does not run" in changed.stderr
