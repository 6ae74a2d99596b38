"""``osit ticket list|show|create|comment|status|reroute``: a client of the REST API v1.

Like RT's ``rt`` command: talks to a running OSIT over HTTP with a personal token, so it works
from any machine. A readable table by default, the API's JSON with ``--json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from datetime import datetime
from pathlib import Path
from typing import Any

from osit.cli.base import CommandError
from osit.cli.client import Client, api_command

ENV_HELP = (
    "Server and token: --url/--token, else the environment variables OSIT_URL and OSIT_TOKEN, "
    "else the file osit login wrote ($OSIT_CLIENT_CONFIG, default "
    "$XDG_CONFIG_HOME/osit/client.json or ~/.config/osit/client.json). Errors print one line "
    "on standard error and exit 1 (2 for a wrong command line)."
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
        p.add_argument("--url", help="the OSIT server (default: OSIT_URL, else osit login's)")
        p.add_argument("--token", help="a personal API token (default: OSIT_TOKEN, else saved)")
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
    p.add_argument("--service", metavar="SLUG", help="only this service's tickets")
    p.add_argument("--owner", metavar="USER", help='user name, or "none" for unowned tickets')
    p.add_argument("--status", choices=STATUSES)
    p.add_argument(
        "-q", "--query", metavar="QUERY", help="search: words and field:value terms (docs/api.md)"
    )
    p.add_argument(
        "--limit",
        type=_page_size,
        default=50,
        metavar="N",
        help="tickets per page, 1–200 (default 50)",
    )
    p.add_argument("--all", action="store_true", help="follow every page")
    p.set_defaults(func=run_list)

    p = add("show", "show a ticket and its comments", "Show one ticket and its comments.")
    p.add_argument("number", type=int, metavar="NUMBER", help="the ticket's number")
    p.set_defaults(func=run_show)

    p = add("create", "open a ticket", "Open a ticket; prints its number.")
    p.add_argument("--subject", required=True, metavar="TEXT", help="the subject (required)")
    text = p.add_mutually_exclusive_group()
    text.add_argument(
        "--description", metavar="TEXT", help='the description ("-" reads standard input)'
    )
    text.add_argument(
        "--description-file",
        type=Path,
        metavar="FILE",
        help='read the description from a file ("-": standard input)',
    )
    p.add_argument(
        "--requester", metavar="USER", help="user name or e-mail (agents; default: yourself)"
    )
    p.add_argument(
        "--service", metavar="SLUG", help="the service (a requester may leave it to routing)"
    )
    p.add_argument("--application", metavar="SLUG", help="the application concerned")
    p.add_argument(
        "--severity",
        choices=["major", "moderate", "minor"],
        help="with the criticality, it sets the priority",
    )
    p.add_argument("--criticality", choices=["blocking", "non_blocking", "enhancement"])
    p.add_argument(
        "--channel", choices=["phone", "email", "web", "monitoring", "api", "cli"], default="cli"
    )
    p.add_argument(
        "--idempotency-key", metavar="KEY", help="retrying with the same key never creates twice"
    )
    p.set_defaults(func=run_create)

    p = add("comment", "reply to a ticket or add an internal note", "Reply or add a note.")
    p.add_argument("number", type=int, metavar="NUMBER", help="the ticket's number")
    body = p.add_mutually_exclusive_group(required=True)
    body.add_argument("--body", metavar="TEXT", help='the text ("-" reads standard input)')
    body.add_argument(
        "--body-file", type=Path, metavar="FILE", help='read the text from a file ("-": stdin)'
    )
    body.add_argument(
        "stdin",
        nargs="?",
        choices=["-"],
        metavar="-",
        help="read the text from standard input (like --body -)",
    )
    p.add_argument("--internal", action="store_true", help="an internal note, not a reply")
    p.add_argument(
        "--minutes", type=int, default=0, metavar="N", help="time spent, for an intervention"
    )
    p.set_defaults(func=run_comment)

    p = add(
        "status",
        "change a ticket's status, with an observation comment",
        "Change the status. The comment is required.",
    )
    p.add_argument("number", type=int, metavar="NUMBER", help="the ticket's number")
    p.add_argument("status", choices=STATUSES, metavar="STATUS", help=", ".join(STATUSES))
    p.add_argument(
        "--comment", required=True, metavar="TEXT", help="the observation comment (required)"
    )
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
    p.add_argument("number", type=int, metavar="NUMBER", help="the ticket's number")
    p.add_argument("service", metavar="SERVICE", help="the new service's slug")
    p.add_argument("--comment", required=True, metavar="TEXT", help="the justification (required)")
    p.set_defaults(func=run_reroute)


def _page_size(value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        size = 0
    if not 1 <= size <= 200:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 1 to 200")
    return size


# --- output ---------------------------------------------------------------------------------


def _print_json(data: Any) -> None:
    json.dump(data, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


def _width() -> int | None:
    """The terminal's width (or $COLUMNS); None when piped: a script gets whole subjects."""
    if os.environ.get("COLUMNS", "").isdigit() or sys.stdout.isatty():
        return shutil.get_terminal_size((100, 20)).columns
    return None


