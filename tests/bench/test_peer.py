"""The django-helpdesk peer benchmark's pieces that need neither the network nor the peer's
virtual environment: the data shape, the page mapping, the DataTables request, the result."""

from __future__ import annotations

import base64
import importlib.machinery
import importlib.util
import json
import sys
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PEER = ROOT / "bench" / "peer"


def load_runner():
    loader = importlib.machinery.SourceFileLoader("bench_peer_run", str(PEER / "run"))
    spec = importlib.util.spec_from_loader("bench_peer_run", loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def shape():
    sys.path.insert(0, str(PEER))
    try:
        import shape as module
    finally:
        sys.path.remove(str(PEER))
    return module


@pytest.fixture(scope="module")
def rows(shape):
    return shape.generate(2000, seed=7)


def test_the_shape_is_deterministic_for_a_seed(shape, rows):
    again = shape.generate(2000, seed=7)
    assert again.tickets == rows.tickets and again.followups == rows.followups
    assert shape.generate(2000, seed=8).tickets != rows.tickets


def test_the_directory_has_the_shape_of_osits(shape):
    assert len(shape.queues()) == 20
    staff, requesters = shape.staff(), shape.requesters()
    assert len(staff) == 300 and all(u["is_staff"] for u in staff)
    assert len(requesters) == 20_000 and not any(u["is_staff"] for u in requesters)
    assert len({u["id"] for u in staff + requesters}) == 20_300
    assert len({u["email"] for u in requesters}) == 20_000
    assert all(len(shape.techs_of_queue(i)) == 12 for i in range(20))


def test_tickets_are_mostly_closed_with_open_ones_owned_by_their_queue(shape, rows):
    tickets = rows.tickets[:-1]  # without the 100 follow-ups one
    statuses = Counter(t["status"] for t in tickets)
    closed = statuses[shape.CLOSED] + statuses[shape.DUPLICATE]
    assert 0.93 < closed / len(tickets) < 0.97
    assert statuses[shape.OPEN] and statuses[shape.REOPENED] and statuses[shape.RESOLVED]
    assert {t["priority"] for t in tickets} == {1, 2, 3, 4, 5}
    assert sum(t["assigned_to_id"] is not None for t in tickets) > 0.9 * len(tickets)
    for t in tickets:
        if t["assigned_to_id"]:
            assert t["assigned_to_id"] in shape.techs_of_queue(t["queue_id"] - 1)
    created = [t["created"] for t in tickets]
    assert created == sorted(created)
    assert (created[-1] - created[0]).days > 3 * 365 - 2
    assert any("printer" in (t["title"] + t["description"]).lower() for t in tickets)


def test_follow_ups_changes_and_the_ticket_with_100(shape, rows):
    per_ticket = Counter(f["ticket_id"] for f in rows.followups)
    hundred = rows.tickets[-1]
    assert hundred["title"] == shape.HUNDRED_TITLE and per_ticket[hundred["id"]] == 100
    counts = [per_ticket[t["id"]] for t in rows.tickets[:-1]]
    assert min(counts) == 2 and max(counts) <= 15 and 5 in counts
    assert {f["public"] for f in rows.followups} == {True, False}
    assert any(f["time_spent"] for f in rows.followups)
    assert all(f["title"].startswith("Ticket Opened") for f in rows.followups if f["id"] == 1)
    reroutes = [c for c in rows.changes if c["field"] == "Queue"]
    assert 0.05 < len(reroutes) / len(rows.tickets) < 0.15
    ids = {f["id"] for f in rows.followups}
    assert all(c["followup_id"] in ids for c in rows.changes)
    assert rows.attachments is not None and rows.ccs
    assert len({f["id"] for f in rows.followups}) == len(rows.followups)


def test_a_requester_has_several_tickets(rows):
    top = Counter(t["submitter_email"] for t in rows.tickets).most_common(1)[0][1]
    assert top >= 2


def info():
    return {
        "queue": {"id": 7, "slug": "bench-q06", "open": 30},
        "tech": {"id": 7, "username": "bench-agent-006", "open_owned": 3},
        "requester": {"username": "bench-user-00042", "email": "u@x", "tickets": 4},
        "five": 123,
        "hundred": 10001,
    }


def test_every_osit_page_has_an_equivalent():
    runner = load_runner()
    pages = runner.pages(info())
    osit = {"queue", "queue_page10", "mine", "home", "unowned", "ticket_5", "ticket_100"}
    osit |= {"search", "api_list", "portal"}
    assert set(pages) == osit
    assert pages["queue"]["path"] == "/tickets/?queue=7&status=1&status=2&sort=priority"
    assert pages["mine"]["path"].startswith("/tickets/?assigned_to=7&")
    assert pages["unowned"]["path"].startswith("/tickets/?assigned_to=-1&")
    assert pages["ticket_100"]["path"] == "/tickets/10001/"
    assert pages["home"]["path"] == "/dashboard/"
    assert pages["portal"]["user"] == "bench-user-00042"
    # A list is its shell plus the DataTables request: both are measured as one call.
    assert {pages[n]["kind"] for n in ("queue", "mine", "unowned", "search")} == {"list"}


def test_the_datatables_request_is_read_from_the_shell():
    runner = load_runner()
    query = {"filtering": {"queue__id__in": [7], "status__in": [1, 2]}, "sorting": "priority"}
    b64 = base64.b64encode(json.dumps(query).encode()).decode()
    html = f'<script>ajax: {{"url": "/datatables_ticket_list/{b64}", "type": "GET"}}</script>'
    url = runner.data_url(html, page=10)
    assert url.startswith(f"/datatables_ticket_list/{b64}?")
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert params["start"] == ["225"] and params["length"] == ["25"]
    assert params["columns[1][data]"] == ["ticket"]
    assert runner.decode_query(url) == query
    with pytest.raises(SystemExit):
        runner.data_url("<html>no list</html>")


def test_the_result_is_what_the_report_reads():
    runner = load_runner()
    timing = {"median_ms": 234.0, "p95_ms": 260.0, "rps": 9.1, "n": 60}
    out = runner.result(
        "postgres",
        10000,
        {"tickets": 10001},
        "2.6.1",
        {"queue": {"path": "/tickets/?queue=7", **timing}},
        {"median_ms": 70.0, "p95_ms": 90.0, "rps": 14.0, "n": 240},
        321.04,
        {"queue": {"status": [200, 200], "queries": 43}},
        {},
    )
    assert out["peer"] == "django-helpdesk 2.6.1"
    assert out["pages"]["queue"] == {
        "path": "/tickets/?queue=7",
        "median_ms": 234.0,
        "p95_ms": 260.0,
        "rps_c4": 9.1,
        "queries": 43,
        "n": 60,
    }
    assert out["api_create"] == {"median_ms": 70.0, "p95_ms": 90.0, "rps": 14.0, "n": 240}
    assert out["peak_rss_mb"] == 321.0
    assert json.loads(json.dumps(out)) == out
