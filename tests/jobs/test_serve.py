"""``osit serve`` as a process: it supervises its job loop and stops everything on a signal."""

from __future__ import annotations

import os
import re
import signal
import time
from pathlib import Path

import pytest

from tests import live

pytestmark = pytest.mark.slow

# Idempotent: several tests of this module seed the same initialised data directory.
SEED_RESOLVED_TICKET = """
from datetime import timedelta
from django.utils import timezone
from osit.directory import actions as d
from osit.directory.models import Service, User
from osit.tickets import actions as t
svc = Service.objects.filter(slug="network").first() or d.create_service(
    actor=None, channel="cli", slug="network", name="Network")
tech = User.objects.filter(username="nina").first() or d.create_user(
    actor=None, channel="cli", username="nina", email="n@x.test", roles=["technician"],
    services=[svc])
req = User.objects.filter(username="alice").first() or d.create_user(
    actor=None, channel="cli", username="alice", email="a@x.test", roles=["requester"])
past = timezone.now() - timedelta(days=2)
ticket = t.create_ticket(actor=tech, channel="phone", requester=req, subject="VPN down",
                         service=svc, now=past)
t.change_status(ticket, actor=tech, channel="web", status="resolved", comment="fixed", now=past)
print(ticket.pk)
"""

STATUS = "from osit.tickets.models import Ticket; print(Ticket.objects.get(pk={pk}).status)"


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    """An initialised data directory (and database) shared by this module's servers."""
    data = tmp_path_factory.mktemp("serve") / "data"
    with live.process_database("jobs_serve") as url:
        env = live.osit_env(data, url, OSIT_JOB_TICK_SECONDS="1", OSIT_AUTOCLOSE_DAYS="1")
        live.initialise(env)
        yield env


def _job_pids(server: live.LiveServer) -> list[int]:
    return [int(pid) for pid in re.findall(r"job loop started \(pid (\d+)\)", server.log())]


def _wait(predicate, timeout: float):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    return predicate()


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"  # a zombie has finished; only its exit status is left


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_signal_stops_the_server_and_its_job_loop(env, sig):
    with live.running_server(env) as server:
        pids = _wait(lambda: _job_pids(server), 20)
        assert pids, server.log()
        assert _running(pids[0])

        server.process.send_signal(sig)

        assert server.process.wait(30) == 0, server.log()
        assert not _running(pids[0]), server.log()
        assert "job loop stopped" in server.log()
        with pytest.raises(OSError):
            live.wait_for(server + "/login/", timeout=0)
        assert "Traceback" not in server.log()


def test_a_job_loop_that_dies_is_restarted(env):
    pk = int(live.shell(env, SEED_RESOLVED_TICKET))
    with live.running_server(env) as server:
        first = _wait(lambda: _job_pids(server), 20)
        assert first, server.log()

        os.kill(first[0], signal.SIGKILL)

        pids = _wait(lambda: len(_job_pids(server)) > 1 and _job_pids(server), 20)
        assert pids, server.log()
        assert "exited with code -9; restarting" in server.log()
        assert _running(pids[-1])
        # The new loop does the work.
        closed = _wait(lambda: live.shell(env, STATUS.format(pk=pk)).strip() == "closed", 20)
        assert closed, server.log()


def test_with_a_broker_the_server_runs_no_jobs(env):
    pk = int(live.shell(env, SEED_RESOLVED_TICKET))
    broker_env = {**env, "OSIT_BROKER_URL": "redis://127.0.0.1:6379/15"}
    with live.running_server(broker_env) as server:
        time.sleep(3)  # three ticks of OSIT_JOB_TICK_SECONDS
        assert live.shell(env, STATUS.format(pk=pk)).strip() == "resolved"
        assert "background jobs: Celery (osit worker)" in server.log()
        assert _job_pids(server) == []
    # The same ticket is closed by the embedded runner run once.
    result = live.run_osit(["worker", "--once"], env)
    assert result.returncode == 0, result.stderr
    assert "auto_close_resolved: closed 1 resolved ticket(s)" in result.stdout


def test_serve_rejects_a_malformed_port_variable(env):
    result = live.run_osit(["serve"], {**env, "OSIT_PORT": "eighty"})
    assert result.returncode == 1
    assert "OSIT_PORT='eighty' is not a whole number" in result.stderr
    assert "Traceback" not in result.stderr
