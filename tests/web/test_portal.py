"""The requesters' portal: their own tickets only, the public timeline only, new requests,
replies, and "is it fixed?" on resolved tickets."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from osit.tickets import actions
from osit.tickets.models import Attachment, Ticket
from tests.web.conftest import assert_same_query_count, count_queries, login

pytestmark = pytest.mark.django_db

PORTAL = reverse("web:portal")
NEW = reverse("web:portal_new")


def url(name, ticket):
    return reverse(f"web:{name}", args=[ticket.pk])


def listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td><a href="/portal/tickets/(\d+)/">#', page)]


def field_errors(page: str, field_id: str) -> list[str]:
    for block in page.split('<div class="field')[1:]:
        if f'id="{field_id}"' in block.split("</div>")[0]:
            return re.findall(r"<li>([^<]*)</li>", block.split("</div>")[0])
    raise AssertionError(f"no field {field_id}")


def resolve(ticket, personas, *, now=None):
    return actions.change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="resolved",
        comment="The database password was renewed.",
        now=now,
    )


@pytest.fixture
def busy_ticket(personas, make_ticket):
    """Alice's ticket with everything the desk writes on it, public and internal."""
    ticket = make_ticket(subject="Payroll says database unavailable")
    actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="We are looking at it.",
        uploads=[actions.Upload("error.log", b"public log")],
    )
    actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        visibility="internal",
        body="INTERNAL: the DBA forgot to renew the password",
        uploads=[actions.Upload("secret-dump.sql", b"secret")],
    )
    actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        visibility="internal",
        body="INTERNAL: two hours on the phone with the vendor",
        time_spent_minutes=120,
    )
    actions.change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="open",
        comment="INTERNAL: taking it, do not tell the user yet",
        visibility="internal",
    )
    actions.change_status(
        ticket,
        actor=personas.tom,
        channel="web",
        status="pending_customer",
        comment="Can you try again now?",
    )
    return ticket


# --- the list ---------------------------------------------------------------------------------


def test_the_list_shows_only_my_tickets_newest_first_with_status(client, personas, make_ticket):
    first = make_ticket(subject="First problem")
    second = make_ticket(subject="Second problem")
    bobs = make_ticket(subject="Bob's problem", requester=personas.bob)
    resolve(first, personas)
    login(client, personas.alice)
    page = client.get(PORTAL).content.decode()
    assert listed(page) == [second.pk, first.pk]
    assert "Bob's problem" not in page and bobs.pk not in listed(page)
    assert '<span class="status status-resolved">resolved</span>' in page
    assert '<span class="status status-new">new</span>' in page


def test_a_requester_without_tickets_is_told_so(client, personas, make_ticket):
    make_ticket()
    login(client, personas.bob)
    assert "You have no request yet." in client.get(PORTAL).content.decode()


def test_the_list_is_paged(client, personas, make_ticket, settings):
    settings.OSIT_PAGE_SIZE = 5
    tickets = [make_ticket(subject=f"Problem {i}") for i in range(7)]
    login(client, personas.alice)
    page = client.get(PORTAL).content.decode()
    assert listed(page) == [t.pk for t in reversed(tickets)][:5]
    assert "Page 1 of 2" in page
    page = client.get(PORTAL, {"page": 2}).content.decode()
    assert listed(page) == [tickets[1].pk, tickets[0].pk]


def test_the_list_costs_the_same_for_3_or_30_tickets(client, personas, make_ticket):
    for _ in range(3):
        make_ticket()
    login(client, personas.alice)
    with count_queries() as few:
        assert len(listed(client.get(PORTAL).content.decode())) == 3
    for _ in range(27):
        make_ticket(application=personas.router, service=personas.network)
    with count_queries() as many:
        assert len(listed(client.get(PORTAL).content.decode())) == 30
    assert_same_query_count(few, many)


def test_an_agent_sees_only_the_tickets_they_requested(client, personas, make_ticket):
    make_ticket(subject="Alice's problem")
    own = make_ticket(subject="Olivia's own laptop", requester=personas.olivia)
    login(client, personas.olivia)
    page = client.get(PORTAL).content.decode()
    assert listed(page) == [own.pk]
    assert client.get(url("portal_ticket", own)).status_code == 200