def _when(value: str | None) -> str | None:
    """An API timestamp in local time, to the minute."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).astimezone().strftime("%Y-%m-%d %H:%M %Z")
    except ValueError:
        return value


def _table(items: list[dict[str, Any]]) -> None:
    if not items:
        print("No ticket.")
        return
    width = _width()
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
    room = max(20, width - sum(widths) - 2 * len(widths)) if width else None
    for row in (heads, *rows):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths, strict=True)]
        subject = " ".join(row[-1].split())
        if room and len(subject) > room:
            subject = subject[: room - 1] + "…"
        print("  ".join([*cells, subject]).rstrip())


def _show(ticket: dict[str, Any], comments: list[dict[str, Any]], web: str) -> None:
    print(f"#{ticket['number']} {ticket['subject']}")
    fields = [
        ("Type", ticket.get("type")),
        ("Status", ticket["status"]),
        ("Priority", ticket["priority"]),
        ("Service", ticket["service"]),
        ("Application", ticket["application"]),
        ("Requester", ticket["requester"]),
        ("Owner", ticket["owner"]),
        ("Severity", ticket["severity"]),
        ("Criticality", ticket["criticality"]),
        ("Channel", ticket["channel"]),
        ("Created", _when(ticket["created_at"])),
        ("Updated", _when(ticket["updated_at"])),
        ("Due", _when(ticket.get("due_at"))),
        *([("Resolved", _when(ticket["resolved_at"]))] if ticket.get("resolved_at") else []),
        *([("Closed", _when(ticket["closed_at"]))] if ticket.get("closed_at") else []),
        ("Time spent", f"{ticket['time_spent_minutes']} min"),
        ("Tags", ", ".join(ticket["tags"])),
        ("Watchers", ", ".join(f"{w['username']} ({w['kind']})" for w in ticket["watchers"])),
        ("Web", f"{web}/tickets/{ticket['number']}/"),
    ]
    for name, value in fields:
        print(f"{name}: {value if value not in (None, '') else '-'}")
    if ticket["description"]:
        print("\n" + ticket["description"])
    for c in comments:
        kind = "internal note" if c["visibility"] == "internal" else "public reply"
        spent = f", {c['time_spent_minutes']} min" if c["time_spent_minutes"] else ""
        print(f"\n--- {_when(c['created_at'])} {c['author']} ({kind}{spent})")
        print(c["body"])


def _text(value: str | None, path: Path | None) -> str:
    if path == Path("-"):
        return sys.stdin.read()
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


@api_command
def run_list(args: argparse.Namespace) -> int:
    client = _client(args)
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


@api_command
def run_show(args: argparse.Namespace) -> int:
    client = _client(args)
    ticket = client.request("GET", f"/tickets/{args.number}")
    comments = client.request("GET", f"/tickets/{ticket['number']}/comments")
    if args.json:
        _print_json({**ticket, "comments": comments})
    else:
        _show(ticket, comments, client.url)
    return 0


@api_command
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


@api_command
def run_comment(args: argparse.Namespace) -> int:
    client = _client(args)
    body = {
        "body": _text(args.body or args.stdin, args.body_file),
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


@api_command
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


@api_command
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
