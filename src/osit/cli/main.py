"""The ``osit`` console command (SPEC §12): one argparse tree, one module per command."""

from __future__ import annotations

import argparse
import importlib
import os
import sys

from osit import __version__
from osit.cli.base import CommandError, err

# Each module registers its own sub-command(s); see osit.cli.base for the contract.
COMMAND_MODULES = [
    "init",
    "serve",
    "worker",
    "demo",
    "service",
    "application",
    "user",
    "token",
    "audit",
    "backup",
    "bench",
    "mailgate",
    "mail",
    "login",
    "ticket",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="osit",
        description=(
            "OSIT — an IT service desk. Configuration comes from environment variables "
            "(OSIT_DATA_DIR, OSIT_DATABASE_URL, OSIT_BROKER_URL, OSIT_SECRET_KEY, …; see "
            "docs/configuration.md)."
        ),
    )
    parser.add_argument("--version", action="version", version=f"osit {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"osit.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"osit.cli.{name}":
                continue  # not written yet
            raise
        module.register(subparsers)
    manage = subparsers.add_parser(
        "manage", help="run a Django management command (for maintainers)", add_help=False
    )
    manage.add_argument("args", nargs=argparse.REMAINDER)
    manage.set_defaults(func=_manage)
    return parser


def _manage(args: argparse.Namespace) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["osit manage", *args.args])
    return 0


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "osit.settings")
    parser = build_parser()
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return 2
    from osit.core.errors import DomainError
    from osit.env import ConfigError

    try:
        # The API client (osit ticket, login, logout) needs no Django, data directory or database.
        if args.command != "manage" and getattr(args, "django", True):
            from osit.cli.base import setup_django

            setup_django()
        return int(args.func(args) or 0)
    except CommandError as exc:
        err(str(exc))
        return exc.exit_code
    except DomainError as exc:
        err(exc.message)
        return 1
    except ConfigError as exc:
        err(f"configuration: {exc}")
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` and the like: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 141