# --- a new request ----------------------------------------------------------------------------


def test_a_new_request_follows_the_applications_service(client, personas):
    login(client, personas.alice)
    response = client.post(
        NEW,
        {
            "application": personas.payroll.pk,
            "subject": "Payslip empty",
            "description": "My March payslip is blank.",
        },
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == url("portal_ticket", ticket)
    page = client.get(response["Location"]).content.decode()
    assert f"Your request #{ticket.pk} is registered." in page
    assert "My March payslip is blank." in page
    assert (ticket.channel, ticket.requester, ticket.created_by, ticket.service) == (
        "web",
        personas.alice,
        personas.alice,
        personas.appdev,
    )
    assert (ticket.severity, ticket.criticality) == ("moderate", "non_blocking")


def test_a_request_without_application_waits_for_first_level(client, personas):
    login(client, personas.alice)
    client.post(NEW, {"subject": "Something is wrong", "description": "I don't know what."})
    ticket = Ticket.objects.get()
    assert ticket.service is None and ticket.status == "new"
    assert ticket.pk in listed(client.get(PORTAL).content.decode())


def test_a_request_carries_its_files(client, personas):
    login(client, personas.alice)
    client.post(
        NEW,
        {
            "subject": "Screen error",
            "description": "See the screenshot.",
            "attachments": [
                SimpleUploadedFile("screen.png", b"png bytes", "image/png"),
                SimpleUploadedFile("notes.txt", b"notes"),
            ],
        },
    )
    ticket = Ticket.objects.get()
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert "screen.png" in page and "notes.txt" in page
    attachment = Attachment.objects.get(filename="screen.png")
    download = client.get(reverse("web:attachment", args=[attachment.pk, "screen.png"]))
    assert download.status_code == 200


def test_an_oversized_file_is_a_field_error_and_nothing_is_created(client, personas, settings):
    settings.OSIT_MAX_ATTACHMENT_BYTES = 1024 * 1024
    login(client, personas.alice)
    response = client.post(
        NEW,
        {
            "subject": "Huge log",
            "description": "Attached.",
            "attachments": [SimpleUploadedFile("huge.log", b"x" * (1024 * 1024 + 1))],
        },
    )
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "new-attachments") == [
        "huge.log is larger than the 1 MB limit for attachments."
    ]
    assert not Ticket.objects.exists()
    assert not Attachment.objects.exists()


def test_a_request_needs_a_subject(client, personas):
    login(client, personas.alice)
    response = client.post(NEW, {"subject": " ", "description": "Help"})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "new-subject") == ["A subject is required."]
    assert not Ticket.objects.exists()


# --- one ticket: what the requester sees ------------------------------------------------------


def test_the_requester_sees_the_public_timeline_only(client, personas, busy_ticket):
    login(client, personas.alice)
    response = client.get(url("portal_ticket", busy_ticket))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Payroll says database unavailable" in page
    assert "We are looking at it." in page
    assert "error.log" in page
    assert "Can you try again now?" in page
    assert "changed the status from open to pending customer" in page
    assert "INTERNAL" not in page
    assert "secret-dump.sql" not in page
    assert "2 h" not in page and "intervention" not in page
    assert "changed the status from new to open" not in page


def test_another_requester_gets_404_and_sees_nothing(client, personas, busy_ticket):
    login(client, personas.bob)
    for name in ("portal_ticket",):
        response = client.get(url(name, busy_ticket))
        assert response.status_code == 404
        assert "Payroll says database unavailable" not in response.content.decode()
    for name in ("portal_reply", "portal_confirm", "portal_reopen"):
        response = client.post(url(name, busy_ticket), {"body": "hi", "comment": "hi"})
        assert response.status_code == 404
    assert busy_ticket.comments.filter(author=personas.bob).count() == 0


def test_a_missing_ticket_is_404(client, personas):
    login(client, personas.alice)
    assert client.get(reverse("web:portal_ticket", args=[999999])).status_code == 404


