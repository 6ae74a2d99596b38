"""Mail in through the pipeline: new tickets, threading, participants, robots, quarantine."""

from __future__ import annotations

import pytest

from osit.mail import pipeline
from osit.mail.models import InboundMessage, InboundStatus, OutboundMail
from osit.tickets import actions
from osit.tickets.models import Ticket, TicketLink

pytestmark = pytest.mark.django_db


def mail(
    sender="alice@osit.test",
    to="appdev@osit.test",
    subject="Payroll is down",
    body="Since 9:00 every login fails.",
    extra="",
    message_id="m1@client.test",
):
    return (
        f"From: Alice Test <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()


def ingest(raw, **kw):
    return pipeline.ingest(raw, source="mailgate", **kw)


def test_a_mail_to_a_service_opens_a_ticket_and_acknowledges_it(personas):
    msg = ingest(mail())
    assert msg.status == InboundStatus.APPLIED
    ticket = msg.ticket
    assert (ticket.subject, ticket.service, ticket.requester, ticket.channel) == (
        "Payroll is down",
        personas.appdev,
        personas.alice,
        "email",
    )
    assert ticket.description == "Since 9:00 every login fails."
    ack = OutboundMail.objects.get(event="acknowledgement")
    assert ack.to == ["alice@osit.test"]
    assert ack.subject.startswith(f"[OSIT #{ticket.pk}]")
    assert ack.headers["Auto-Submitted"] == "auto-replied"
    assert ack.headers["In-Reply-To"] == "<m1@client.test>"


def test_a_reply_with_the_tag_lands_on_the_ticket(personas, make_ticket):
    ticket = make_ticket()
    msg = ingest(
        mail(
            subject=f"Re: [OSIT #{ticket.pk}] Error",
            body="Still broken",
            message_id="m2@client.test",
        )
    )
    assert (msg.status, msg.ticket_id) == (InboundStatus.APPLIED, ticket.pk)
    assert ticket.comments.get(body="Still broken").visibility == "public"


def test_a_reply_threads_by_in_reply_to(personas, make_ticket):
    first = ingest(mail())
    ack = OutboundMail.objects.get(event="acknowledgement")
    reply = ingest(
        mail(
            subject="Re: Payroll",
            body="More info",
            message_id="m3@client.test",
            extra=f"In-Reply-To: <{ack.message_id}>\r\n",
        )
    )
    assert reply.ticket_id == first.ticket_id


def test_a_non_participant_with_a_tag_opens_a_new_linked_ticket(personas, make_ticket):
    ticket = make_ticket()
    msg = ingest(
        mail(
            sender="bob@osit.test",
            subject=f"[OSIT #{ticket.pk}] me too",
            message_id="m4@client.test",
        )
    )
    assert msg.ticket_id != ticket.pk
    assert msg.ticket.requester == personas.bob
    assert msg.ticket.subject == "me too"
    assert TicketLink.objects.filter(source=msg.ticket, target=ticket).exists()
    assert not ticket.comments.exists()


def test_the_same_message_id_is_applied_once(personas):
    ingest(mail())
    again = ingest(mail())
    assert again.status == InboundStatus.DUPLICATE
    assert Ticket.objects.count() == 1


def test_a_reply_to_a_resolved_ticket_reopens_it(personas, make_ticket):
    ticket = make_ticket()
    actions.change_status(
        ticket, actor=personas.tom, channel="web", status="resolved", comment="Fixed"
    )
    ingest(
        mail(
            subject=f"Re: [OSIT #{ticket.pk}]", body="No, still broken", message_id="m5@client.test"
        )
    )
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_an_auto_reply_is_recorded_not_answered_and_reopens_nothing(personas, make_ticket):
    ticket = make_ticket()
    actions.change_status(
        ticket, actor=personas.tom, channel="web", status="resolved", comment="Fixed"
    )
    before = OutboundMail.objects.count()
    msg = ingest(
        mail(
            subject=f"Out of Office Re: [OSIT #{ticket.pk}]",
            body="Back on Monday",
            extra="Auto-Submitted: auto-replied\r\n",
            message_id="m6@client.test",
        )
    )
    assert (msg.status, msg.robot) == (InboundStatus.RECORDED, "auto_reply")
    ticket = Ticket.objects.get(pk=ticket.pk)
    assert ticket.status == "resolved"
    note = ticket.comments.order_by("-id").first()
    assert note.visibility == "internal" and "not answered" in note.body
    assert OutboundMail.objects.count() == before


def test_a_loop_from_our_own_address_is_never_answered(personas, settings):
    msg = ingest(mail(sender=settings.OSIT_MAIL_FROM))
    assert (msg.status, msg.robot) == (InboundStatus.RECORDED, "loop")
    assert not Ticket.objects.exists() and not OutboundMail.objects.exists()


def test_unknown_senders_become_requesters_or_are_refused_once(personas):
    created = ingest(mail(sender="zoe@elsewhere.test", message_id="z1@x"))
    assert created.ticket.requester.email == "zoe@elsewhere.test"
    personas.network.accept_unknown_senders = False
    personas.network.save()
    refused = ingest(mail(sender="yann@elsewhere.test", to="network@osit.test", message_id="y1@x"))
    again = ingest(mail(sender="yann@elsewhere.test", to="network@osit.test", message_id="y2@x"))
    assert refused.status == again.status == InboundStatus.REFUSED
    assert OutboundMail.objects.filter(event="refused").count() == 1


def test_a_message_that_fails_is_quarantined_then_retried(personas, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(pipeline.actions, "create_ticket", boom)
    msg = ingest(mail())
    assert msg.status == InboundStatus.QUARANTINED and "disk full" in msg.error
    assert bytes(InboundMessage.objects.get(pk=msg.pk).raw) == mail()
    monkeypatch.undo()
    again = pipeline.retry(msg.pk)
    assert again.status == InboundStatus.APPLIED and again.ticket is not None


def test_the_comment_address_adds_an_internal_note_for_agents(personas, make_ticket):
    personas.appdev.comment_email = "appdev-comment@osit.test"
    personas.appdev.save()
    ticket = make_ticket()
    msg = ingest(
        mail(
            sender="tom@osit.test",
            to="appdev-comment@osit.test",
            subject=f"[OSIT #{ticket.pk}]",
            body="Checked the DB",
            message_id="t1@x",
        )
    )
    assert msg.comment.visibility == "internal"
