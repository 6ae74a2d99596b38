"""``osit mailgate``: one RFC 822 message on stdin becomes a ticket or a reply (rt-mailgate).

Exit 0 once the message is stored (even if it is then quarantined: it is safe and listed by
``osit mail quarantine``); 75 (EX_TEMPFAIL) when it could not be stored, so the MTA keeps it and
retries. For an alias: ``helpdesk: "|/path/to/osit mailgate --service network"``.
"""

from __future__ import annotations

import argparse
import sys

EX_TEMPFAIL = 75
MAX_MESSAGE = 100 * 2**20


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "mailgate",
        help="read one e-mail on standard input (for an MTA alias or pipe)",
        description="Read one RFC 822 message on standard input and turn it into a ticket or a "
        "reply. Without --service, the service is found from the recipients' addresses. Exit 0 "
        "once stored, 75 when it could not be stored (the MTA retries).",
    )
    parser.add_argument(
        "--service",
        "--queue",
        dest="service",
        metavar="SLUG",
        help="the service the message is for (--queue: RT's name, accepted)",
    )
    parser.add_argument(
        "--action",
        choices=["correspond", "comment"],
        default="correspond",
        help="correspond: a reply (default); comment: an internal note",
    )
    parser.add_argument("--recipient", default="", help="the envelope recipient, if known")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from osit.cli.base import err

    raw = sys.stdin.buffer.read(MAX_MESSAGE + 1)
    if not raw and sys.stdin.isatty():
        err("no message on standard input")
        return 1
    try:
        from osit.directory.models import Service
        from osit.mail import pipeline

        service = None
        if args.service:
            service = Service.objects.filter(slug=args.service).first()
            if service is None:
                err(f"There is no service {args.service!r}.")
                return 1
        message = pipeline.store(
            raw, source="mailgate", recipient=args.recipient, service=service, action=args.action
        )
    except Exception as exc:
        err(f"could not store the message, the MTA will retry: {exc}".strip())
        return EX_TEMPFAIL
    message = pipeline.process(message)
    where = f" #{message.ticket_id}" if message.ticket_id else ""
    print(f"{message.status}{where} (message {message.pk})")
    return 0