def test_an_agent_who_did_not_request_the_ticket_goes_to_the_agent_page(
    client, personas, busy_ticket
):
    login(client, personas.olivia)
    response = client.get(url("portal_ticket", busy_ticket))
    assert response.status_code == 302
    assert response["Location"] == url("ticket", busy_ticket)
    assert client.post(url("portal_reply", busy_ticket), {"body": "x"}).status_code == 403


# --- replying, confirming, reopening ----------------------------------------------------------


def test_a_reply_appears_on_the_page(client, personas, busy_ticket):
    login(client, personas.alice)
    response = client.post(url("portal_reply", busy_ticket), {"body": "Still the same error."})
    assert response.status_code == 302
    page = client.get(url("portal_ticket", busy_ticket)).content.decode()
    assert "Your reply was sent." in page
    assert "Still the same error." in page


def test_an_empty_reply_is_a_field_error(client, personas, busy_ticket):
    login(client, personas.alice)
    response = client.post(url("portal_reply", busy_ticket), {"body": "  "})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "reply-body") == ["The comment is empty."]


def test_a_reply_on_a_resolved_ticket_reopens_it(client, personas, make_ticket):
    ticket = make_ticket()
    resolve(ticket, personas)
    login(client, personas.alice)
    client.post(url("portal_reply", ticket), {"body": "It broke again this morning."})
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert '<span class="status status-open">open</span>' in page
    assert "changed the status from resolved to open" in page
    assert page.count("It broke again this morning.") == 1


def test_yes_it_is_fixed_closes_the_ticket(client, personas, make_ticket):
    ticket = make_ticket()
    resolve(ticket, personas)
    login(client, personas.alice)
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert "Yes, it is fixed" in page and "No, still broken" in page
    assert "The database password was renewed." in page
    response = client.post(url("portal_confirm", ticket))
    assert response.status_code == 302
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert "Thank you: the ticket is closed." in page
    assert '<span class="status status-closed">closed</span>' in page
    assert "Yes, it is fixed" not in page
    assert "This ticket is closed." in page


def test_confirming_a_ticket_that_is_not_resolved_says_why(client, personas, make_ticket):
    ticket = make_ticket()
    login(client, personas.alice)
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert "Yes, it is fixed" not in page
    response = client.post(url("portal_confirm", ticket))
    assert response.status_code == 409
    assert "Only a resolved ticket can be confirmed; this one is new." in (
        response.content.decode()
    )


def test_no_still_broken_reopens_with_the_comment(client, personas, make_ticket):
    ticket = make_ticket()
    resolve(ticket, personas)
    login(client, personas.alice)
    response = client.post(url("portal_reopen", ticket), {"comment": "Same error at login."})
    assert response.status_code == 302
    page = client.get(url("portal_ticket", ticket)).content.decode()
    assert '<span class="status status-open">open</span>' in page
    assert "Same error at login." in page
    assert "reopened the ticket: it is not fixed" in page


def test_reopening_needs_a_comment(client, personas, make_ticket):
    ticket = make_ticket()
    resolve(ticket, personas)
    login(client, personas.alice)
    response = client.post(url("portal_reopen", ticket), {"comment": ""})
    assert response.status_code == 400
    assert field_errors(response.content.decode(), "reopen-comment") == [
        "Say what is still wrong to reopen the ticket."
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"


def test_reopening_after_the_window_shows_why_it_is_refused(
    client, personas, make_ticket, settings
):
    settings.OSIT_REOPEN_WINDOW_DAYS = 14
    ticket = make_ticket()
    resolve(ticket, personas, now=timezone.now() - timedelta(days=15))
    login(client, personas.alice)
    response = client.post(url("portal_reopen", ticket), {"comment": "Still broken."})
    assert response.status_code == 409
    assert field_errors(response.content.decode(), "reopen-comment") == [
        "The 14-day window to reopen this ticket has passed; please open a new ticket."
    ]
    assert Ticket.objects.get(pk=ticket.pk).status == "resolved"
