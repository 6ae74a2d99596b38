"""Robots: auto-replies, bounces, bulk mail and loops are recognised (and people are not)."""

from __future__ import annotations

import email
import json
from email import policy

import pytest

from osit.mail.parse import parse_message
from osit.mail.robots import (
    AUTO_REPLY,
    BOUNCE,
    BULK,
    LOOP,
    Robot,
    classify,
    wants_no_auto_reply,
)
from tests.mail.conftest import CORPUS

EMAIL = CORPUS / "email"
OWN = {"appdev@osit.test", "network@osit.test"}


def _mail(
    headers: str = "", subject: str = "Payroll is down", sender: str = "alice@x.org"
) -> bytes:
    return (
        f"From: Alice <{sender}>\r\nTo: appdev@osit.test\r\nSubject: {subject}\r\n"
        f"Message-ID: <m1@x.org>\r\n{headers}Content-Type: text/plain\r\n\r\nSince 9:00.\r\n"
    ).encode()


def _kind(raw: bytes, own=OWN) -> str | None:
    robot = classify(parse_message(raw), own_addresses=own)
    return robot.kind if robot else None


def _corpus_file(relative: str) -> bytes:
    path = EMAIL / relative
    if not path.is_file():
        pytest.skip(f"the corpus is absent: {path}")
    return path.read_bytes()


# --- the corpus ---------------------------------------------------------------------------------


def out_of_office_cases() -> list:
    folder = EMAIL / "zammad" / "out_of_office"
    if not (folder / "expectations.json").is_file():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"absent: {folder}"))]
    expectations = json.loads((folder / "expectations.json").read_text())["files"]
    return [
        pytest.param(folder / name, expected["x-zammad-out-of-office"], id=name)
        for name, expected in sorted(expectations.items())
    ]


@pytest.mark.parametrize(("path", "is_auto_reply"), out_of_office_cases())
def test_out_of_office_set_as_its_expectations_say(path, is_auto_reply):
    robot = classify(parse_message(path.read_bytes()))
    if is_auto_reply:
        assert robot is not None and robot.kind == AUTO_REPLY, robot
    else:
        assert robot is None


def test_the_postfix_bounce_is_a_bounce():
    raw = _corpus_file("zammad/mail/mail033-undelivered-mail-returned-to-sender-notification.box")
    robot = classify(parse_message(raw))
    assert robot == Robot(BOUNCE, "a delivery status notification (multipart/report)")


def delivery_reports() -> list:
    folder = EMAIL / "ruby-mail" / "multipart_report_emails"
    if not folder.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"absent: {folder}"))]
    paths = sorted(p for p in folder.iterdir() if p.is_file())
    paths += [
        EMAIL / "rt/emails/multipart-report",
        EMAIL / "mail-parser-malformed/mail_malformed_2",
    ]
    paths += [EMAIL / "ruby-mail/mime_emails/raw_email_with_mimepart_without_content_type.eml"]
    return [pytest.param(p, id=str(p.relative_to(EMAIL))) for p in paths]


@pytest.mark.parametrize("path", delivery_reports())
def test_delivery_reports_are_bounces(path):
    assert _kind(path.read_bytes()) == BOUNCE


def people() -> list:
    """Messages from people in the corpus: none may be taken for a robot."""
    if not EMAIL.is_dir():
        return [pytest.param(None, marks=pytest.mark.skip(reason=f"absent: {EMAIL}"))]
    names = [
        "ruby-mail/plain_emails/raw_email_reply.eml",
        "ruby-mail/rfc2822/example06.eml",
        "ruby-mail/rfc2822/example07.eml",
        "rt/emails/new-ticket-from-iso-8859-1-full",
        "django-helpdesk/forwarded-message.eml",
        "django-helpdesk/quoted_printable.eml",
        *[
            str(p.relative_to(EMAIL))
            for p in sorted((EMAIL / "zammad" / "mail").glob("*.box"))
            if "mail033" not in p.name
        ],
    ]
    return [pytest.param(EMAIL / name, id=name) for name in names]


@pytest.mark.parametrize("path", people())
def test_messages_from_people_are_not_robots(path):
    assert classify(parse_message(path.read_bytes()), own_addresses=OWN) is None


# --- loops ----------------------------------------------------------------------------------------


def test_loops():
    assert _kind(_mail("X-Loop: appdev@osit.test\r\n")) == LOOP
    assert _kind(_mail("X-Loop: OSIT <APPDEV@osit.test>\r\n")) == LOOP
    assert _kind(_mail("X-Loop: someone-else@x.org\r\n")) is None
    assert _kind(_mail("X-Loop: noappdev@osit.test\r\n")) is None  # no sub-string matches
    assert _kind(_mail("X-Loop: appdev@osit.test\r\n"), own=set()) is None
    assert _kind(_mail("X-OSIT-Loop: 1\r\n"), own=set()) == LOOP
    assert _kind(_mail(sender="Network@OSIT.test")) == LOOP
    robot = classify(parse_message(_mail("X-Loop: appdev@osit.test\r\n")), own_addresses=OWN)
    assert robot.reason == "X-Loop names this desk's address appdev@osit.test"


# --- bounces --------------------------------------------------------------------------------------


