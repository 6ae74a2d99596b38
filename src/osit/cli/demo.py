"""``osit demo``: load the demo organisation and tickets (idempotent)."""

from __future__ import annotations

import argparse
import time

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo",
        help="load demo data (services, applications, users of every role, tickets)",
        description=(
            "Load demo data: the support units of a national grid as services, applications, "
            "organisations, sites, users of every role with documented passwords, and about "
            "300 tickets with a realistic history. Running it again changes nothing."
        ),
    )
    parser.add_argument(
        "--tickets", type=int, default=300, help="number of tickets (default: %(default)s)"
    )
    parser.add_argument("--seed", type=int, default=2026, help="random seed (default: %(default)s)")
    parser.set_defaults(func=run)


ACCOUNTS = """\
Log in at {url}/ with one of these accounts (password = user name; evaluation only):
  admin          administrator (also {url}/admin/)
  manager        manager — decides enhancement requests
  operator       call-centre operator — creates tickets by phone ({url}/phone/new/)
  tech-network, tech-appdev, tech-monitoring, tech-systems, …   technicians of each service
  alice, bob, …  requesters — the self-service portal ({url}/portal/)"""


def run(args: argparse.Namespace) -> int:
    from django.conf import settings

    from osit.demo import load

    require_initialised()
    if args.tickets < 0:
        raise CommandError("--tickets must be 0 or more")
    started = time.monotonic()
    result = load(tickets=args.tickets, seed=args.seed)
    if result.created:
        print(
            f"Demo data loaded: {result.tickets} tickets, {result.users} users "
            f"in {time.monotonic() - started:.0f} s."
        )
    else:
        print(f"Demo data already loaded ({result.tickets} tickets); nothing changed.")
    print(ACCOUNTS.format(url=settings.BASE_URL))
    return 0
