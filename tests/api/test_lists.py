"""GET /tickets: views, filters, the query language, keyset pagination, constant query count."""

from __future__ import annotations

import pytest

from osit.tickets import actions
from osit.tickets.models import Ticket
from tests.api.conftest import assert_error
from tests.web.conftest import assert_same_query_count, count_queries

pytestmark = pytest.mark.django_db


def numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["items"]]


@pytest.fixture
def desk(make_ticket, personas):
    """A few tickets in every state: returns them by name."""
    t = {
        "urgent": make_ticket(subject="Payroll down", severity="major", criticality="blocking"),
        "minor": make_ticket(subject="Typo in payslip", severity="minor"),
        "network": make_ticket(subject="Router flaps", service=personas.network, application=None),
        "enhancement": make_ticket(subject="Export payslips", criticality="enhancement"),
        "closed": make_ticket(subject="Old payroll bug"),
    }
    actions.change_status(
        t["closed"], actor=personas.tom, channel="web", status="closed", comment="Fixed"
    )
    actions.take(t["minor"], actor=personas.tom, channel="web")
    actions.set_tags(t["minor"], actor=personas.tom, channel="web", tags=["payslip"])
    return t


def test_views(api_as, desk):
    api = api_as("max")
    active = numbers(api.get("/tickets"))
    assert desk["closed"].pk not in active
    assert {desk["urgent"].pk, desk["network"].pk, desk["enhancement"].pk} <= set(active)
    assert numbers(api.get("/tickets", {"view": "closed"})) == [desk["closed"].pk]
    assert numbers(api.get("/tickets", {"view": "enhancements"})) == [desk["enhancement"].pk]
    assert len(numbers(api.get("/tickets", {"view": "all"}))) == 5
    assert_error(api.get("/tickets", {"view": "everything"}), 422, field="view")


def test_most_urgent_first(api_as, desk):
    items = api_as("max").get("/tickets").json()["items"]
    keys = [(t["priority"], t["number"]) for t in items]
    assert keys == sorted(keys)
    assert items[0]["number"] == desk["urgent"].pk


def test_filters(api_as, desk):
    api = api_as("max")
    assert numbers(api.get("/tickets", {"service": "network"})) == [desk["network"].pk]
    assert numbers(api.get("/tickets", {"owner": "tom"})) == [desk["minor"].pk]
    assert desk["minor"].pk not in numbers(api.get("/tickets", {"owner": "none"}))
    assert numbers(api.get("/tickets", {"status": "pending_decision"})) == [desk["enhancement"].pk]
    assert_error(api.get("/tickets", {"status": "sleeping"}), 422, field="status")
    assert_error(api.get("/tickets", {"service": "nope"}), 404)


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("payslip", ["minor", "enhancement"]),
        ("tag:payslip", ["minor"]),
        ("service:network", ["network"]),
        ("severity:major criticality:blocking", ["urgent", "network"]),
        ('"payroll down"', ["urgent"]),
        ("status:new status:pending_decision -service:network", ["urgent", "enhancement"]),
        ("owner:none payslip", ["enhancement"]),
    ],
)
def test_the_query_language(api_as, desk, q, expected):
    got = set(numbers(api_as("max").get("/tickets", {"q": q})))
    assert got == {desk[name].pk for name in expected}


@pytest.mark.parametrize(
    ("q", "words"),
    [("colour:red", "Unknown search field"), ("status:sleeping", "status"), ('"open', "quote")],
)
def test_a_bad_query_names_the_problem(api_as, desk, q, words):
    assert_error(api_as("max").get("/tickets", {"q": q}), 422, field="q", contains=words)


def test_search_never_widens_visibility(api_as, desk):
    # Every ticket's description mentions payroll; nina sees only her service's.
    assert numbers(api_as("nina").get("/tickets", {"q": "payroll"})) == [desk["network"].pk]
    assert numbers(api_as("bob").get("/tickets", {"q": f"number:{desk['urgent'].pk}"})) == []


def test_limit_bounds(api_as, desk):
    assert_error(api_as("max").get("/tickets", {"limit": 201}), 422, field="limit")
    assert_error(api_as("max").get("/tickets", {"limit": 0}), 422, field="limit")


def test_pages_cover_every_ticket_once_despite_inserts(api_as, make_ticket):
    for i in range(7):
        make_ticket(subject=f"Batch {i}", severity=["major", "moderate", "minor"][i % 3])
    api = api_as("max")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        body = api.get("/tickets", params).json()
        seen += [(t["priority"], t["number"]) for t in body["items"]]
        pages += 1
        # Someone creates tickets while the client pages: the walk stays consistent.
        make_ticket(subject=f"Inserted during page {pages}", severity="minor")
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == sorted(seen)
    assert len(seen) == len(set(seen))
    batch = Ticket.objects.filter(subject__startswith="Batch").values_list("pk", flat=True)
    assert {n for _, n in seen} >= set(batch)


def test_closed_view_pages_newest_first(api_as, make_ticket, personas):
    made = []
    for i in range(5):
        t = make_ticket(subject=f"Done {i}")
        actions.change_status(t, actor=personas.tom, channel="web", status="closed", comment="ok")
        made.append(t.pk)
    api = api_as("tom")
    first = api.get("/tickets", {"view": "closed", "limit": 3}).json()
    rest = api.get(
        "/tickets", {"view": "closed", "limit": 3, "cursor": first["next_cursor"]}
    ).json()
    assert [t["number"] for t in first["items"] + rest["items"]] == sorted(made, reverse=True)
    assert rest["next_cursor"] is None


@pytest.mark.parametrize("cursor", ["garbage", "eyJ4IjoxfQ", "WyJ1cmdlbnQiLFsiYSIsMV1d"])
def test_a_bad_cursor_is_a_422(api_as, desk, cursor):
    assert_error(api_as("max").get("/tickets", {"cursor": cursor}), 422, field="cursor")


def test_a_cursor_of_another_view_is_refused(api_as, desk, make_ticket):
    for _ in range(3):
        make_ticket()
    cursor = api_as("max").get("/tickets", {"limit": 1}).json()["next_cursor"]
    response = api_as("max").get("/tickets", {"view": "closed", "cursor": cursor})
    assert_error(response, 422, field="cursor", contains="another list")


@pytest.mark.parametrize("who", ["tom", "alice", "max"])
def test_the_list_runs_the_same_queries_for_5_or_40_tickets(api_as, make_ticket, personas, who):
    api = api_as(who)

    def add(n):
        for i in range(n):
            t = make_ticket(subject=f"Load {i}")
            actions.add_watcher(t, actor=personas.tom, channel="web", user=personas.bob, kind="cc")

    add(5)
    api.get("/tickets")  # warm caches (token lookup is the same each time)
    with count_queries() as few:
        assert len(numbers(api.get("/tickets"))) == 5
    add(35)
    with count_queries() as many:
        assert len(numbers(api.get("/tickets"))) == 40
    assert_same_query_count(few, many)