def test_bounces():
    assert _kind(_mail(sender="MAILER-DAEMON@mx.example.org")) == BOUNCE
    assert _kind(_mail(sender="postmaster@example.org")) == BOUNCE
    assert _kind(_mail("Return-Path: <>\r\n")) == BOUNCE
    assert _kind(_mail("Return-Path: <alice@x.org>\r\n")) is None
    dsn = (
        b"From: Mail System <mx@example.org>\r\nSubject: Delivery failure\r\n"
        b'Content-Type: multipart/report; report-type="delivery-status"; boundary="b"\r\n\r\n'
        b"--b\r\nContent-Type: text/plain\r\n\r\nFailed.\r\n"
        b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        b"Final-Recipient: rfc822; x@y\r\nAction: failed\r\nStatus: 5.1.1\r\n--b--\r\n"
    )
    assert _kind(dsn) == BOUNCE
    # A delivery status part inside a mixed message, from an odd sender, still says bounce.
    odd = dsn.replace(b"multipart/report", b"multipart/mixed")
    assert _kind(odd) == BOUNCE


# --- auto-replies ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "subject", "expected"),
    [
        ("Auto-Submitted: auto-replied\r\n", "Re: Payroll", AUTO_REPLY),
        ("Auto-Submitted: auto-replied (vacation)\r\nPrecedence: bulk\r\n", "x", AUTO_REPLY),
        ("X-Autoreply: yes\r\n", "x", AUTO_REPLY),
        ("X-Autorespond: Out of office\r\n", "x", AUTO_REPLY),
        ("X-Autoreply: no\r\n", "x", None),
        (
            "X-Auto-Response-Suppress: All\r\nX-MS-Exchange-Inbox-Rules-Loop: a@x.org\r\n",
            "x",
            AUTO_REPLY,
        ),
        ("X-Auto-Response-Suppress: OOF, AutoReply\r\n", "x", None),  # a wish, not a robot
        ("", "Automatic reply: Payroll is down", AUTO_REPLY),
        ("Thread-Topic: Automatic reply: Payroll\r\n", "Payroll", AUTO_REPLY),
        ("", "Out of Office: Payroll is down", AUTO_REPLY),
        ("", "Out of office AutoReply: Payroll", AUTO_REPLY),
        ("", "Abwesenheitsnotiz: Payroll", AUTO_REPLY),
        ("", "Automatische Antwort: Payroll", AUTO_REPLY),
        ("", "Réponse automatique : Payroll", AUTO_REPLY),
        ("", "AutoReply: Payroll", AUTO_REPLY),
        ("", "自動応答: Payroll", AUTO_REPLY),
        ("", "Out of office next week, please reassign", None),
        ("", "Re: automatic reply settings do not work", None),
        ("", "Vacation request for March", None),
        ('Content-Type: multipart/report; report-type=disposition-notification; boundary="b"\r\n',
         "Read: Payroll", AUTO_REPLY),
    ],
)  # fmt: skip
def test_auto_replies(headers, subject, expected):
    assert _kind(_mail(headers, subject=subject)) == expected


# --- bulk -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ("Precedence: bulk\r\n", BULK),
        ("Precedence: list\r\nList-Id: <users.lists.x.org>\r\n", BULK),
        ("Precedence: junk\r\n", BULK),
        ("Precedence: first-class\r\n", None),
        ("Auto-Submitted: auto-generated\r\n", BULK),
        ("Auto-Submitted: auto-notified\r\n", BULK),
        ("Auto-Submitted: no\r\n", None),
        ("List-Unsubscribe: <mailto:leave@x.org>\r\n", None),  # a person writing via a list
    ],
)
def test_bulk(headers, expected):
    assert _kind(_mail(headers)) == expected


def test_a_normal_reply_is_not_a_robot():
    raw = _mail("In-Reply-To: <ack@osit.test>\r\nReferences: <ack@osit.test>\r\n", "Re: [OSIT #12]")
    assert classify(parse_message(raw), own_addresses=OWN) is None


# --- inputs ---------------------------------------------------------------------------------------


def test_classify_takes_headers_messages_and_bytes():
    headers = {"From": "MAILER-DAEMON@x.org", "Subject": "Undelivered"}
    assert classify(headers).kind == BOUNCE
    assert classify({"auto-submitted": "auto-replied"}).kind == AUTO_REPLY
    assert classify({"Subject": "=?utf-8?Q?Abwesenheitsnotiz:_x?="}).kind == AUTO_REPLY
    assert classify({"From": "a@x.org", "X-Loop": "appdev@osit.test"}, own_addresses=OWN).kind == (
        LOOP
    )
    assert classify({"From": "Alice <alice@x.org>"}) is None
    message = email.message_from_bytes(_mail("Precedence: bulk\r\n"), policy=policy.default)
    assert classify(message).kind == BULK
    assert classify(_mail("Precedence: bulk\r\n")).kind == BULK
    assert classify(b"") is None


def test_wants_no_auto_reply():
    assert wants_no_auto_reply(parse_message(_mail("X-Auto-Response-Suppress: OOF\r\n")))
    assert wants_no_auto_reply(parse_message(_mail("Precedence: bulk\r\n")))
    assert not wants_no_auto_reply(parse_message(_mail()))
