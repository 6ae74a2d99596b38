"""The agent ticket page: what it shows, each action's panel, errors next to the field, queries."""

from __future__ import annotations

import html
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from osit.tickets import actions
from osit.tickets.models import ActivityType, Ticket, Watcher
from osit.tickets.timeline import build_timeline
from tests.web.conftest import (
    assert_max_queries,
    assert_same_query_count,
    count_queries,
    format_queries,
    login,
)

pytestmark = pytest.mark.django_db

# The page reads the session, the user, roles, services, linked tickets, the ticket, watchers,
# events, comments, attachments, time entries, the names events mention, each panel's choices,
# the links both ways and the tickets merged into this one.
MAX_PAGE_QUERIES = 22


def url(name, ticket, *args):
    return reverse(f"web:{name}", args=[ticket.pk, *args])


def page(client, ticket) -> str:
    response = client.get(url("ticket", ticket))
    assert response.status_code == 200, response.content[:300]
    return text_of(response)


def text_of(response) -> str:
    """The page's text with tags removed and whitespace collapsed, for readable assertions."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", body)).split())


def field_errors(response, field_id: str) -> str:
    """The error text shown in the block of the field whose input has ``id=field_id``."""
    body = response.content.decode()
    blocks = re.findall(r'<div class="field field-error">(.*?)</ul>', body, flags=re.S)
    for block in blocks:
        if f'id="{field_id}' in block or f'for="{field_id}"' in block:
            return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", block)).split())
    return ""


@pytest.fixture
def ticket(make_ticket):
    return make_ticket()


# --- access -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, ticket):
    response = client.get(url("ticket", ticket))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_the_requester_is_sent_to_the_portal_page(client, personas, ticket):
    login(client, personas.alice)
    response = client.get(url("ticket", ticket))
    assert response.status_code == 302
    assert response["Location"] == reverse("web:portal_ticket", args=[ticket.pk])


@pytest.mark.parametrize("name", ["bob", "nina"])
def test_an_invisible_ticket_looks_like_a_missing_one(client, personas, ticket, name):
    login(client, personas.by_role(name))
    hidden = client.get(url("ticket", ticket))
    missing = client.get(reverse("web:ticket", args=[ticket.pk + 1000]))
    assert hidden.status_code == missing.status_code == 404
    assert f"Ticket #{ticket.pk} does not exist." in text_of(hidden)
    assert f"Ticket #{ticket.pk + 1000} does not exist." in text_of(missing)
    assert ticket.subject not in text_of(hidden)


def test_a_requester_posting_to_an_agent_action_is_refused(client, personas, ticket):
    login(client, personas.alice)
    response = client.post(url("ticket_reply", ticket), {"body": "Hi", "visibility": "public"})
    assert response.status_code == 403
    assert ticket.comments.count() == 0


# --- what the page shows ----------------------------------------------------------------------


def test_the_page_shows_the_facts(client, personas, make_ticket):
    p = personas
    t = make_ticket(subject="Payroll crashes at login")
    actions.take(t, actor=p.tom, channel="web")
    actions.set_tags(t, actor=p.tom, channel="web", tags=["login", "urgent"])
    actions.add_watcher(t, actor=p.tom, channel="web", user=p.bob, kind="cc")
    actions.add_watcher(t, actor=p.tom, channel="web", user=p.nina, kind="admincc")
    actions.add_comment(
        t,
        actor=p.tom,
        channel="web",
        body="Looked at logs",
        visibility="internal",
        time_spent_minutes=95,
    )
    actions.set_priority(t, actor=p.tom, channel="web", priority=1, reason="The CEO is waiting")
    login(client, p.tom)
    text = page(client, t)
    for expected in (
        f"#{t.pk} Payroll crashes at login",
        "The payroll application says 'database unavailable'.",
        "Status open",
        "Priority 1 overridden: The CEO is waiting",
        "Severity major",
        "Criticality blocking",
        "Service Application developers",
        "Application Payroll",
        "Requester Alice Test alice@osit.test +33123456789",
        "Organisation Acme",
        "Owner Tom Test",
        "Channel phone",
        "Time spent 1 h 35 min",
        "Tags login urgent",
        "Cc Bob Test",
        "AdminCc Nina Test",
    ):
        assert expected in text


def test_the_timeline_tells_the_whole_story_oldest_first(client, personas, ticket):
    p = personas
    design = ActivityType.objects.create(slug="diagnosis", name="Diagnosis")
    actions.add_comment(
        ticket,
        actor=p.tom,
        channel="web",
        body="Checked the server logs.",
        visibility="internal",
        time_spent_minutes=20,
        activity=design,
    )
    actions.add_comment(
        ticket,
        actor=p.tom,
        channel="web",
        body="We are on it.",
        uploads=[actions.Upload("trace.log", b"stack trace")],
    )
    actions.change_status(
        ticket,
        actor=p.tom,
        channel="web",
        status="pending_customer",
        comment="Waiting for the exact error text.",
    )
    actions.classify(ticket, actor=p.tom, channel="web", severity="minor")
    actions.add_watcher(ticket, actor=p.tom, channel="web", user=p.bob, kind="cc")
    actions.take(ticket, actor=p.tom, channel="web")
    actions.reroute(
        ticket,
        actor=p.tom,
        channel="web",
        service=p.network,
        comment="Database unreachable: the firewall drops port 5432.",
    )
    login(client, p.max)
    text = page(client, ticket)
    story = [
        "Olivia Test created the ticket in Application developers (application: Payroll)",
        "Tom Test added an internal note",
        "Checked the server logs.",
        "Tom Test reported an intervention of 20 min",
        "Diagnosis · billable",
        "Tom Test replied",
        "We are on it.",
        "Tom Test attached a file",
        "trace.log",
        "Tom Test changed the status from new to pending customer",
        "Waiting for the exact error text.",
        "Tom Test changed the severity from major to minor",
        "Tom Test added Bob Test as Cc",
        "Tom Test took the ticket",
        "Tom Test re-routed the ticket from Application developers to Network",
        "Owner Tom Test removed.",
        "Database unreachable: the firewall drops port 5432.",
    ]
    positions = [text.find(line) for line in story]
    assert -1 not in positions, [s for s, pos in zip(story, positions, strict=True) if pos < 0]
    assert positions == sorted(positions)


def test_readers_without_internal_access_get_no_internal_entry(personas, ticket):
    p = personas
    actions.add_comment(
        ticket,
        actor=p.tom,
        channel="web",
        body="Secret diagnosis",
        visibility="internal",
        time_spent_minutes=10,
        uploads=[actions.Upload("internal.txt", b"x")],
    )
    actions.add_comment(ticket, actor=p.tom, channel="web", body="Public answer")
    public = build_timeline(ticket, include_internal=False)
    everything = build_timeline(ticket, include_internal=True)
    bodies = [e.comment.body for e in public if e.comment]
    assert bodies == ["Public answer"]
    assert not [e for e in public if e.internal or e.time_entry or e.attachment]
    assert {"Secret diagnosis", "Public answer"} <= {
        e.comment.body for e in everything if e.comment
    }
    assert [e.attachment.filename for e in everything if e.attachment] == ["internal.txt"]


def _grow(ticket, personas, n):
    for i in range(n):
        visibility = "internal" if i % 2 else "public"
        actions.add_comment(
            ticket,
            actor=personas.tom,
            channel="web",
            body=f"Comment {i}",
            visibility=visibility,
            time_spent_minutes=5 if i % 3 == 0 else 0,
            uploads=[actions.Upload(f"f{i}.txt", b"x")] if i % 4 == 0 else [],
        )
        if i % 5 == 0:
            actions.set_tags(ticket, actor=personas.tom, channel="web", tags=[f"t{i}"])


def test_the_page_costs_the_same_queries_for_5_or_100_comments(client, personas, make_ticket):
    small, big = make_ticket(), make_ticket()
    _grow(small, personas, 5)
    _grow(big, personas, 100)
    actions.add_watcher(small, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    actions.add_watcher(big, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    login(client, personas.tom)
    page(client, small)  # warm-up: session, content types
    with count_queries() as first:
        text = page(client, small)
    assert "Comment 4" in text
    with assert_max_queries(MAX_PAGE_QUERIES), count_queries() as second:
        text = page(client, big)
    assert "Comment 99" in text
    assert_same_query_count(first, second)


# --- reply ------------------------------------------------------------------------------------


def test_a_public_reply_with_time_and_file(client, personas, ticket):
    activity = ActivityType.objects.create(slug="fix", name="Fix", billable_by_default=True)
    login(client, personas.tom)
    response = client.post(
        url("ticket_reply", ticket),
        {
            "visibility": "public",
            "body": "Restarted the payroll service.",
            "time_spent_minutes": "45",
            "activity": activity.pk,
            "billable": "false",
            "work_date": "2024-03-04",
            "attachments": [SimpleUploadedFile("fix.txt", b"done", content_type="text/plain")],
        },
    )
    assert response.status_code == 302
    assert response["Location"] == url("ticket", ticket)
    text = page(client, ticket)
    assert "Your comment was added." in text
    assert "Tom Test replied" in text
    assert "Restarted the payroll service." in text
    assert "Time spent 45 min" in text
    assert "Fix · not billable" in text
    assert "fix.txt" in text
    entry = ticket.time_entries.get()
    assert (entry.minutes, entry.billable, entry.date.isoformat()) == (45, False, "2024-03-04")


def test_an_internal_note_is_marked_internal(client, personas, ticket):
    login(client, personas.olivia)
    response = client.post(
        url("ticket_reply", ticket), {"visibility": "internal", "body": "Caller was angry."}
    )
    assert response.status_code == 302
    body = client.get(url("ticket", ticket)).content.decode()
    note = re.search(r'<li class="internal"[^>]*>(.*?)</li>', body, flags=re.S)
    assert note and "Caller was angry." in note.group(1)


def test_an_empty_reply_shows_the_error_next_to_the_text(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(url("ticket_reply", ticket), {"visibility": "public", "body": "  "})
    assert response.status_code == 400
    assert "The comment is empty." in field_errors(response, "reply-body")
    assert ticket.comments.count() == 0


def test_operators_do_not_get_the_intervention_fields(client, personas, ticket):
    login(client, personas.olivia)
    body = client.get(url("ticket", ticket)).content.decode()
    assert 'name="body"' in body
    assert 'name="time_spent_minutes"' not in body


# --- status -----------------------------------------------------------------------------------


def test_status_change_needs_an_observation_comment(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(
        url("ticket_status", ticket), {"status": "resolved", "comment": "", "visibility": "public"}
    )
    assert response.status_code == 400
    assert "An observation comment is required to change the status." in field_errors(
        response, "status-comment"
    )
    assert 'id="panel-status" open' in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == "new"


def test_a_forbidden_transition_names_the_allowed_statuses(client, personas, ticket):
    actions.change_status(
        ticket, actor=personas.tom, channel="web", status="closed", comment="Done."
    )
    login(client, personas.tom)
    response = client.post(
        url("ticket_status", ticket),
        {"status": "resolved", "comment": "Try", "visibility": "public"},
    )
    assert response.status_code == 409
    assert "A closed ticket cannot become resolved; allowed: open." in field_errors(
        response, "status-status"
    )


def test_status_change_and_the_offered_statuses(client, personas, ticket):
    login(client, personas.tom)
    body = client.get(url("ticket_panel", ticket, "status")).content.decode()
    menu = re.search(r'<select name="status"[^>]*>(.*?)</select>', body, flags=re.S).group(1)
    assert re.findall(r'value="([a-z_]+)"', menu) == [
        "open",
        "pending_customer",
        "pending_decision",
        "resolved",
        "closed",
    ]
    response = client.post(
        url("ticket_status", ticket),
        {"status": "resolved", "comment": "Restarted.", "visibility": "public"},
    )
    assert response.status_code == 302
    text = page(client, ticket)
    assert "Status resolved" in text
    assert "changed the status from new to resolved" in text
    assert "Restarted." in text


def test_an_operator_gets_no_status_panel_and_403_when_posting(client, personas, ticket):
    login(client, personas.olivia)
    assert 'id="panel-status"' not in client.get(url("ticket", ticket)).content.decode()
    response = client.post(
        url("ticket_status", ticket), {"status": "closed", "comment": "Bye", "visibility": "public"}
    )
    assert response.status_code == 403
    assert "Only technicians and managers may close a ticket." in text_of(response)
    ticket.refresh_from_db()
    assert ticket.status == "new"


# --- re-route, take, assign -------------------------------------------------------------------


def test_reroute_needs_a_justification(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(
        url("ticket_reroute", ticket), {"service": personas.network.pk, "comment": " "}
    )
    assert response.status_code == 400
    assert "A justification is required to re-route a ticket." in field_errors(
        response, "reroute-comment"
    )
    ticket.refresh_from_db()
    assert ticket.service == personas.appdev


def test_reroute_moves_the_ticket_and_the_justification_travels(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(
        url("ticket_reroute", ticket),
        {"service": personas.network.pk, "comment": "Firewall issue."},
    )
    # Tom no longer sees the ticket: he goes home rather than to a 404.
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    login(client, personas.nina)
    text = page(client, ticket)
    assert "Service Network" in text
    assert "re-routed the ticket from Application developers to Network" in text
    assert "Firewall issue." in text


def test_take_and_assign(client, personas, ticket):
    p = personas
    p.appdev.members.add(p.max)
    login(client, p.tom)
    assert client.post(url("ticket_take", ticket)).status_code == 302
    text = page(client, ticket)
    assert "Owner Tom Test" in text
    assert "Tom Test took the ticket" in text
    response = client.post(url("ticket_assign", ticket), {"owner": p.max.pk})
    assert response.status_code == 302
    assert "gave the ticket to Max Test" in page(client, ticket)
    response = client.post(url("ticket_assign", ticket), {"owner": ""})
    assert response.status_code == 302
    text = page(client, ticket)
    assert "Owner nobody" in text
    assert "removed the owner (was Max Test)" in text


def test_assign_offers_only_members_of_the_service(client, personas, ticket):
    login(client, personas.tom)
    body = client.get(url("ticket_panel", ticket, "assign")).content.decode()
    menu = re.search(r'<select name="owner"[^>]*>(.*?)</select>', body, flags=re.S).group(1)
    assert "Tom Test" in menu and "Nina Test" not in menu
    response = client.post(url("ticket_assign", ticket), {"owner": personas.nina.pk})
    assert response.status_code == 400
    assert field_errors(response, "assign-owner")
    assert Ticket.objects.get(pk=ticket.pk).owner is None


def test_operators_cannot_take(client, personas, ticket):
    login(client, personas.olivia)
    assert "/take/" not in client.get(url("ticket", ticket)).content.decode()
    response = client.post(url("ticket_take", ticket))
    assert response.status_code == 403
    assert "Only a technician of this ticket's service may take it." in text_of(response)


# --- classification and priority --------------------------------------------------------------


def test_classify_recomputes_the_priority(client, personas, ticket):
    login(client, personas.olivia)
    response = client.post(
        url("ticket_classify", ticket),
        {"severity": "minor", "criticality": "non_blocking", "application": personas.router.pk},
    )
    assert response.status_code == 302
    text = page(client, ticket)
    assert "changed the severity from major to minor" in text
    assert "changed the criticality from blocking to non-blocking" in text
    assert "changed the application from Payroll to Core router" in text
    ticket.refresh_from_db()
    assert "changed the priority from 1 to" in text and ticket.priority > 1


def test_priority_override_needs_a_reason_and_can_be_reset(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(url("ticket_priority", ticket), {"priority": "5", "reason": ""})
    assert response.status_code == 400
    assert "A reason is required to override the priority." in field_errors(
        response, "priority-reason"
    )
    response = client.post(
        url("ticket_priority", ticket), {"priority": "5", "reason": "Workaround in place"}
    )
    assert response.status_code == 302
    text = page(client, ticket)
    assert "Priority 5 overridden: Workaround in place" in text
    response = client.post(url("ticket_priority", ticket), {"reset": "on"})
    assert response.status_code == 302
    text = page(client, ticket)
    assert "Priority 1 Severity" in text
    assert "reset the priority to the computed value 1 (was 5)" in text


# --- enhancement decision ---------------------------------------------------------------------


def test_a_manager_accepts_an_enhancement_request(client, personas, make_ticket):
    t = make_ticket(criticality="enhancement")
    login(client, personas.tom)
    assert 'id="panel-decide"' not in client.get(url("ticket", t)).content.decode()
    response = client.post(url("ticket_decide", t), {"decision": "accept", "comment": "Yes"})
    assert response.status_code == 403
    login(client, personas.max)
    response = client.post(url("ticket_decide", t), {"decision": "accept", "comment": ""})
    assert response.status_code == 400
    assert "A comment is required to accept or reject a request." in field_errors(
        response, "decide-comment"
    )
    response = client.post(
        url("ticket_decide", t), {"decision": "accept", "comment": "Approved in the review."}
    )
    assert response.status_code == 302
    text = page(client, t)
    assert "Status open" in text
    assert "accepted the enhancement request" in text
    assert "Approved in the review." in text


def test_a_manager_rejects_an_enhancement_request(client, personas, make_ticket):
    t = make_ticket(criticality="enhancement")
    login(client, personas.max)
    response = client.post(
        url("ticket_decide", t), {"decision": "reject", "comment": "Not this year."}
    )
    assert response.status_code == 302
    assert "Status closed" in page(client, t)


# --- watchers and attachments -----------------------------------------------------------------


def test_add_and_remove_watchers(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(url("ticket_watchers", ticket), {"user": "bob@osit.test", "kind": "cc"})
    assert response.status_code == 302
    assert "Cc Bob Test" in page(client, ticket)
    response = client.post(
        url("ticket_watchers", ticket), {"user": "bob", "kind": "cc", "remove": "on"}
    )
    assert response.status_code == 302
    text = page(client, ticket)
    assert "removed Bob Test from Cc" in text
    assert not Watcher.objects.filter(ticket=ticket).exists()


def test_watcher_errors_show_next_to_the_user_field(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(url("ticket_watchers", ticket), {"user": "nobody", "kind": "cc"})
    assert response.status_code == 400
    assert "There is no user 'nobody'." in field_errors(response, "watchers-user")
    response = client.post(url("ticket_watchers", ticket), {"user": "bob", "kind": "admincc"})
    assert response.status_code == 400
    assert "only agents can be AdminCc" in field_errors(response, "watchers-user")


def test_attach_files(client, personas, ticket):
    login(client, personas.tom)
    files = [
        SimpleUploadedFile("a.png", b"\x89PNG", content_type="image/png"),
        SimpleUploadedFile("b.csv", b"1,2", content_type="text/csv"),
    ]
    response = client.post(url("ticket_attach", ticket), {"attachments": files})
    assert response.status_code == 302
    text = page(client, ticket)
    assert "a.png" in text and "b.csv" in text
    assert ticket.attachments.count() == 2


def test_too_large_a_file_is_refused_next_to_the_field(client, personas, ticket, settings):
    settings.OSIT_MAX_ATTACHMENT_BYTES = 1024 * 1024
    login(client, personas.tom)
    big = SimpleUploadedFile("dump.bin", b"0" * (1024 * 1024 + 1))
    response = client.post(url("ticket_attach", ticket), {"attachments": [big]})
    assert response.status_code == 400
    assert "dump.bin is larger than the 1 MB limit for attachments." in field_errors(
        response, "attach-attachments"
    )
    assert ticket.attachments.count() == 0


def test_attach_without_a_file(client, personas, ticket):
    login(client, personas.tom)
    response = client.post(url("ticket_attach", ticket), {})
    assert response.status_code == 400
    assert "Choose a file to attach." in field_errors(response, "attach-attachments")


def test_a_requester_reply_that_reopens_shows_once_on_the_agent_page(client, personas, make_ticket):
    from osit.tickets.actions import add_comment, change_status

    ticket = make_ticket()
    change_status(
        ticket, actor=personas.tom, channel="web", status="resolved", comment="Pool restarted."
    )
    add_comment(
        ticket,
        actor=personas.alice,
        channel="web",
        body="Still broken after lunch, unique-text-42.",
    )
    client.force_login(personas.tom)
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert page.count("unique-text-42") == 1


def test_the_page_costs_the_same_queries_whatever_its_history_names(client, personas, make_ticket):
    # The names of the people, services and applications events mention come from the ticket
    # itself when it has them (its requester, owner, service, application: no query), and the
    # others in one query whether the history mentions one or many of them.
    plain, busy, busier = make_ticket(), make_ticket(), make_ticket()
    for ticket in (plain, busy, busier):
        actions.assign(ticket, actor=personas.tom, channel="web", owner=personas.tom)
    actions.add_watcher(busy, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    for user in (personas.bob, personas.nina, personas.olivia):
        actions.add_watcher(busier, actor=personas.tom, channel="web", user=user, kind="cc")
    actions.classify(busier, actor=personas.tom, channel="web", application=personas.router)
    actions.classify(busier, actor=personas.tom, channel="web", application=personas.payroll)
    login(client, personas.max)
    page(client, plain)
    with count_queries() as first:
        text = page(client, plain)
    assert personas.tom.display_name in text and personas.payroll.name in text
    with count_queries() as second:
        text = page(client, busy)
    assert personas.bob.display_name in text
    with count_queries() as third:
        text = page(client, busier)
    assert personas.router.name in text and personas.olivia.display_name in text
    assert len(second) == len(first) + 1, format_queries(second)
    assert_same_query_count(second, third)


# --- panels loaded when opened ------------------------------------------------------------------


def test_closed_panels_load_their_form_when_opened(client, personas, ticket):
    login(client, personas.tom)
    body = client.get(url("ticket", ticket)).content.decode()
    # The page holds each panel's summary and where to fetch its form, not the form.
    assert 'id="panel-reroute"' in body and 'name="service"' not in body
    fetch = url("ticket_panel", ticket, "reroute")
    assert f'hx-get="{fetch}"' in body
    assert 'hx-trigger="toggle from:closest details once"' in body
    assert f'href="{url("ticket", ticket)}?panel=reroute#panel-reroute"' in body  # no JavaScript
    fragment = client.get(fetch)
    assert fragment.status_code == 200
    html = fragment.content.decode()
    assert "<html" not in html and f'action="{url("ticket_reroute", ticket)}"' in html
    assert 'name="service"' in html and personas.network.name in html
    # The reply form stays in the page.
    assert 'name="body"' in body


def test_without_javascript_a_panel_opens_in_the_page(client, personas, ticket):
    login(client, personas.tom)
    text = client.get(url("ticket", ticket), {"panel": "classify"}).content.decode()
    assert 'id="panel-classify" open' in text and 'name="application"' in text
    # Anything else asked for is ignored.
    other = client.get(url("ticket", ticket), {"panel": "nonsense"}).content.decode()
    assert " open" not in other.split('id="panel-classify"')[1][:10]


def test_a_panel_the_user_may_not_use_is_not_found(client, personas, ticket):
    from osit.web.views.ticket import LAZY_PANELS

    # The operator may use some panels of this ticket and not others: each panel's address
    # answers exactly when the page offers that panel.
    login(client, personas.olivia)
    offered = client.get(url("ticket", ticket)).content.decode()
    answers = {n: client.get(url("ticket_panel", ticket, n)).status_code for n in LAZY_PANELS}
    assert answers == {n: 200 if f'id="panel-{n}"' in offered else 404 for n in LAZY_PANELS}
    assert 200 in answers.values() and 404 in answers.values()
    for name in ("nonsense", "reply", "decide"):  # not panels loaded on their own
        assert client.get(url("ticket_panel", ticket, name)).status_code == 404
    login(client, personas.alice)  # the requester: sent to her portal page
    response = client.get(url("ticket_panel", ticket, "status"))
    assert response.status_code == 302 and "/portal/" in response["Location"]


@pytest.mark.parametrize("who", ["tom", "olivia"])
def test_the_page_reads_the_session_its_ticket_and_the_rest_in_one_round_trip(
    client, personas, make_ticket, round_trips, who
):
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("round trips are PostgreSQL's (SQLite runs in the process)")
    ticket = make_ticket(subject="One trip")
    actions.add_comment(
        ticket, actor=personas.tom, channel="web", body="Internal look", visibility="internal"
    )
    login(client, getattr(personas, who))
    client.get(url("ticket", ticket))
    round_trips.clear()
    with count_queries() as ctx:
        shown = page(client, ticket)
    assert "Internal look" in shown
    # The visitor's session, the ticket, its history and the rest, sent together before the
    # visitor is known. A technician's reads are the ones guessed; an operator (who logs no
    # time) leaves the activity menu's read unused, and reads nothing more.
    assert round_trips == ["together"]
    assert len(ctx) == 9, format_queries(ctx)
    markup = client.get(url("ticket", ticket)).content.decode()
    assert ('name="activity"' in markup) == (who == "tom")


def test_a_visitor_without_a_session_is_sent_to_log_in_reading_nothing(client, make_ticket):
    ticket = make_ticket(subject="Nobody's")
    with count_queries() as ctx:
        response = client.get(url("ticket", ticket))
    assert response.status_code == 302 and "/login/" in response["Location"]
    assert len(ctx) == 0, format_queries(ctx)


def test_a_requester_is_sent_to_the_portal_whatever_was_read_ahead(client, personas, make_ticket):
    ticket = make_ticket(subject="Mine")
    actions.add_comment(
        ticket, actor=personas.tom, channel="web", body="Agents only", visibility="internal"
    )
    login(client, personas.alice)
    response = client.get(url("ticket", ticket))
    assert response.status_code == 302
    assert response["Location"] == f"/portal/tickets/{ticket.pk}/"
    shown = client.get(response["Location"]).content.decode()
    assert "Mine" in shown and "Agents only" not in shown


def test_what_is_read_ahead_of_an_invisible_ticket_is_not_shown(client, personas, make_ticket):
    ticket = make_ticket(subject="Secret", service=personas.network, application=personas.router)
    actions.add_comment(
        ticket, actor=personas.nina, channel="web", body="Network only", visibility="internal"
    )
    login(client, personas.tom)  # a technician of another service
    response = client.get(url("ticket", ticket))
    assert response.status_code == 404
    assert b"Network only" not in response.content and b"Secret" not in response.content


def test_a_page_after_an_action_shows_what_the_action_did(client, personas, make_ticket):
    # Reads ahead are for GET pages only: a form sent back re-reads nothing stale.
    ticket = make_ticket(subject="Fresh")
    login(client, personas.tom)
    page(client, ticket)
    response = client.post(
        url("ticket_reply", ticket), {"visibility": "public", "time_spent_minutes": "-1"}
    )
    assert response.status_code == 400
    actions.add_comment(ticket, actor=personas.tom, channel="web", body="Written meanwhile")
    assert "Written meanwhile" in page(client, ticket)


# --- CSRF -------------------------------------------------------------------------------------


def test_the_pages_csrf_token_is_djangos_masked_secret(rf):
    from django.middleware import csrf as django_csrf

    from osit.web.context import masked_token

    request = rf.get("/")
    first = masked_token(request)  # no cookie yet: a new secret, as get_token makes
    secret = request.META["CSRF_COOKIE"]
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    second = masked_token(request)
    assert len(first) == len(second) == django_csrf.CSRF_TOKEN_LENGTH
    assert set(first + second) <= set(django_csrf.CSRF_ALLOWED_CHARS)
    assert first[: django_csrf.CSRF_SECRET_LENGTH] != second[: django_csrf.CSRF_SECRET_LENGTH]
    assert django_csrf._unmask_cipher_token(first) == secret
    assert django_csrf._unmask_cipher_token(second) == secret
    assert request.META["CSRF_COOKIE"] == secret  # the same secret for the whole visit


def test_a_reply_posted_with_the_pages_token_passes_the_csrf_check(personas, ticket):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    login(client, personas.tom)
    refused = client.post(url("ticket_reply", ticket), {"visibility": "public", "body": "Hi"})
    assert refused.status_code == 403  # no token: Django's check is on
    html_page = client.get(url("ticket", ticket)).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html_page).group(1)
    assert f'"X-CSRFToken": "{token}"' in html_page  # HTMX sends the same token
    response = client.post(
        url("ticket_reply", ticket),
        {"visibility": "public", "body": "Checked the cable.", "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302
    assert "Checked the cable." in page(client, ticket)
