"""CI runs the README's test command, as a reader of the README would type it."""

from __future__ import annotations

import re
from pathlib import Path

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
    lines = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text().splitlines()
        if line.strip() and not line.lstrip().startswith("#")
    ]
    assert lines[-1] == _readme_commands()[1]
