"""`osit serve`'s default threads per worker: one per CPU, 2 to 8 (issue 5)."""

from __future__ import annotations

import pytest

from osit import server


@pytest.mark.parametrize(("cpus", "threads"), [(None, 2), (1, 2), (2, 2), (4, 4), (64, 8)])
def test_a_worker_runs_one_request_per_cpu_by_default(monkeypatch, cpus, threads):
    monkeypatch.setattr(server.os, "cpu_count", lambda: cpus)
    assert server.default_threads() == threads
