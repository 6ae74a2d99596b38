"""The three ways in, end to end: osit mailgate (in-process and as a real process, including a
database that is down), the LMTP listener over a real socket, and the whole conversation."""

from __future__ import annotations

import io
import smtplib
import subprocess
import sys

import pytest

from osit.cli.main import main
from osit.mail import outbox
from osit.mail.models import InboundMessage, OutboundMail
from osit.tickets import actions
from osit.tickets.models import Ticket
from tests.live import osit_env
from tests.mail.conftest import free_port, make_mail

pytestmark = pytest.mark.django_db


def mailgate(monkeypatch, raw: bytes, *args: str) -> int:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(raw)))
    return main(["mailgate", *args])


def test_mailgate_stores_and_applies(personas, monkeypatch, capsys):
    assert mailgate(monkeypatch, make_mail(to="someone@else.test"), "--queue", "network") == 0
    ticket = Ticket.objects.get()
    assert ticket.service == personas.network
    assert capsys.readouterr().out.startswith(f"applied #{ticket.pk}")


def test_mailgate_errors(personas, monkeypatch, capsys):
    assert mailgate(monkeypatch, make_mail(), "--service", "nope") == 1
    assert "There is no service 'nope'." in capsys.readouterr().err
    assert not InboundMessage.objects.exists()


def test_mailgate_exits_75_when_the_database_is_down(tmp_path):
    env = osit_env(
        tmp_path / "data", "postgres://nobody@127.0.0.1:1/none", OSIT_SECRET_KEY="x" * 50
    )
    result = subprocess.run(
        [sys.executable, "-m", "osit", "mailgate", "--service", "network"],
        input=make_mail(),
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 75, result.stderr
    assert b"the MTA will retry" in result.stderr
    assert b"Traceback" not in result.stderr


@pytest.mark.django_db(transaction=True)
def test_lmtp_over_a_real_socket(personas):
    from osit.mail import lmtp

    port = free_port()
    controller = lmtp.start("127.0.0.1", port)
    try:
        with smtplib.LMTP("127.0.0.1", port) as client:
            refused = client.sendmail(
                "alice@osit.test", ["appdev@osit.test"], make_mail(message_id="l1@x")
            )
        assert refused == {}
    finally:
        controller.stop()
    message = InboundMessage.objects.get(source="lmtp")
    assert (message.status, message.recipient) == ("applied", "appdev@osit.test")
    assert message.ticket.service == personas.appdev


def test_the_conversation(personas, smtp_sink, login_as):
    """Requester mails → ticket + acknowledgement → technician replies in the web UI → the
    requester's client gets it threaded → the requester replies by mail → the reply is on the
    ticket → a Cc's out-of-office answer is recorded and not answered."""
    from osit.mail import pipeline

    first = pipeline.ingest(make_mail(message_id="c1@client.test"), source="mailgate")
    ticket = first.ticket
    actions.add_watcher(ticket, actor=personas.tom, channel="web", user=personas.bob, kind="cc")
    client = login_as("tom")
    response = client.post(
        f"/tickets/{ticket.pk}/reply/", {"visibility": "public", "body": "Please try again now."}
    )
    assert response.status_code == 302
    assert outbox.deliver() == 2
    ack, reply = smtp_sink.messages
    assert ack["In-Reply-To"] == "<c1@client.test>"
    assert "Please try again now." in reply.get_body(("plain",)).get_content()
    assert reply["References"] == f"<ticket-{ticket.pk}@localhost>"
    assert sorted(smtp_sink.envelopes[1].rcpt_tos) == ["alice@osit.test", "bob@osit.test"]

    answer = pipeline.ingest(
        make_mail(
            subject="Re: " + str(reply["Subject"]),
            body="It works, thanks!",
            message_id="c2@client.test",
            extra=f"In-Reply-To: {reply['Message-ID']}\r\n",
        ),
        source="mailgate",
    )
    assert answer.ticket_id == ticket.pk
    assert ticket.comments.filter(body="It works, thanks!", author=personas.alice).exists()

    sent_before = OutboundMail.objects.count()
    ooo = pipeline.ingest(
        make_mail(
            sender="bob@osit.test",
            subject="Automatic reply: " + str(reply["Subject"]),
            body="I am away.",
            message_id="c3@bob.test",
            extra="Auto-Submitted: auto-replied\r\nX-Autoreply: yes\r\n",
        ),
        source="mailgate",
    )
    assert (ooo.status, ooo.robot, ooo.ticket_id) == ("recorded", "auto_reply", ticket.pk)
    assert OutboundMail.objects.count() == sent_before
