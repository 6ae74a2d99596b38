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


def test_the_report_puts_osit_and_the_peer_side_by_side(tmp_path, monkeypatch):
    runner = load_runner()
    monkeypatch.setattr(runner, "RESULTS", tmp_path)
    monkeypatch.setattr(runner, "HERE", tmp_path)
    page = {"path": "/", "median_ms": 10.0, "p95_ms": 12.0, "rps_c4": 300.0, "queries": 9}
    (tmp_path / "osit-postgres-10000.json").write_text(
        json.dumps(
            {
                "db": "postgres",
                "size": 10000,
                "pages": {"queue": page},
                "api_create": {"median_ms": 5, "p95_ms": 9, "rps": 400},
                "peak_rss_mb": 300,
            }
        )
    )
    (tmp_path / "peer-postgres-10000.json").write_text(
        json.dumps({"db": "postgres", "size": 10000, "pages": {"queue": {"median_ms": 234.0}}})
    )
    runner.write_report(None)
    report = (tmp_path / "RESULTS.md").read_text()
    assert "## postgres, 10,000 tickets" in report
    assert "| queue | 10.0 | 12.0 | 300.0 | 9 | 234.0 | 23× |" in report
    assert "API create" in report


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
            "urls": {"bench-agent-000": {"mine": "/mine/", "api": "/api/v1/tickets"}},
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
