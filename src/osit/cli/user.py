"""``osit user add`` and ``osit user list``."""

from __future__ import annotations

import argparse
import sys

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("user", help="manage users", description="Manage users.")
    sub = parser.add_subparsers(dest="user_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="create a user",
        description="Create a user with one or more roles (requester, operator, technician, "
        "manager, admin) and, for technicians, their services. Without "
        "--password-stdin the account cannot log in until a password is set.",
    )
    add.add_argument("username", metavar="USERNAME")
    add.add_argument("--email", required=True, help="e-mail address")
    add.add_argument(
        "--role", action="append", required=True, metavar="ROLE", help="a role (repeat for several)"
    )
    add.add_argument(
        "--service",
        action="append",
        default=[],
        metavar="SLUG",
        help="a service the user belongs to (repeat for several)",
    )
    add.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from the first line of standard input",
    )
    add.add_argument("--first-name", default="")
    add.add_argument("--last-name", default="")
    add.add_argument("--phone", default="")
    add.set_defaults(func=run_add)
    listing = sub.add_parser("list", help="list users", description="List users and roles.")
    listing.set_defaults(func=run_list)


def run_add(args: argparse.Namespace) -> int:
    from osit.directory.actions import create_user, get_service

    require_initialised()
    services = [get_service(slug) for slug in args.service]
    password = None
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise CommandError("--password-stdin: no password on standard input")
    user = create_user(
        actor=None,
        channel="cli",
        username=args.username,
        email=args.email,
        roles=args.role,
        services=services,
        password=password,
        first_name=args.first_name,
        last_name=args.last_name,
        phone=args.phone,
    )
    print(f"user {user.username} created ({', '.join(args.role)})")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from django.db.models import Prefetch

    from osit.directory.models import Service, User

    require_initialised()
    users = User.objects.order_by("username").prefetch_related(
        "groups", Prefetch("services", queryset=Service.objects.only("slug"))
    )
    for user in users:
        roles = ",".join(sorted(g.name for g in user.groups.all()))
        services = ",".join(sorted(s.slug for s in user.services.all()))
        print(f"{user.username}\t{roles}\t{services}")
    return 0
