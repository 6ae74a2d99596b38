"""Agent lists and the home page: who sees which ticket where, sort, paging, query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from osit.directory.models import Service
from osit.tickets import actions, queries
from osit.tickets.models import Ticket, Watcher
from tests.conftest import PASSWORD
from tests.web.conftest import assert_same_query_count, count_queries, login

pytestmark = pytest.mark.django_db

ROW_NUMBER = re.compile(r'<td><a href="/tickets/(\d+)/">#\d+</a></td>')


def numbers(response) -> list[int]:
    """Ticket numbers of the table rows, in page order."""
    assert response.status_code == 200, response.content[:500]
    return [int(n) for n in ROW_NUMBER.findall(response.content.decode())]


def get(client, name, *args, **params):
    return client.get(reverse(f"web:{name}", args=args), params)


@pytest.fixture
def world(personas, make_ticket):
    """A few tickets in both services, in several states."""
    p = personas
    t = {}
    t["app_new"] = make_ticket(subject="Payroll export fails")
    t["app_owned"] = make_ticket(
        subject="Payslip layout", severity="minor", criticality="non_blocking"
    )
    actions.take(t["app_owned"], actor=p.tom, channel="web")
    t["net_new"] = make_ticket(subject="VPN is down", service=p.network, application=p.router)
    t["enh"] = make_ticket(subject="Add a dark theme", criticality="enhancement")
    t["closed"] = make_ticket(subject="Old printer jam", severity="minor")
    actions.change_status(
        t["closed"], actor=p.tom, channel="web", status="closed", comment="Fixed on site."
    )
    return t


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("web:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.parametrize("name", ["mine", "unowned", "enhancements", "closed"])
def test_requesters_get_the_403_page_on_agent_lists(client, personas, name):
    login(client, personas.alice)
    response = get(client, name)
    assert response.status_code == 403
    assert "Access denied" in response.content.decode()
    assert "Your requests are in the portal" in response.content.decode()


def test_requester_queue_is_403_and_home_goes_to_portal(client, personas):
    login(client, personas.alice)
    assert get(client, "queue", "appdev").status_code == 403
    response = get(client, "home")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:portal")


def test_queue_of_unknown_service_is_404(client, personas):
    login(client, personas.tom)
    response = get(client, "queue", "no-such-service")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_queue_shows_the_service_active_tickets(client, personas, world):
    login(client, personas.tom)
    response = get(client, "queue", "appdev")
    shown = numbers(response)
    assert set(shown) == {world["app_new"].pk, world["app_owned"].pk, world["enh"].pk}
    page = response.content.decode()
    assert "Queue: Application developers" in page
    assert "Payroll export fails" in page
    assert "Old printer jam" not in page  # closed


def test_a_deactivated_service_keeps_its_queue_page_out_of_the_bar(client, personas, world):
    """The queue's service is usually taken from the bar of queues; one no longer in it (made
    inactive) is still found by its address, and its tickets still listed."""
    Service.objects.filter(pk=personas.appdev.pk).update(is_active=False)  # test setup
    login(client, personas.tom)
    with count_queries() as inactive:
        response = get(client, "queue", "appdev")
    assert response.status_code == 200
    assert set(numbers(response)) == {world["app_new"].pk, world["app_owned"].pk, world["enh"].pk}
    page = response.content.decode()
    assert "Queue: Application developers" in page
    bar = page.split('<nav class="queues"', 1)[1].split("</nav>", 1)[0]
    assert 'href="/queues/appdev/"' not in bar
    assert 'href="/queues/network/"' in bar
    with count_queries() as active:
        get(client, "queue", "network")
    # The bar's services gave the active one; the inactive one was read by its address.
    by_slug = 'WHERE "directory_service"."slug" ='
    assert [q for q in inactive.captured_queries if by_slug in q["sql"]]
    assert not [q for q in active.captured_queries if by_slug in q["sql"]]
    # One statement fewer, one more: tom's watched tickets (network is not his service).
    assert len(active) == len(inactive)


def test_technician_sees_nothing_of_another_service_queue_unless_watched(client, personas, world):
    login(client, personas.tom)
    assert numbers(get(client, "queue", "network")) == []
    # Test setup only: the row add_watcher writes (a watcher's visibility is the policy's).
    Watcher.objects.create(ticket=world["net_new"], user=personas.tom, kind="cc")
    assert numbers(get(client, "queue", "network")) == [world["net_new"].pk]


def test_operator_sees_every_queue(client, personas, world):
    login(client, personas.olivia)
    assert numbers(get(client, "queue", "network")) == [world["net_new"].pk]


def test_queue_picker_lists_every_service(client, personas, world):
    login(client, personas.nina)
    page = get(client, "mine").content.decode()
    assert 'href="/queues/appdev/"' in page
    assert 'href="/queues/network/"' in page


def test_mine_lists_active_tickets_owned_by_me(client, personas, world):
    login(client, personas.tom)
    assert numbers(get(client, "mine")) == [world["app_owned"].pk]
    login(client, personas.nina)
    response = get(client, "mine")
    assert numbers(response) == []
    assert "You own no active ticket." in response.content.decode()


def test_unowned_is_limited_to_my_services_for_technicians(client, personas, world):
    login(client, personas.tom)
    assert numbers(get(client, "unowned")) == [world["app_new"].pk]
    login(client, personas.nina)
    assert numbers(get(client, "unowned")) == [world["net_new"].pk]


@pytest.mark.parametrize("persona", ["olivia", "max", "ada"])
def test_unowned_covers_every_service_for_dispatchers(client, personas, world, persona):
    login(client, personas.by_role(persona))
    assert set(numbers(get(client, "unowned"))) == {world["app_new"].pk, world["net_new"].pk}


def test_unowned_includes_portal_tickets_not_yet_routed_for_operators(client, personas, world):
    portal = actions.create_ticket(
        actor=personas.alice, channel="web", requester=personas.alice, subject="Screen flickers"
    )
    login(client, personas.olivia)
    assert portal.pk in numbers(get(client, "unowned"))
    login(client, personas.tom)
    assert portal.pk not in numbers(get(client, "unowned"))


def test_enhancements_list(client, personas, world):
    login(client, personas.max)
    response = get(client, "enhancements")
    assert numbers(response) == [world["enh"].pk]
    assert "Add a dark theme" in response.content.decode()


def test_closed_list_shows_closed_tickets_most_recent_first(client, personas, make_ticket, world):
    later = make_ticket(subject="Closed later")
    actions.change_status(
        later,
        actor=personas.tom,
        channel="web",
        status="closed",
        comment="Done.",
        now=timezone.now() + timedelta(hours=1),
    )
    login(client, personas.tom)
    assert numbers(get(client, "closed")) == [later.pk, world["closed"].pk]
    # Operators see active tickets only (SPEC §1), except those they created.
    login(client, personas.nina)
    assert numbers(get(client, "closed")) == []


def test_columns_show_what_agents_need(client, personas, world):
    login(client, personas.tom)
    page = get(client, "mine").content.decode()
    ticket = world["app_owned"]
    for text in (
        f"#{ticket.pk}",
        "Payslip layout",
        "Alice Test",
        "Application developers",
        "Payroll",
        "Tom Test",
        f'class="prio prio-{ticket.priority}"',
        'class="status status-open">open',
    ):
        assert text in page


def test_default_sort_is_priority_then_oldest(client, personas, make_ticket):
    low = make_ticket(subject="low", severity="minor", criticality="non_blocking")
    urgent_old = make_ticket(subject="urgent old")
    urgent_new = make_ticket(subject="urgent new")
    login(client, personas.tom)
    assert numbers(get(client, "queue", "appdev")) == [urgent_old.pk, urgent_new.pk, low.pk]


def test_sort_by_subject_both_ways_and_unknown_sort_falls_back(client, personas, make_ticket):
    b = make_ticket(subject="Bravo", severity="minor")
    a = make_ticket(subject="Alpha", severity="minor", criticality="non_blocking")
    c = make_ticket(subject="Charlie")
    login(client, personas.tom)
    assert numbers(get(client, "queue", "appdev", sort="subject")) == [a.pk, b.pk, c.pk]
    response = get(client, "queue", "appdev", sort="-subject")
    assert numbers(response) == [c.pk, b.pk, a.pk]
    assert 'aria-sort="descending"' in response.content.decode()
    assert numbers(get(client, "queue", "appdev", sort="number")) == [b.pk, a.pk, c.pk]
    # Only whitelisted sorts: anything else is the default order, never an error.
    assert numbers(get(client, "queue", "appdev", sort="requester__password")) == [c.pk, b.pk, a.pk]


def test_header_link_reverses_the_current_sort(client, personas, make_ticket):
    make_ticket()
    login(client, personas.tom)
    page = get(client, "queue", "appdev", sort="subject").content.decode()
    assert 'href="?sort=-subject"' in page
    assert 'href="?sort=number"' in page


def test_paging_with_next_and_previous_links(client, personas, make_ticket, settings):
    settings.OSIT_PAGE_SIZE = 5
    made = [make_ticket(subject=f"ticket {i}") for i in range(12)]
    login(client, personas.tom)
    first = get(client, "queue", "appdev", sort="number")
    assert numbers(first) == [t.pk for t in made[:5]]
    page = first.content.decode()
    assert "Page 1 of 3" in page
    assert "Next page" in page and "Previous page" not in page
    assert 'href="?sort=number&amp;page=2"' in page
    last = get(client, "queue", "appdev", sort="number", page=3)
    assert numbers(last) == [t.pk for t in made[10:]]
    assert "Previous page" in last.content.decode()
    assert "Next page" not in last.content.decode()
    assert "12 tickets" in page


PART = {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "ticket-list"}


def _part(client, name, *args, **params):
    return client.get(reverse(f"web:{name}", args=args), params, **PART)


def test_paging_links_fetch_the_list_part_alone(client, personas, make_ticket, settings):
    settings.OSIT_PAGE_SIZE = 5
    made = [make_ticket(subject=f"ticket {i}") for i in range(12)]
    login(client, personas.tom)
    page = get(client, "queue", "appdev", sort="number").content.decode()
    region = page.split('<div id="ticket-list"', 1)[1]
    assert 'hx-target="this" hx-swap="outerHTML" hx-push-url="true"' in region
    assert 'href="?sort=number&amp;page=2" hx-get="?sort=number&amp;page=2"' in region
    assert 'href="?sort=-number" hx-get="?sort=-number"' in region  # sorting by a header

    second = _part(client, "queue", "appdev", sort="number", page=2)
    assert numbers(second) == [t.pk for t in made[5:10]]
    part = second.content.decode()
    assert part.lstrip().startswith('<div id="ticket-list"')
    assert "Page 2 of 3" in part and "12 tickets" in part
    assert "Previous page" in part and "Next page" in part
    assert "<html" not in part and '<nav class="queues"' not in part and "<h1>" not in part
    assert "HX-Request" in second["Vary"] and "HX-Request" in get(client, "mine")["Vary"]


def test_the_list_part_of_every_list_page(client, personas, world):
    login(client, personas.olivia)
    for name, args in (("queue", ("appdev",)), ("mine", ()), ("unowned", ()), ("closed", ())):
        whole = get(client, name, *args)
        part = _part(client, name, *args)
        assert numbers(part) == numbers(whole), name
        assert part.content.decode().lstrip().startswith('<div id="ticket-list"'), name


def test_the_whole_page_when_htmx_restores_its_history_or_targets_something_else(
    client, personas, world
):
    login(client, personas.tom)
    restoring = {**PART, "HTTP_HX_HISTORY_RESTORE_REQUEST": "true"}
    for headers in (restoring, {"HTTP_HX_REQUEST": "true", "HTTP_HX_TARGET": "main"}):
        page = client.get(reverse("web:queue", args=["appdev"]), **headers).content.decode()
        assert "<html" in page and '<nav class="queues"' in page


def test_the_list_part_of_an_unknown_queue_is_not_found(client, personas, world):
    login(client, personas.tom)
    assert _part(client, "queue", "nowhere").status_code == 404


def test_the_list_part_runs_fewer_queries_and_as_many_for_more_tickets(
    client, personas, make_ticket, settings
):
    settings.OSIT_PAGE_SIZE = 5
    for i in range(3):
        make_ticket(subject=f"few {i}")
    login(client, personas.tom)
    _part(client, "queue", "appdev")
    with count_queries() as few:
        _part(client, "queue", "appdev", page=1)
    with count_queries() as whole:
        get(client, "queue", "appdev", page=1)
    for i in range(12):
        make_ticket(subject=f"many {i}")
    with count_queries() as many:
        assert len(numbers(_part(client, "queue", "appdev", page=2))) == 5
    assert_same_query_count(few, many)
    # The session, the service by its address, the count and the rows; no bar of queues.
    assert len(few) == 4 and len(whole) == 4
    assert not [
        q for q in few.captured_queries if 'WHERE "directory_service"."is_active"' in q["sql"]
    ]
    with count_queries() as mine:
        _part(client, "mine")
    assert len(mine) == 3  # the session, the count, the rows


def test_a_queue_reads_its_session_service_and_page_in_one_round_trip(
    client, personas, make_ticket, round_trips
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("round trips are PostgreSQL's (SQLite runs in the process)")
    make_ticket(subject="In the queue")
    login(client, personas.tom)
    get(client, "queue", "appdev")  # the address's service now known to this process
    for fetch in (_part, get):
        round_trips.clear()
        response = fetch(client, "queue", "appdev")
        assert "In the queue" in response.content.decode()
        # The session with the service (its part) or the bar of queues (the page), and the
        # queue's count and rows as its technician sees them whole: one round trip.
        assert round_trips == ["together"], fetch
    round_trips.clear()
    assert _part(client, "queue", "nowhere").status_code == 404
    assert round_trips == ["together"]  # the session and the service it does not find


def test_a_queue_read_ahead_for_one_who_sees_part_of_it_shows_only_that(
    client, personas, make_ticket, round_trips
):
    mine = make_ticket(subject="Watched one")
    make_ticket(subject="Not for Nina")
    actions.add_watcher(mine, actor=personas.olivia, channel="web", user=personas.nina, kind="cc")
    login(client, personas.nina)  # a network technician: appdev's queue is not hers
    for fetch in (get, _part, _part):
        shown = fetch(client, "queue", "appdev").content.decode()
        assert "Watched one" in shown and "Not for Nina" not in shown


def test_a_queue_read_ahead_for_a_service_that_moved_is_not_used(
    client, personas, make_ticket, monkeypatch
):
    from osit.tickets import queries as ticket_queries

    make_ticket(subject="Appdev one")
    make_ticket(subject="Network one", service=personas.network, application=personas.router)
    login(client, personas.olivia)
    get(client, "queue", "appdev")
    # The process remembers appdev at network's id (an address given to another service).
    monkeypatch.setitem(ticket_queries._SERVICE_IDS, "appdev", personas.network.pk)
    for fetch in (_part, get):
        shown = fetch(client, "queue", "appdev").content.decode()
        assert "Appdev one" in shown and "Network one" not in shown
    assert ticket_queries.guessed_service_id("appdev") == personas.appdev.pk  # read again


def test_a_queue_read_ahead_for_a_requester_shows_her_nothing(client, personas, make_ticket):
    make_ticket(subject="Agents' queue")
    login(client, personas.alice)
    for fetch in (_part, get):
        response = fetch(client, "queue", "appdev")
        assert response.status_code == 403
        assert b"Agents' queue" not in response.content


@pytest.mark.parametrize("sort", ["owner", "-owner", "service", "priority", "-updated"])
def test_pages_sorted_by_any_column_show_each_ticket_once_in_order(
    client, personas, make_ticket, settings, sort
):
    # A page is chosen by number first, then joined to its names (issue 5): paging by a
    # joined column (owner, service) must still walk the whole list in the listed order.
    made = [make_ticket(subject=f"ticket {i}") for i in range(8)]
    for ticket in made[::3]:
        actions.take(ticket, actor=personas.tom, channel="web")
    login(client, personas.olivia)
    ordering = queries.parse_sort(sort).ordering
    expected = list(
        Ticket.objects.filter(service=personas.appdev)
        .exclude(status="closed")
        .order_by(*ordering)
        .values_list("pk", flat=True)
    )
    settings.OSIT_PAGE_SIZE = 3
    paged = []
    for page in (1, 2, 3):
        paged += numbers(get(client, "queue", "appdev", sort=sort, page=page))
    assert len(expected) == 8
    assert paged == expected


def _make_many(make_ticket, personas, n):
    """``n`` tickets over both services: owned, unowned, enhancement requests, closed."""
    for i in range(n):
        network = i % 2 == 1
        ticket = make_ticket(
            subject=f"bulk {i}",
            service=personas.network if network else personas.appdev,
            application=personas.router if network else personas.payroll,
            criticality="enhancement" if i % 5 == 4 else "blocking",
        )
        if ticket.status != "new":
            continue
        if not network and i % 3 == 0:
            actions.take(ticket, actor=personas.tom, channel="web")
        elif network and i % 4 == 1:
            actions.change_status(
                ticket, actor=personas.nina, channel="web", status="closed", comment="Done."
            )


@pytest.mark.parametrize("persona", ["tom", "olivia", "max"])
@pytest.mark.parametrize(
    "name,args",
    [
        ("mine", ()),
        ("unowned", ()),
        ("enhancements", ()),
        ("closed", ()),
        ("queue", ("appdev",)),
        ("home", ()),
    ],
)
def test_query_count_does_not_grow_with_tickets(client, personas, make_ticket, persona, name, args):
    user = personas.by_role(persona)
    login(client, user)
    _make_many(make_ticket, personas, 5)
    with count_queries() as few:
        assert client.get(reverse(f"web:{name}", args=args)).status_code == 200
    _make_many(make_ticket, personas, 25)
    with count_queries() as many:
        response = client.get(reverse(f"web:{name}", args=args))
        assert response.status_code == 200
    assert_same_query_count(few, many)
    assert len(many) <= 14, len(many)


def test_home_shows_my_top_tickets_unowned_and_enhancements(client, personas, world, make_ticket):
    login(client, personas.tom)
    response = get(client, "home")
    page = response.content.decode()
    assert "At a glance" in page
    assert "Payslip layout" in page  # mine
    assert "Payroll export fails" in page  # unowned in appdev
    assert "VPN is down" not in page  # network, not tom's
    assert "1 enhancement request waits for a decision." in page
    assert 'href="/enhancements/"' in page
    assert '<label for="qc-subject">Subject' in page


def test_home_lists_at_most_ten_of_my_tickets_most_urgent_first(client, personas, make_ticket):
    low = [
        make_ticket(subject=f"low {i}", severity="minor", criticality="non_blocking")
        for i in range(10)
    ]
    urgent = make_ticket(subject="urgent")
    for ticket in [*low, urgent]:
        actions.take(ticket, actor=personas.tom, channel="web")
    login(client, personas.tom)
    response = get(client, "home")
    mine = numbers(response)[:10]
    assert mine[0] == urgent.pk
    assert low[-1].pk not in mine


def test_anonymous_home_goes_to_login(client):
    response = client.get(reverse("web:home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def quick(client, **fields):
    data = {
        "subject": "Printer on fire",
        "requester": "alice",
        "service": "",
        "application": "",
        "severity": "major",
        "criticality": "blocking",
    }
    data.update(fields)
    return client.post(reverse("web:quick_create"), data)


def test_quick_create_makes_a_web_ticket_and_opens_it(client, personas):
    login(client, personas.olivia)
    response = quick(client, requester="alice@osit.test", application=personas.payroll.pk)
    ticket = Ticket.objects.get(subject="Printer on fire")
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[ticket.pk])
    assert ticket.channel == "web"
    assert ticket.requester == personas.alice
    assert ticket.service == personas.appdev  # from the application
    assert ticket.created_by == personas.olivia


def test_quick_create_shows_errors_next_to_fields(client, personas):
    login(client, personas.tom)
    response = quick(client, requester="nobody-here")
    page = response.content.decode()
    assert response.status_code == 200
    assert "There is no user" in page
    assert 'class="field field-error"' in page  # the field with the error is marked
    assert not Ticket.objects.exists()
    response = quick(client, service="", application="")
    assert "Choose the service this ticket is assigned to." in response.content.decode()
    response = quick(client, subject="", service=personas.appdev.pk)
    assert "This field is required." in response.content.decode()
    assert not Ticket.objects.exists()


def test_quick_create_get_renders_the_form_alone(client, personas):
    login(client, personas.tom)
    response = get(client, "quick_create")
    page = response.content.decode()
    assert response.status_code == 200
    assert "<h1>New ticket</h1>" in page
    assert "At a glance</h1>" not in page
    assert 'action="/tickets/new/"' in page


def test_requester_cannot_quick_create(client, personas):
    login(client, personas.alice)
    assert quick(client, service=personas.appdev.pk).status_code == 403
    assert not Ticket.objects.exists()


def test_real_login_then_lists(client, personas, world):
    """The whole path once through the login form, not force_login."""
    response = client.post(reverse("web:login"), {"username": "nina", "password": PASSWORD})
    assert response.status_code == 302
    assert numbers(client.get(reverse("web:unowned"))) == [world["net_new"].pk]
