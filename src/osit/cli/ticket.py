"""``osit ticket list|show|create|comment|status|reroute``: a client of the REST API v1.

Like RT's ``rt`` command: talks to a running OSIT over HTTP with a personal token, so it works
from any machine. A readable table by default, the API's JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path
from typing import Any

from osit.cli.base import CommandError
from osit.cli.client import Client

ENV_HELP = (
    "Server and token: --url/--token, else OSIT_URL and OSIT_TOKEN, else the file osit login "
    "wrote. Errors print one line on stderr and exit 1."
)
STATUSES = ["new", "open", "pending_customer", "pending_decision", "resolved", "closed"]


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "ticket",
        help="work with tickets through the REST API (a client, like RT's rt)",
        description="A client of the REST API v1. " + ENV_HELP,
    )
    sub = parser.add_subparsers(dest="ticket_command", metavar="ACTION", required=True)

    def add(name: str, help_text: str, description: str) -> argparse.ArgumentParser:
        p = sub.add_parser(name, help=help_text, description=description + " " + ENV_HELP)
        p.add_argument("--url", help="the OSIT server (default: OSIT_URL or osit login's)")
        p.add_argument("--token", help="a personal API token (default: OSIT_TOKEN or saved)")
        p.add_argument("--json", action="store_true", help="print the API's JSON")
        p.set_defaults(django=False)
        return p

    p = add("list", "list the tickets you may see", "List tickets, most urgent first.")
    p.add_argument(
        "--view",
        choices=["active", "closed", "enhancements", "all"],
        default="active",
        help="active (default: all but closed), closed, …",
    )
    p.add_argument("--service", help="service slug")
    p.add_argument("--owner", help='user name, or "none" for unowned tickets')
    p.add_argument("--status", choices=STATUSES)
    p.add_argument("-q", "--query", help="search: words and field:value terms (docs/api.md)")
    p.add_argument("--limit", type=int, default=50, help="tickets per page, 1–200 (default 50)")
    p.add_argument("--all", action="store_true", help="follow every page")
    p.set_defaults(func=run_list)

    p = add("show", "show a ticket and its comments", "Show one ticket and its comments.")
    p.add_argument("number", type=int)
    p.set_defaults(func=run_show)

    p = add("create", "open a ticket", "Open a ticket; prints its number.")
    p.add_argument("--subject", required=True)
    text = p.add_mutually_exclusive_group()
    text.add_argument("--description", help='the description ("-" reads standard input)')
    text.add_argument("--description-file", type=Path, help="read the description from a file")
    p.add_argument("--requester", help="user name or e-mail (agents; default: yourself)")
    p.add_argument("--service", help="service slug")
    p.add_argument("--application", help="application slug")
    p.add_argument("--severity", choices=["major", "moderate", "minor"])
    p.add_argument("--criticality", choices=["blocking", "non_blocking", "enhancement"])
    p.add_argument(
        "--channel", choices=["phone", "email", "web", "monitoring", "api", "cli"], default="cli"
    )
    p.add_argument("--idempotency-key", help="retrying with the same key never creates twice")
    p.set_defaults(func=run_create)

    p = add("comment", "reply to a ticket or add an internal note", "Reply or add a note.")
    p.add_argument("number", type=int)
    body = p.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", help='the text ("-" reads standard input)')
    body.add_argument("--body-file", type=Path, help="read the text from a file")
    p.add_argument("--internal", action="store_true", help="an internal note, not a reply")
    p.add_argument("--minutes", type=int, default=0, help="time spent, for an intervention")
    p.set_defaults(func=run_comment)

    p = add(
        "status",
        "change a ticket's status, with an observation comment",
        "Change the status. The comment is required.",
    )
    p.add_argument("number", type=int)
    p.add_argument("status", choices=STATUSES)
    p.add_argument("--comment", required=True, help="the observation comment (required)")
    p.add_argument("--internal", action="store_true", help="keep the comment internal")
    p.add_argument(
        "--override-dependencies",
        action="store_true",
        help="resolve or close despite open dependencies",
    )
    p.set_defaults(func=run_status)

    p = add(
        "reroute",
        "move a ticket to another service, with a justification",
        "Re-route to another service. The justification is required.",
    )
    p.add_argument("number", type=int)
    p.add_argument("service", help="the new service's slug")
    p.add_argument("--comment", required=True, help="the justification (required)")
    p.set_defaults(func=run_reroute)


# --- output ---------------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def _table(items: list[dict[str, Any]]) -> None:
    if not items:
        print("No ticket.")
        return
    width = shutil.get_terminal_size((100, 20)).columns
    rows = [
        (
            f"#{t['number']}",
            str(t["priority"]),
            t["status"],
            t["service"] or "-",
            t["owner"] or "-",
            t["subject"],
        )
        for t in items
    ]
    heads = ("NUMBER", "P", "STATUS", "SERVICE", "OWNER", "SUBJECT")
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(heads[:-1])]
    room = max(20, width - sum(widths) - 2 * len(widths))
    for row in (heads, *rows):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        subject = row[-1] if len(row[-1]) <= room else row[-1][: room - 1] + "…"
        print("  ".join([*cells, subject]).rstrip())


def _show(ticket: dict[str, Any], comments: list[dict[str, Any]]) -> None:
    print(f"#{ticket['number']} {ticket['subject']}")
    fields = [
        ("Status", ticket["status"]),
        ("Priority", ticket["priority"]),
        ("Service", ticket["service"]),
        ("Application", ticket["application"]),
        ("Requester", ticket["requester"]),
        ("Owner", ticket["owner"]),
        ("Severity", ticket["severity"]),
        ("Criticality", ticket["criticality"]),
        ("Channel", ticket["channel"]),
        ("Created", ticket["created_at"]),
        ("Updated", ticket["updated_at"]),
        ("Time spent", f"{ticket['time_spent_minutes']} min"),
        ("Tags", ", ".join(ticket["tags"])),
        ("Watchers", ", ".join(f"{w['username']} ({w['kind']})" for w in ticket["watchers"])),
    ]
    for name, value in fields:
        print(f"{name}: {value if value not in (None, '') else '-'}")
    if ticket["description"]:
        print("\n" + ticket["description"])
    for c in comments:
        kind = "internal note" if c["visibility"] == "internal" else "reply"
        spent = f", {c['time_spent_minutes']} min" if c["time_spent_minutes"] else ""
        print(f"\n--- {c['created_at']} {c['author']} ({kind}{spent})")
        print(c["body"])


def _text(value: str | None, path: Path | None) -> str:
    if path is not None:
        try:
            return path.read_text(encoding="utf-8")
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror}") from None
    if value == "-":
        return sys.stdin.read()
    return value or ""


# --- commands -------------------------------------------------------------------------------


def _client(args: argparse.Namespace) -> Client:
    return Client.from_args(url=args.url, token=args.token)


def run_list(args: argparse.Namespace) -> int:
    client = _client(args)
    if not 1 <= args.limit <= 200:
        raise CommandError("--limit must be between 1 and 200")
    params = {
        "view": args.view,
        "service": args.service,
        "owner": args.owner,
        "status": args.status,
        "q": args.query,
        "limit": args.limit,
    }
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        page = client.request("GET", "/tickets", params={**params, "cursor": cursor})
        items += page["items"]
        cursor = page["next_cursor"]
        if not args.all or not cursor:
            break
    if args.json:
        _print_json(items)
    else:
        _table(items)
        if cursor:
            print("… more: add --all (or --limit up to 200)", file=sys.stderr)
    return 0


def run_show(args: argparse.Namespace) -> int:
    client = _client(args)
    ticket = client.request("GET", f"/tickets/{args.number}")
    comments = client.request("GET", f"/tickets/{ticket['number']}/comments")
    if args.json:
        _print_json({**ticket, "comments": comments})
    else:
        _show(ticket, comments)
    return 0


def run_create(args: argparse.Namespace) -> int:
    client = _client(args)
    body = {
        "subject": args.subject,
        "description": _text(args.description, args.description_file),
        "requester": args.requester,
        "service": args.service,
        "application": args.application,
        "severity": args.severity,
        "criticality": args.criticality,
        "channel": args.channel,
    }
    body = {k: v for k, v in body.items() if v is not None}
    headers = {"Idempotency-Key": args.idempotency_key} if args.idempotency_key else None
    ticket = client.request("POST", "/tickets", body=body, headers=headers)
    if args.json:
        _print_json(ticket)
    else:
        print(
            f"Created ticket #{ticket['number']} ({ticket['status']}, "
            f"{ticket['service'] or 'waiting for routing'})"
        )
    return 0


def run_comment(args: argparse.Namespace) -> int:
    client = _client(args)
    body = {
        "body": _text(args.body, args.body_file),
        "visibility": "internal" if args.internal else "public",
        "time_spent_minutes": args.minutes,
    }
    comment = client.request("POST", f"/tickets/{args.number}/comments", body=body)
    if args.json:
        _print_json(comment)
    else:
        kind = "Note" if args.internal else "Reply"
        print(f"{kind} added to #{args.number}")
    return 0


def run_status(args: argparse.Namespace) -> int:
    client = _client(args)
    body = {
        "status": args.status,
        "comment": args.comment,
        "visibility": "internal" if args.internal else "public",
        "override_dependencies": args.override_dependencies,
    }
    ticket = client.request("POST", f"/tickets/{args.number}/transitions", body=body)
    if args.json:
        _print_json(ticket)
    else:
        print(f"#{ticket['number']} is now {ticket['status']}")
    return 0


def run_reroute(args: argparse.Namespace) -> int:
    client = _client(args)
    ticket = client.request(
        "POST",
        f"/tickets/{args.number}/reroute",
        body={"service": args.service, "comment": args.comment},
    )
    if args.json:
        _print_json(ticket)
    else:
        print(f"#{ticket['number']} re-routed to {ticket['service']}")
    return 0
