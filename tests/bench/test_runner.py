"""The benchmark runner's pieces that do not need a server: the report and the query counter."""

from __future__ import annotations

import importlib.machinery
import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_runner():
    loader = importlib.machinery.SourceFileLoader("bench_run", str(ROOT / "bench" / "run"))
    spec = importlib.util.spec_from_loader("bench_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


def test_measure_reports_median_p95_and_throughput():
    runner = load_runner()
    calls = []
    result = runner.measure(lambda: calls.append(1), 50, 4)
    assert result["n"] == 50 and len(calls) == 51  # one warm-up
    assert 0 <= result["median_ms"] <= result["p95_ms"]
    assert result["rps"] > 0


def test_the_tenth_page_is_read_from_the_pager_in_any_language():
    runner = load_runner()
    last = '<a rel="prev" href="?sort=priority&amp;page=5" hx-get="?sort=priority&amp;page=5">'
    assert runner.tenth_page(last + "Page 6 of 6") == 6  # a queue of six pages: its last
    assert runner.tenth_page(last.replace("page=5", "page=9") + "Page 10 sur 40") == 10
    assert runner.tenth_page("<p>12 tickets</p>") == 1  # one page, no pager


def test_osit_before_and_after_the_peer_is_the_mean_of_both():
    runner = load_runner()

    def run(ms, rate, at):
        page = {"path": "/", "median_ms": ms, "p95_ms": ms * 2, "rps_c4": 100.0, "queries": 4}
        create = {"median_ms": ms, "p95_ms": ms, "rps": rate, "n": 240}
        return {
            "pages": {"queue": page},
            "api_create": create,
            "peak_rss_mb": rate,
            "measured_at": at,
            "cpu_loop_s": 0.3,
            "db": "postgres",
            "size": 100000,
        }

    merged = runner.bracket(run(4.0, 300.0, "12:00"), run(6.0, 200.0, "12:10"))
    assert merged["pages"]["queue"]["median_ms"] == 5.0
    assert merged["pages"]["queue"]["p95_ms"] == 10.0 and merged["pages"]["queue"]["queries"] == 4
    assert merged["api_create"]["rps"] == 250.0
    assert merged["peak_rss_mb"] == 300.0
    assert merged["measured_at"] == "12:00 and 12:10"
    assert [r["pages"]["queue"]["median_ms"] for r in merged["runs"]] == [4.0, 6.0]


def test_the_report_puts_osit_and_the_peer_side_by_side(tmp_path, monkeypatch):
    runner = load_runner()
    monkeypatch.setattr(runner, "RESULTS", tmp_path)
    monkeypatch.setattr(runner, "HERE", tmp_path)
    page = {"path": "/", "median_ms": 10.0, "p95_ms": 12.0, "rps_c4": 300.0, "queries": 9}
    (tmp_path / "osit-postgres-100000.json").write_text(
        json.dumps(
            {
                "db": "postgres",
                "size": 100000,
                "pages": {"queue": page, "ticket_5": {**page, "median_ms": 20.0}},
                "api_create": {"median_ms": 5, "p95_ms": 9, "rps": 400},
                "peak_rss_mb": 300,
                "measured_at": "2026-12-01 12:00",
                "cpu_loop_s": 0.92,
            }
        )
    )
    (tmp_path / "osit-postgres-1000000.json").write_text(
        json.dumps(
            {"db": "postgres", "size": 1000000, "pages": {"queue": {**page, "p95_ms": 31.0}}}
        )
    )
    (tmp_path / "peer-postgres-100000.json").write_text(
        json.dumps(
            {
                "db": "postgres",
                "size": 100000,
                "peer": "django-helpdesk 9.9",
                "pages": {
                    "queue": {"median_ms": 234.0, "queries": 80},
                    "ticket_5": {"median_ms": 200.0, "queries": 40},
                },
                "api_create": {"rps": 20.0},
                "peak_rss_mb": 500,
            }
        )
    )
    runner.write_report(None)
    report = (tmp_path / "RESULTS.md").read_text()
    assert "## postgres, 100,000 tickets" in report
    # When each figure was taken: results kept from an earlier run say so.
    assert (
        "Measured 2026-12-01 12:00 UTC (CPU check: 0.92 s); the peer in an earlier run "
        "(date not recorded)." in report
    )
    earlier = "Measured in an earlier run (date not recorded)."
    assert f"## postgres, 1,000,000 tickets\n\n{earlier}" in report
    assert "| queue | 10.0 | 12.0 | 300.0 | 9 | 234.0 | 80 | 23.4× |" in report
    assert "| API create (POST /tickets), tickets/s | 5 | 9 | 400 | | 20.0 | | 20.0× |" in report
    assert "django-helpdesk 9.9" in report and "(peer: 500 MB)" in report
    # Each target, met or missed, from the figures.
    assert "- queue at 100k: 23.4× django-helpdesk's median (target ≥ 20×) — met" in report
    assert "- ticket_5 at 100k: 10.0× django-helpdesk's median (target ≥ 20×) — missed" in report
    assert "- queue at 1M: p95 31.0 ms (target ≤ 30 ms) — missed" in report
    assert "- API create at 100,000: 400 tickets/s at concurrency 4 (target ≥ 300) — met" in report


def test_the_peer_runs_at_its_sizes_only_when_asked():
    runner = load_runner()
    for peer, size, expected in (
        ("auto", 100000, True),
        ("auto", 10000, True),
        ("auto", 1000000, False),
        ("no", 10000, False),
        ("yes", 1000000, True),
    ):
        args = type("A", (), {"peer": peer})
        assert runner.wants_peer(size, args) is expected, (peer, size)


def test_side_by_side_measures_each_page_on_osit_the_peer_then_osit_again(monkeypatch):
    # A page and its peer within seconds of each other: the machine's speed drifts in minutes.
    import contextlib

    runner = load_runner()
    order: list[str] = []
    speed = {"ms": 4.0}

    class FakeOsit:
        def __init__(self, db, size, args):
            self.calls = {"queue": None, "api_me": None}

        def result(self):
            return self.stamp({"pages": {}})

        def stamp(self, into):
            order.append("osit stamp")
            into.update(measured_at=f"{len(order)}", cpu_loop_s=0.2)
            return into

        def page(self, name, into):
            order.append(f"osit {name}")
            ms = speed["ms"]
            speed["ms"] += 2.0  # the machine slows down as the run goes on
            into["pages"][name] = {"path": name, "median_ms": ms, "p95_ms": ms, "rps_c4": 1.0}

        def create(self, into):
            order.append("osit create")
            into["api_create"] = {"median_ms": 1.0, "p95_ms": 1.0, "rps": 400.0, "n": 240}

        def finish(self, into):
            into["peak_rss_mb"] = 400.0

        def stop(self):
            order.append("osit stop")

    class FakePeer:
        def __init__(self, db, size, args, version):
            self.calls = {"queue": None}

        def page(self, name):
            order.append(f"peer {name}")

        def create(self):
            order.append("peer create")

        def finish(self):
            return {"peer": "django-helpdesk 9"}

        def stop(self):
            order.append("peer stop")

    fake_module = type("M", (), {"ensure_venv": staticmethod(lambda: "9"), "PeerRun": FakePeer})
    monkeypatch.setattr(runner, "OsitRun", FakeOsit)
    monkeypatch.setattr(runner, "load_peer", lambda: fake_module)
    monkeypatch.setattr(runner, "measuring", contextlib.nullcontext)
    osit, peer = runner.run_side_by_side("postgres", 100000, None)
    assert order == [
        "osit stamp",
        "osit stamp",
        "osit queue",
        "peer queue",
        "osit queue",
        "osit api_me",
        "osit api_me",  # no equivalent: still measured twice
        "osit create",
        "peer create",
        "osit create",
        "osit stamp",  # the second series' end
        "osit stop",
        "peer stop",
    ]
    assert osit["measured_at"] == "1 and 11"  # from the first stamp to the last
    assert osit["pages"]["queue"]["median_ms"] == 5.0  # (4 + 6) / 2: the peer's in between
    assert [r["pages"]["queue"]["median_ms"] for r in osit["runs"]] == [4.0, 6.0]
    assert peer == {"peer": "django-helpdesk 9"}
    assert osit["side_by_side"] is True  # the report says how it was measured


@pytest.mark.slow
def test_the_query_counter_counts_a_page(tmp_path):
    # Runs in a subprocess against a database file of its own: the counter is a separate program.
    from tests.live import initialise, osit_env, process_database, run_osit

    with process_database("q") as url:
        env = osit_env(tmp_path / "data", url)
        initialise(env)
        assert run_osit(["bench", "seed", "--tickets", "30"], env, timeout=300).returncode == 0
        token = run_osit(["token", "create", "bench-agent-000"], env).stdout.strip()
        spec = {
            "urls": {
                "bench-agent-000": {
                    "mine": "/mine/",
                    "api": "/api/v1/tickets",
                    "part": {
                        "path": "/mine/",
                        "headers": {"HX-Request": "true", "HX-Target": "ticket-list"},
                    },
                }
            },
            "tokens": {"bench-agent-000": token},
        }
        out = subprocess.run(
            [sys.executable, "-m", "osit.bench.queries"],
            env=env,
            input=json.dumps(spec),
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert out.returncode == 0, out.stderr
        counted = json.loads(out.stdout)
        assert counted["mine"]["status"] == 200 and 0 < counted["mine"]["queries"] < 30
        assert counted["api"]["status"] == 200 and 0 < counted["api"]["queries"] < 30
        # With its headers: the list's part alone, without the bar of queues.
        assert counted["part"]["status"] == 200
        assert counted["part"]["queries"] == counted["mine"]["queries"] - 1


@pytest.mark.django_db
def test_the_runners_own_creates_do_not_change_what_it_measures(monkeypatch, capsys):
    # bench/run's SETUP picks the measured service and requester and where POST /tickets goes.
    from osit.bench import generate
    from osit.directory.models import Service, User
    from osit.tickets.actions import create_ticket
    from osit.tickets.models import Ticket

    monkeypatch.setattr(generate, "N_REQUESTERS", 400)
    monkeypatch.setattr(generate, "N_ORGANISATIONS", 20)
    generate.seed(300, seed=3)
    runner = load_runner()

    def setup() -> dict:
        exec(runner.SETUP, {})  # noqa: S102 — the runner's own code
        return json.loads(capsys.readouterr().out.strip().splitlines()[-1])

    first = setup()
    assert first["create_service"] != first["service"]
    assert first["create_requester"] != first["requester"]
    # A run's creates (more than the busiest service's active tickets) go where it said.
    target = Service.objects.get(slug=first["create_service"])
    for i in range(Ticket.objects.filter(service__slug=first["service"]).count() + 5):
        create_ticket(
            actor=User.objects.get(username=first["tech"]),
            channel="api",
            requester=User.objects.get(username=first["create_requester"]),
            subject=f"bench create {i}",
            service=target,
            severity="minor",
        )
    again = setup()
    for key in ("service", "tech", "requester", "five", "hundred", "create_service"):
        assert again[key] == first[key], key


def test_the_desk_is_settled_before_it_is_measured(monkeypatch):
    # The due jobs run once (the generated resolved tickets are past the auto-close delay), then
    # a PostgreSQL database is vacuumed; SQLite has nothing to vacuum.
    runner = load_runner()
    done: list[object] = []
    monkeypatch.setattr(runner, "osit", lambda args, env: done.append(args) or "")
    monkeypatch.setattr(runner, "vacuum", lambda url: done.append(url) or 0.0)
    monkeypatch.setattr(runner.os, "sync", lambda: done.append("sync"))
    runner.settle("postgres", {"OSIT_DATABASE_URL": "postgres://db/osit_bench_10"})
    assert done == [["worker", "--once"], "postgres://db/osit_bench_10"]  # vacuum syncs itself
    done.clear()
    runner.settle("sqlite", {})
    assert done == [["worker", "--once"], "sync"]


def test_an_api_only_run_replaces_the_api_rows_and_keeps_the_pages(tmp_path, monkeypatch):
    runner = load_runner()
    monkeypatch.setattr(runner, "RESULTS", tmp_path)
    monkeypatch.setattr(runner, "HERE", tmp_path)

    def page(ms):
        return {"path": "/", "median_ms": ms, "p95_ms": ms, "rps_c4": 100.0, "queries": 4}

    full = {
        "db": "postgres",
        "size": 1000000,
        "tickets": 1000000,
        "pages": {"queue": page(7.0), "api_list": page(30.0), "api_me": page(3.0)},
        "api_create": {"median_ms": 25.0, "p95_ms": 58.0, "rps": 130.2, "n": 240},
        "peak_rss_mb": 432.4,
        "measured_at": "2026-12-03 12:27",
        "cpu_loop_s": 0.31,
    }
    api = {
        **full,
        "pages": {"api_list": page(18.7), "api_me": page(1.8)},
        "api_create": {"median_ms": 9.5, "p95_ms": 15.2, "rps": 395.8, "n": 240},
        "peak_rss_mb": 421.9,
        "measured_at": "2026-12-03 12:33",
        "cpu_loop_s": 0.3,
    }
    merged = runner.with_api_rows(full, api)
    assert list(merged["pages"]) == ["queue", "api_list", "api_me"]
    assert merged["pages"]["queue"]["median_ms"] == 7.0
    assert merged["pages"]["api_list"]["median_ms"] == 18.7
    assert merged["api_create"]["rps"] == 395.8 and merged["peak_rss_mb"] == 432.4
    assert runner.with_api_rows({}, api) is api  # nothing earlier: the API rows alone
    (tmp_path / "osit-postgres-1000000.json").write_text(json.dumps(merged))
    runner.write_report(None)
    report = (tmp_path / "RESULTS.md").read_text()
    assert (
        "Measured 2026-12-03 12:27 UTC (CPU check: 0.31 s); the API rows (api_*, API create)"
        " again on 2026-12-03 12:33 UTC (CPU check: 0.3 s)." in report
    )
    assert "| queue | 7.0 | 7.0 | 100.0 | 4 |" in report
    assert (
        "- API create at 1,000,000: 395.8 tickets/s at concurrency 4 (target ≥ 300) — met" in report
    )


@pytest.mark.django_db
def test_vacuum_marks_a_loaded_tables_pages_all_visible():
    # What lets counts and reads from an index skip the table (index-only scans).
    import psycopg
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's visibility map")
    sys.path.insert(0, str(ROOT / "bench"))
    from harness import vacuum

    d = connection.settings_dict
    url = f"postgresql://{d['USER']}@{d['HOST'] or '127.0.0.1'}:{d['PORT'] or 5432}/{d['NAME']}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bench_vacuum_probe (id int PRIMARY KEY, body text)")
        try:
            conn.execute(
                "INSERT INTO bench_vacuum_probe"
                " SELECT i, repeat('x', 200) FROM generate_series(1, 5000) i"
            )

            def pages() -> tuple[int, int]:
                return conn.execute(
                    "SELECT relpages, relallvisible FROM pg_class"
                    " WHERE relname = 'bench_vacuum_probe'"
                ).fetchone()

            def checkpoint() -> str:
                return str(
                    conn.execute("SELECT checkpoint_lsn FROM pg_control_checkpoint()").fetchone()[0]
                )

            assert pages()[1] == 0
            before = checkpoint()
            assert vacuum(url) >= 0
            relpages, visible = pages()
            assert relpages > 10 and visible == relpages
            assert checkpoint() != before  # the load's dirty pages written out
        finally:
            conn.execute("DROP TABLE bench_vacuum_probe")
