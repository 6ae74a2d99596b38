"""``osit application add``: create an application owned by a service."""

from __future__ import annotations

import argparse

from osit.cli.base import require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "application",
        help="manage applications",
        description="Manage applications (the systems tickets concern).",
    )
    sub = parser.add_subparsers(dest="application_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="create an application",
        description="Create an application, optionally owned by the service "
        "that maintains it (tickets about it go there by default).",
    )
    add.add_argument("slug", metavar="SLUG", help="short name: lower-case letters, digits, - and _")
    add.add_argument("--name", required=True, help="display name, e.g. 'Payroll'")
    add.add_argument("--service", metavar="SLUG", help="the service that owns it")
    add.set_defaults(func=run_add)


def run_add(args: argparse.Namespace) -> int:
    from osit.directory.actions import create_application, get_service

    require_initialised()
    service = get_service(args.service) if args.service else None
    application = create_application(
        actor=None, channel="cli", slug=args.slug, name=args.name, service=service
    )
    owner = f" (service {service.slug})" if service else ""
    print(f"application {application.slug} created: {application.name}{owner}")
    return 0
