"""Mail out: who is told, what they see, and delivery through a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from osit.mail import outbox
from osit.mail.models import MailTemplate, OutboundMail
from osit.tickets import actions

pytestmark = pytest.mark.django_db


def queued(event):
    return list(OutboundMail.objects.filter(event=event).order_by("id"))


def test_creation_acknowledges_with_the_number(personas, make_ticket):
    ticket = make_ticket()
    [ack] = queued("acknowledgement")
    assert ack.to == ["alice@osit.test"]
    assert ack.subject == f"[OSIT #{ticket.pk}] Your request is registered: {ticket.subject}"
    assert f"#{ticket.pk}" in ack.text
    assert ack.reply_to == "appdev@osit.test"


def test_public_replies_go_to_requester_and_cc_internal_notes_only_to_owner_and_admincc(
    personas, make_ticket
):
    ticket = make_ticket()
    actions.take(ticket, actor=personas.tom, channel="web")
    actions.add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    actions.add_watcher(
        ticket, actor=personas.tom, channel="web", user=personas.max, kind="admincc"
    )
    actions.add_comment(
        ticket,
        actor=personas.olivia,
        channel="web",
        body="SECRET: db password",
        visibility="internal",
    )
    actions.add_comment(ticket, actor=personas.tom, channel="web", body="We are on it.")
    [note] = queued("internal_note")
    assert set(note.to) == {"tom@osit.test", "max@osit.test"} and not note.cc
    [reply] = queued("public_reply")
    assert reply.to == ["alice@osit.test"]
    assert set(reply.cc) == {"bob@osit.test", "max@osit.test"}  # not tom: the actor
    # The internal note's text is in no mail a requester or a Cc receives.
    for mail in OutboundMail.objects.all():
        if {"alice@osit.test", "bob@osit.test"} & set(mail.to + mail.cc):
            assert "SECRET" not in mail.text and "SECRET" not in mail.html


def test_resolution_asks_the_requester_to_confirm(personas, make_ticket):
    ticket = make_ticket()
    actions.change_status(
        ticket, actor=personas.tom, channel="web", status="resolved", comment="Pool restarted."
    )
    [mail] = queued("resolved")
    assert mail.to == ["alice@osit.test"]
    assert "Pool restarted." in mail.text and "reply to this message" in mail.text


def test_french_requesters_get_french_mail(personas, make_ticket):
    personas.alice.language = "fr"
    personas.alice.save()
    make_ticket()
    [ack] = queued("acknowledgement")
    assert "Votre demande est enregistrée" in ack.subject


def test_an_admin_template_replaces_the_shipped_one(personas, make_ticket):
    MailTemplate.objects.create(
        event="acknowledgement",
        language="en",
        subject="Got it: {{ subject }}",
        text="Number {{ number }}.",
    )
    ticket = make_ticket()
    [ack] = queued("acknowledgement")
    assert ack.subject == f"[OSIT #{ticket.pk}] Got it: {ticket.subject}"
    assert ack.text == f"Number {ticket.pk}."


def test_acknowledgements_are_rate_limited_per_address(personas, make_ticket, settings):
    settings.OSIT_MAIL_AUTOREPLY_LIMIT = 2
    for _ in range(4):
        make_ticket()
    assert len(queued("acknowledgement")) == 2


def test_a_requester_is_not_limited_by_acknowledgements_to_a_longer_address(
    personas, make_ticket, settings
):
    from osit.directory.actions import create_user
    from osit.directory.choices import Role

    settings.OSIT_MAIL_AUTOREPLY_LIMIT = 2
    jimalice = create_user(
        actor=None,
        channel="cli",
        username="jimalice",
        email="jimalice@osit.test",
        roles=[Role.REQUESTER],
    )
    for _ in range(3):
        make_ticket(requester=jimalice)
    make_ticket()  # alice@osit.test: her first acknowledgement this hour
    assert [m.to for m in queued("acknowledgement")] == [["jimalice@osit.test"]] * 2 + [
        ["alice@osit.test"]
    ]


def test_delivery_with_text_html_and_threading_headers(personas, make_ticket, smtp_sink):
    ticket = make_ticket()
    actions.add_comment(ticket, actor=personas.tom, channel="web", body="Fixed <b>now</b>")
    assert outbox.deliver() == 2
    reply = smtp_sink.messages[-1]
    assert reply["Subject"].startswith(f"[OSIT #{ticket.pk}]")
    assert reply["References"] == f"<ticket-{ticket.pk}@localhost>"
    assert reply["In-Reply-To"] == f"<ticket-{ticket.pk}@localhost>"
    assert reply["Reply-To"] == "appdev@osit.test"
    assert reply["X-Loop"] and reply["Auto-Submitted"] == "auto-generated"
    text = reply.get_body(("plain",)).get_content()
    html = reply.get_body(("html",)).get_content()
    assert "Fixed <b>now</b>" in text
    assert "Fixed &lt;b&gt;now&lt;/b&gt;" in html
    assert OutboundMail.objects.filter(status="sent").count() == 2


def test_a_failing_smtp_server_is_retried_with_back_off_then_delivers(
    personas, make_ticket, settings, smtp_sink
):
    port = smtp_sink and settings.OSIT_SMTP_PORT
    settings.OSIT_SMTP_PORT = 1  # nothing listens there
    make_ticket()
    assert outbox.deliver() == 0
    mail = OutboundMail.objects.get()
    assert (mail.status, mail.attempts) == ("pending", 1)
    assert "cannot connect" in mail.last_error
    assert mail.next_attempt_at > timezone.now()
    assert outbox.deliver() == 0  # not due yet: back-off
    settings.OSIT_SMTP_PORT = port
    OutboundMail.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert outbox.deliver() == 1
    assert OutboundMail.objects.get().status == "sent"
    assert len(smtp_sink.messages) == 1


# --- the acknowledgement's cost (issue 5) -----------------------------------------------------


def _ack(to, *, minutes_ago=0):
    now = timezone.now() - timedelta(minutes=minutes_ago)
    return OutboundMail.objects.create(
        created_at=now,
        event="acknowledgement",
        to=to,
        subject="s",
        text="t",
        message_id=f"m-{OutboundMail.objects.count()}-{to}@test",
        next_attempt_at=now,
    )


def test_the_recent_acknowledgements_query_is_compiled_once_for_this_database(db):
    from django.db import DEFAULT_DB_ALIAS

    sql = outbox._recent_acknowledgements_sql(DEFAULT_DB_ALIAS, 3)
    assert sql is not None  # the hand-run SQL is the one in use, not the fallback
    assert "LIMIT 3" in sql
    assert outbox._recent_acknowledgements_sql(DEFAULT_DB_ALIAS, 3) is sql


@pytest.mark.parametrize(
    ("address", "sent_to", "limited"),
    [
        ("alice@osit.test", ["alice@osit.test"] * 2, True),
        ("alice@osit.test", ["ALICE@Osit.Test"] * 2, True),  # addresses compare case-blind
        ("alice@osit.test", ["alice@osit.test", "bob@osit.test"], False),
        ("a_b@osit.test", ["axb@osit.test"] * 2, False),  # LIKE's wildcards are escaped
        ("a%b@osit.test", ["aXXb@osit.test"] * 2, False),
        ("a_b@osit.test", ["a_b@osit.test"] * 2, True),
    ],
)
def test_the_rate_limit_counts_as_the_orm_would(db, settings, address, sent_to, limited):
    settings.OSIT_MAIL_AUTOREPLY_LIMIT = 2
    for to in sent_to:
        _ack([to])
    _ack([address], minutes_ago=61)  # older than the hour: not counted
    assert outbox._rate_limited(address) is limited
    orm = len(outbox._recent_acknowledgements(timezone.now() - timedelta(hours=1), address, 2))
    assert (orm >= 2) is limited


def test_an_admin_template_for_another_language_or_event_is_not_used(personas, make_ticket):
    MailTemplate.objects.create(event="acknowledgement", language="fr", subject="FR", text="fr")
    MailTemplate.objects.create(event="public_reply", language="en", subject="PR", text="pr")
    make_ticket()
    [ack] = queued("acknowledgement")
    assert "Your request is registered" in ack.subject


def test_an_admin_template_with_an_html_part(personas, make_ticket):
    MailTemplate.objects.create(
        event="acknowledgement",
        language="en",
        subject="Got it",
        text="Number {{ number }}.",
        html="<p>Number {{ number }} for {{ subject }}</p>",
    )
    ticket = make_ticket(subject="<b>bold</b>")
    [ack] = queued("acknowledgement")
    assert ack.html == f"<p>Number {ticket.pk} for &lt;b&gt;bold&lt;/b&gt;</p>"
