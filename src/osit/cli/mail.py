"""``osit mail quarantine|retry|outbox`` and ``osit lmtp``: the e-mail channel's operations."""

from __future__ import annotations

import argparse
import contextlib
import signal
import threading

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mail",
        help="the e-mail channel: quarantine, retry, outbox",
        description="Operate the e-mail channel.",
    )
    sub = parser.add_subparsers(dest="mail_command", metavar="ACTION", required=True)
    q = sub.add_parser(
        "quarantine",
        help="list messages that failed, with their error",
        description="List received messages that could not be applied.",
    )
    q.set_defaults(func=run_quarantine)
    r = sub.add_parser(
        "retry",
        help="process a quarantined message again",
        description="Process a stored message again (after fixing the cause).",
    )
    r.add_argument("id", type=int, metavar="ID")
    r.set_defaults(func=run_retry)
    o = sub.add_parser(
        "outbox",
        help="list mail waiting to be sent, with its last error",
        description="List outgoing mail not yet delivered.",
    )
    o.add_argument("--deliver", action="store_true", help="try to deliver the due mail now")
    o.set_defaults(func=run_outbox)
    lmtp = subparsers.add_parser(
        "lmtp",
        help="run the LMTP listener alone",
        description="Receive mail over LMTP from an MTA (Postfix: virtual_transport = "
        "lmtp:HOST:PORT). osit serve starts it too when OSIT_LMTP_PORT is set.",
    )
    lmtp.add_argument("--host", default=None, help="default: OSIT_LMTP_HOST or 127.0.0.1")
    lmtp.add_argument("--port", type=int, default=None, help="default: OSIT_LMTP_PORT or 2424")
    lmtp.set_defaults(func=run_lmtp)


def run_quarantine(args: argparse.Namespace) -> int:
    from osit.mail.models import InboundMessage, InboundStatus

    require_initialised()
    rows = InboundMessage.objects.filter(status=InboundStatus.QUARANTINED).order_by("id")
    found = False
    for m in rows.only("id", "received_at", "sender", "subject", "error", "attempts"):
        found = True
        print(f"{m.pk}\t{m.received_at:%Y-%m-%d %H:%M}\t{m.sender or '?'}\t{m.subject[:60]}")
        print(f"\t{m.error.splitlines()[-1] if m.error else ''} (attempts: {m.attempts})")
    if not found:
        print("The quarantine is empty.")
    return 0


def run_retry(args: argparse.Namespace) -> int:
    from osit.mail import pipeline
    from osit.mail.models import InboundMessage, InboundStatus

    require_initialised()
    if not InboundMessage.objects.filter(pk=args.id).exists():
        raise CommandError(f"There is no received message {args.id}.")
    message = pipeline.retry(args.id)
    if message.status == InboundStatus.QUARANTINED:
        raise CommandError(f"message {args.id} failed again: {message.error}")
    where = f" #{message.ticket_id}" if message.ticket_id else ""
    print(f"{message.status}{where}")
    return 0


def run_outbox(args: argparse.Namespace) -> int:
    from osit.mail import outbox
    from osit.mail.models import OutboundMail, OutboundStatus

    require_initialised()
    if args.deliver:
        print(f"sent {outbox.deliver()}")
    rows = OutboundMail.objects.filter(status=OutboundStatus.PENDING).order_by("id")
    if not rows.exists():
        print("The outbox is empty.")
    for m in rows:
        print(
            f"{m.pk}\t{m.event}\t{', '.join(m.to + m.cc)}\tattempts {m.attempts}\t"
            f"next {m.next_attempt_at:%H:%M:%S}\t{m.last_error[:80]}"
        )
    return 0


def run_lmtp(args: argparse.Namespace) -> int:
    from django.conf import settings

    from osit.mail import lmtp

    require_initialised()
    host = args.host or settings.OSIT_LMTP_HOST
    port = args.port or settings.OSIT_LMTP_PORT or 2424
    controller = lmtp.start(host, port)
    print(f"LMTP listener on {host}:{port}", flush=True)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    with contextlib.suppress(KeyboardInterrupt):
        stop.wait()
    controller.stop()
    return 0
