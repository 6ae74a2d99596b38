"""Jobs one step at a time (call the job, assert the rows), then through the real runners."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from django.utils import timezone

from osit.audit.models import Event
from osit.jobs.embedded import run_once
from osit.jobs.registry import JOBS
from osit.tickets.actions import change_status
from osit.tickets.models import Comment, Ticket
from tests import live


def _resolve(ticket, personas, *, days_ago):
    when = timezone.now() - timedelta(days=days_ago)
    change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="resolved",
        comment="Restarted the pool.",
        now=when,
    )
    return Ticket.objects.get(pk=ticket.pk)


def test_auto_close_closes_only_tickets_resolved_long_enough_ago(personas, make_ticket, settings):
    settings.OSIT_AUTOCLOSE_DAYS = 7
    old = _resolve(make_ticket(subject="old"), personas, days_ago=8)
    recent = _resolve(make_ticket(subject="recent"), personas, days_ago=1)

    results = run_once()

    assert results["auto_close_resolved"] == "closed 1 resolved ticket(s)"
    old.refresh_from_db()
    recent.refresh_from_db()
    assert (old.status, recent.status) == ("closed", "resolved")
    event = Event.objects.filter(ticket=old).order_by("-seq").first()
    assert event.kind == "auto_closed"
    assert event.actor_label == "OSIT (automatic)"
    comment = Comment.objects.get(pk=event.data["comment_id"])
    assert "Closed automatically: resolved 7 days ago" in comment.body


def test_auto_close_twice_closes_nothing_more(personas, make_ticket):
    ticket = _resolve(make_ticket(), personas, days_ago=30)
    assert run_once()["auto_close_resolved"] == "closed 1 resolved ticket(s)"
    assert run_once()["auto_close_resolved"] == ""
    assert Event.objects.filter(ticket=ticket, kind="auto_closed").count() == 1


def test_a_failing_job_is_logged_and_the_others_run(caplog, db):
    from osit.jobs.registry import Job

    ran = []
    jobs = {
        "broken": Job("broken", lambda: 1 / 0, lambda: 1),
        "fine": Job("fine", lambda: ran.append(1) or "ok", lambda: 1),
    }
    results = run_once(jobs)
    assert results == {"broken": None, "fine": "ok"}
    assert ran == [1]
    assert "job broken failed" in caplog.text
    assert "ZeroDivisionError" in caplog.text


def test_registry_names_the_auto_close_job():
    assert "auto_close_resolved" in JOBS


# --- through real processes ----------------------------------------------------------------

RESOLVE_OLD_TICKET = """
from datetime import timedelta
from django.utils import timezone
from osit.directory import actions as d
from osit.tickets import actions as t
svc = d.create_service(actor=None, channel="cli", slug="network", name="Network")
tech = d.create_user(actor=None, channel="cli", username="nina", email="n@x.test",
                     roles=["technician"], services=[svc])
req = d.create_user(actor=None, channel="cli", username="alice", email="a@x.test",
                    roles=["requester"])
past = timezone.now() - timedelta(days=2)
ticket = t.create_ticket(actor=tech, channel="phone", requester=req, subject="VPN down",
                         service=svc, now=past)
t.change_status(ticket, actor=tech, channel="web", status="resolved", comment="fixed", now=past)
print(ticket.pk)
"""

STATUS = "from osit.tickets.models import Ticket; print(Ticket.objects.get(pk={pk}).status)"


def _wait_closed(env, pk, timeout):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if live.shell(env, STATUS.format(pk=pk)).strip() == "closed":
            return True
        time.sleep(1)
    return False


@pytest.mark.slow
def test_serve_runs_the_jobs_and_serves_pages(tmp_path):
    with live.process_database("serve") as url:
        env = live.osit_env(
            tmp_path / "data", url, OSIT_JOB_TICK_SECONDS="1", OSIT_AUTOCLOSE_DAYS="1"
        )
        live.initialise(env)
        pk = int(live.shell(env, RESOLVE_OLD_TICKET))
        with live.running_server(env) as base:
            import urllib.request

            for path in ("/login/", "/static/osit/osit.css"):
                with urllib.request.urlopen(base + path, timeout=5) as response:
                    assert response.status == 200, path
            assert _wait_closed(env, pk, 30), (tmp_path / "data" / "serve.log").read_text()


def _redis_reachable() -> bool:
    import socket

    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
        return True
    except OSError:
        return False


@pytest.mark.slow
def test_celery_worker_runs_the_same_job(tmp_path):
    if not _redis_reachable():
        if os.environ.get("OSIT_REQUIRE_REDIS"):
            pytest.fail("Redis at 127.0.0.1:6379 is required (OSIT_REQUIRE_REDIS is set)")
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    broker = _empty_redis_db()
    with live.process_database("celery") as url:
        env = live.osit_env(
            tmp_path / "data",
            url,
            OSIT_JOB_TICK_SECONDS="1",
            OSIT_AUTOCLOSE_DAYS="1",
            OSIT_BROKER_URL=broker,
        )
        live.initialise(env)
        pk = int(live.shell(env, RESOLVE_OLD_TICKET))
        log = tmp_path / "worker.log"
        with log.open("w") as output:
            proc = subprocess.Popen(
                [*live.OSIT, "worker", "--concurrency", "1"],
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
            )
        try:
            closed = _wait_closed(env, pk, 40)
        finally:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            _flush(broker)
        assert closed, log.read_text()
        assert "osit.jobs.auto_close_resolved" in log.read_text()


def _empty_redis_db() -> str:
    """A broker URL on a Redis database nobody uses (other test runs share this Redis)."""
    import random

    import redis

    numbers = list(range(1, 16))
    random.shuffle(numbers)
    for number in numbers:
        url = f"redis://127.0.0.1:6379/{number}"
        if redis.Redis.from_url(url).dbsize() == 0:
            return url
    pytest.skip("every Redis database 1-15 is in use")


def _flush(url: str) -> None:
    import redis

    redis.Redis.from_url(url).flushdb()


def test_worker_once_without_broker(tmp_path):
    with live.process_database("once") as url:
        env = live.osit_env(tmp_path / "data", url, OSIT_AUTOCLOSE_DAYS="1")
        live.initialise(env)
        pk = int(live.shell(env, RESOLVE_OLD_TICKET))
        result = live.run_osit(["worker", "--once"], env)
        assert result.returncode == 0, result.stderr
        assert "auto_close_resolved: closed 1 resolved ticket(s)" in result.stdout
        assert live.shell(env, STATUS.format(pk=pk)).strip() == "closed"


def test_serve_refuses_before_init(tmp_path):
    env = live.osit_env(tmp_path / "empty", None)
    result = live.run_osit(["serve", "--port", str(live.free_port())], env)
    assert result.returncode == 1
    assert "run `osit init` first" in result.stderr
    assert "Traceback" not in result.stderr


def test_serve_help():
    result = subprocess.run(
        [sys.executable, "-m", "osit", "serve", "--help"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "granian" in result.stdout
