"""The operator's phone quick create: caller look-up, recent tickets, suggested service, errors."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from osit.directory import actions as d
from osit.tickets.models import Ticket
from tests import live
from tests.conftest import PASSWORD
from tests.web.conftest import assert_same_query_count, count_queries, login

pytestmark = pytest.mark.django_db

NEW = reverse("web:phone_new")
LOOKUP = reverse("web:phone_lookup")
RECENT = reverse("web:phone_recent")
SUGGEST = reverse("web:phone_suggest")


def person(username, phone="", first="", last="Test"):
    return d.create_user(
        actor=None,
        channel="cli",
        username=username,
        email=f"{username}@osit.test",
        roles=["requester"],
        password=PASSWORD,
        first_name=first or username.capitalize(),
        last_name=last,
        phone=phone,
        validate=False,
    )


def caller_value(page: str) -> str | None:
    """The value of the caller text field, or None when it is empty."""
    tag = re.search(r'<input[^>]*name="requester"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found else None


def chosen_id(page: str) -> str | None:
    tag = re.search(r'<input[^>]*name="requester_id"[^>]*>', page).group(0)
    found = re.search(r'value="([^"]*)"', tag)
    return found.group(1) if found and found.group(1) else None


def field_errors(page: str, field_id: str) -> list[str]:
    """The error messages shown in the field group of the input ``field_id``."""
    for block in page.split('<div class="field')[1:]:
        if f'id="{field_id}"' in block.split("</div>")[0]:
            return re.findall(r"<li>([^<]*)</li>", block.split("</div>")[0])
    raise AssertionError(f"no field {field_id}")


def suggestions(page: str) -> list[str]:
    return re.findall(r"<strong>([^<]+)</strong>", page)


def form_data(**overrides):
    data = {
        "requester": "",
        "requester_id": "",
        "subject": "Payroll says database unavailable",
        "description": "Since 9 o'clock, for the whole accounting team.",
        "application": "",
        "service": "",
        "severity": "major",
        "criticality": "blocking",
    }
    data.update(overrides)
    return data


# --- who may use it ---------------------------------------------------------------------------


@pytest.mark.parametrize("url", [NEW, LOOKUP + "?q=ali", RECENT + "?requester=1", SUGGEST])
def test_requesters_are_refused(client, personas, url):
    login(client, personas.alice)
    assert client.get(url).status_code == 403


def test_anonymous_visitors_log_in_first(client, personas):
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_the_form_is_built_for_htmx_type_ahead(client, personas):
    login(client, personas.olivia)
    page = client.get(NEW).content.decode()
    assert f'hx-get="{LOOKUP}"' in page
    assert 'hx-trigger="keyup changed delay:200ms"' in page
    assert f'hx-get="{SUGGEST}"' in page
    assert 'method="post"' in page and 'name="requester_id"' in page


# --- pre-fill from the telephony system -------------------------------------------------------


@pytest.mark.parametrize(
    "query",
    [
        "caller=+33123456789",  # as FusionPBX sends it: the "+" arrives as a space
        "caller=%2B33%201%2023%2045%2067%2089",
        "caller=0123456789",
    ],
)
@pytest.mark.parametrize("path", ["/phone/new", "/phone/new/"])
def test_the_caller_number_fills_in_the_requester(client, personas, make_ticket, query, path):
    ticket = make_ticket(subject="Printer on fire")
    login(client, personas.olivia)
    response = client.get(f"{path}?{query}")
    page = response.content.decode()
    assert response.status_code == 200
    assert caller_value(page) == "alice"
    assert chosen_id(page) == str(personas.alice.pk)
    assert "Recent tickets of Alice Test" in page
    assert f'href="{reverse("web:ticket", args=[ticket.pk])}"' in page
    assert "Printer on fire" in page


def test_a_number_stored_with_spaces_matches_every_spelling(client, personas):
    person("carol", phone="01 23 45 67 88")
    login(client, personas.olivia)
    for number in ("%2B33123456788", "0123456788", "%2B33%201%2023%2045%2067%2088"):
        page = client.get(f"{NEW}?caller={number}").content.decode()
        assert caller_value(page) == "carol", number


def test_an_unknown_caller_leaves_the_requester_empty(client, personas, make_ticket):
    make_ticket()
    login(client, personas.olivia)
    page = client.get("/phone/new?caller=+33999999999").content.decode()
    assert "Unknown caller +33999999999" in page
    assert caller_value(page) is None
    assert chosen_id(page) is None
    assert "Recent tickets of" not in page


def test_two_people_sharing_a_number_are_both_offered(client, personas):
    person("dave", phone="+33 4 00 00 00 01")
    person("erin", phone="0400000001")
    login(client, personas.olivia)
    page = client.get(f"{NEW}?caller=0400000001").content.decode()
    assert "Several people have the number 0400000001" in page
    assert suggestions(page) == ["Dave Test", "Erin Test"]
    assert caller_value(page) is None


# --- type-ahead -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("ali", ["Alice Test"]),  # user name / first name
        ("Alice T", ["Alice Test"]),  # full name
        ("bob@osit", ["Bob Test"]),  # e-mail
        ("+33 9 87", ["Bob Test"]),  # phone as it is dictated
        ("0987", ["Bob Test"]),  # phone in the national form
    ],
)
def test_type_ahead_finds_people_by_name_email_or_phone(client, personas, term, expected):
    login(client, personas.olivia)
    response = client.get(LOOKUP, {"requester": term})
    assert response.status_code == 200
    page = response.content.decode()
    assert '<ul class="suggestions"' in page
    assert suggestions(page) == expected


def test_type_ahead_says_when_nobody_matches_and_forgets_the_chosen_caller(client, personas):
    login(client, personas.olivia)
    page = client.get(LOOKUP, {"q": "zzz"}).content.decode()
    assert "Nobody matches “zzz”." in page
    # The caller changed: the id of the one chosen before is cleared.
    assert re.search(r'<input[^>]*name="requester_id"[^>]*value=""[^>]*hx-swap-oob', page)


def test_type_ahead_is_limited_and_costs_the_same_whatever_the_matches(client, personas):
    login(client, personas.olivia)
    for i in range(3):
        person(f"zed{i:02d}")
    with count_queries() as few:
        page = client.get(LOOKUP, {"q": "zed"}).content.decode()
    assert len(suggestions(page)) == 3
    for i in range(3, 30):
        person(f"zed{i:02d}")
    with count_queries() as many:
        page = client.get(LOOKUP, {"q": "zed"}).content.decode()
    assert len(suggestions(page)) == 10
    assert_same_query_count(few, many)


def test_choosing_a_suggestion_fills_the_form_and_shows_recent_tickets(
    client, personas, make_ticket
):
    tickets = [make_ticket(subject=f"Problem {i}") for i in range(12)]
    make_ticket(subject="Bob's own problem", requester=personas.bob)
    login(client, personas.olivia)
    response = client.get(RECENT, {"requester": personas.alice.pk})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Recent tickets of Alice Test" in page
    shown = re.findall(r'href="/tickets/(\d+)/"', page)
    assert shown == [str(t.pk) for t in reversed(tickets)][:10]
    assert "Bob's own problem" not in page
    # The caller fields of the form are filled out of band.
    assert chosen_id(page) == str(personas.alice.pk)
    assert caller_value(page) == "alice"


def test_recent_tickets_go_through_the_operators_policy(client, personas, make_ticket):
    make_ticket(subject="Payroll problem")  # appdev, which nina does not work in
    login(client, personas.nina)
    page = client.get(RECENT, {"requester": personas.alice.pk}).content.decode()
    assert "Payroll problem" not in page
    assert "No ticket for this caller yet." in page


def test_recent_of_an_unknown_person_is_404(client, personas):
    login(client, personas.olivia)
    assert client.get(RECENT, {"requester": "999999"}).status_code == 404


# --- service suggested by the application -----------------------------------------------------


def test_choosing_an_application_selects_its_service(client, personas):
    login(client, personas.olivia)
    page = client.get(SUGGEST, {"application": personas.router.pk}).content.decode()
    assert re.search(rf'<option value="{personas.network.pk}" selected>Network</option>', page)
    assert "Network maintains Core router." in page
    assert 'id="phone-service-field"' in page


def test_an_application_without_service_keeps_the_operators_choice(client, personas):
    orphan = d.create_application(actor=None, channel="cli", slug="legacy", name="Legacy")
    login(client, personas.olivia)
    page = client.get(
        SUGGEST, {"application": orphan.pk, "service": personas.appdev.pk}
    ).content.decode()
    assert re.search(rf'<option value="{personas.appdev.pk}" selected>', page)
    assert "No service maintains Legacy: choose one." in page


# --- creating ---------------------------------------------------------------------------------


def test_creating_by_phone_names_the_ticket_and_opens_it(client, personas):
    login(client, personas.olivia)
    response = client.post(
        NEW,
        form_data(
            requester="alice",
            requester_id=personas.alice.pk,
            service=personas.appdev.pk,
            application=personas.payroll.pk,
        ),
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[ticket.pk])
    page = client.get(response["Location"]).content.decode()
    assert f"Ticket #{ticket.pk} created for Alice Test." in page
    assert (ticket.channel, ticket.requester, ticket.created_by) == (
        "phone",
        personas.alice,
        personas.olivia,
    )
    assert (ticket.severity, ticket.criticality) == ("major", "blocking")


@pytest.mark.parametrize(
    "typed", ["alice", "alice@osit.test", "ALICE@osit.test", "01 23 45 67 89", "+33123456789"]
)
def test_without_javascript_the_typed_caller_is_resolved(client, personas, typed):
    login(client, personas.olivia)
    response = client.post(NEW, form_data(requester=typed, service=personas.appdev.pk))
    assert response.status_code == 302
    assert Ticket.objects.get().requester == personas.alice


def test_an_unknown_caller_is_a_field_error(client, personas):
    login(client, personas.olivia)
    response = client.post(NEW, form_data(requester="zorro", service=personas.appdev.pk))
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "phone-requester") == [
        "Nobody is known as zorro. Check the spelling, or type a user name, e-mail or phone number."
    ]
    assert not Ticket.objects.exists()


def test_an_ambiguous_caller_is_a_field_error(client, personas):
    person("dave", phone="+33 4 00 00 00 01")
    person("erin", phone="0400000001")
    login(client, personas.olivia)
    response = client.post(NEW, form_data(requester="0400000001", service=personas.appdev.pk))
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "phone-requester") == [
        "Several people match 0400000001; type their user name instead."
    ]
    assert not Ticket.objects.exists()


def test_an_empty_service_follows_the_application(client, personas):
    login(client, personas.olivia)
    client.post(NEW, form_data(requester="alice", application=personas.router.pk))
    assert Ticket.objects.get().service == personas.network


def test_a_caller_typed_over_the_chosen_one_wins(client, personas):
    login(client, personas.olivia)
    client.post(
        NEW, form_data(requester="bob", requester_id=personas.alice.pk, service=personas.appdev.pk)
    )
    assert Ticket.objects.get().requester == personas.bob


def test_errors_show_next_to_their_fields(client, personas):
    login(client, personas.olivia)
    # Neither a service nor an application: the action says what to do, under the service.
    response = client.post(NEW, form_data(requester="alice", service=""))
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "phone-service") == [
        "Choose the service this ticket is assigned to."
    ]
    response = client.post(
        NEW, form_data(requester="zorro", subject=" ", service=personas.appdev.pk)
    )
    page = response.content.decode()
    assert field_errors(page, "phone-subject") == ["A subject is required."]
    assert field_errors(page, "phone-requester")[0].startswith("Nobody is known as zorro.")
    assert not Ticket.objects.exists()


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_type_ahead_choose_suggest_and_create_in_a_browser(live_server, personas, make_ticket):
    chromium = live.require_chromium()
    playwright = pytest.importorskip("playwright.sync_api")
    make_ticket(subject="Old payroll problem")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=live.BROWSER_ARGS)
        page = browser.new_page()
        page.goto(live_server.url + reverse("web:login"))
        page.fill("input[name=username]", "olivia")
        page.fill("input[name=password]", PASSWORD)
        page.click("main button[type=submit]")
        page.goto(live_server.url + NEW)
        page.type("#phone-requester", "Ali", delay=30)
        page.click("#phone-suggestions .suggestions button")
        page.wait_for_selector("text=Recent tickets of Alice Test")
        assert page.input_value("#phone-requester_id") == str(personas.alice.pk)
        assert page.is_visible("text=Old payroll problem")
        page.select_option("#phone-application", label="Core router")
        page.wait_for_selector("text=Network maintains Core router.")
        assert page.input_value("#phone-service") == str(personas.network.pk)
        page.fill("#phone-subject", "Router down")
        page.click("text=Create ticket")
        page.wait_for_selector("text=created for Alice Test")
        browser.close()
    ticket = Ticket.objects.get(subject="Router down")
    assert (ticket.requester_id, ticket.service_id) == (personas.alice.pk, personas.network.pk)
