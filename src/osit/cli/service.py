"""``osit service add``: create a service (a team and its queue)."""

from __future__ import annotations

import argparse

from osit.cli.base import require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "service",
        help="manage services (teams and their queues)",
        description="Manage services: teams and their queues.",
    )
    sub = parser.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    add = sub.add_parser(
        "add",
        help="create a service",
        description="Create a service. Its slug names it in URLs, the API and "
        "mail; it cannot be changed later.",
    )
    add.add_argument("slug", metavar="SLUG", help="short name: lower-case letters, digits, - and _")
    add.add_argument("--name", required=True, help="display name, e.g. 'Network'")
    add.add_argument("--email", default="", help="the service's correspond address")
    add.add_argument("--comment-email", default="", help="the service's comment address")
    add.set_defaults(func=run_add)
    listing = sub.add_parser("list", help="list services", description="List the services.")
    listing.set_defaults(func=run_list)


def run_add(args: argparse.Namespace) -> int:
    from osit.directory.actions import create_service

    require_initialised()
    service = create_service(
        actor=None,
        channel="cli",
        slug=args.slug,
        name=args.name,
        email=args.email,
        comment_email=args.comment_email,
    )
    print(f"service {service.slug} created: {service.name}")
    return 0


def run_list(args: argparse.Namespace) -> int:
    from osit.directory.models import Service

    require_initialised()
    for service in Service.objects.order_by("slug"):
        print(f"{service.slug}\t{service.name}\t{service.email}")
    return 0
