"""``osit worker --once`` in-process: what it prints and its exit code, for cron."""

from __future__ import annotations

import pytest

from osit.cli.main import main
from osit.jobs.registry import Job


@pytest.fixture
def initialised(monkeypatch, db):
    monkeypatch.setenv("OSIT_SECRET_KEY", "k" * 40)


def test_once_reports_each_job_and_succeeds(initialised, monkeypatch, capsys):
    jobs = {"tidy": Job("tidy", lambda: "tidied 2 rows", lambda: 1)}
    monkeypatch.setattr("osit.jobs.embedded.JOBS", jobs)

    assert main(["worker", "--once"]) == 0
    assert capsys.readouterr().out == "tidy: tidied 2 rows\n"


def test_once_fails_when_a_job_fails_but_runs_the_others(initialised, monkeypatch, capsys):
    jobs = {
        "broken": Job("broken", lambda: 1 / 0, lambda: 1),
        "idle": Job("idle", lambda: "", lambda: 1),
    }
    monkeypatch.setattr("osit.jobs.embedded.JOBS", jobs)

    assert main(["worker", "--once"]) == 1
    out = capsys.readouterr().out
    assert "broken: failed (see the log above)" in out
    assert "idle: nothing to do" in out
