"""``osit token create USERNAME``: print a new API token, alone on stdout."""

from __future__ import annotations

import argparse

from osit.cli.base import require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "token", help="manage API tokens", description="Manage personal API tokens."
    )
    sub = parser.add_subparsers(dest="token_command", metavar="ACTION", required=True)
    create = sub.add_parser(
        "create",
        help="create a token and print it",
        description="Create a personal API token for USERNAME and print it "
        "alone on standard output. It is shown only once: OSIT "
        "keeps only its SHA-256 digest.",
    )
    create.add_argument("username", metavar="USERNAME")
    create.add_argument("--name", default="", help="a label to recognise the token by")
    create.set_defaults(func=run_create)


def run_create(args: argparse.Namespace) -> int:
    from osit.core.errors import NotFound
    from osit.directory.actions import create_token
    from osit.directory.models import User

    require_initialised()
    user = User.objects.filter(username=args.username).first()
    if user is None:
        raise NotFound(f"There is no user {args.username!r}.")
    print(create_token(actor=None, channel="cli", user=user, name=args.name))
    return 0
