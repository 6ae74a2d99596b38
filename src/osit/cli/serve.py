"""``osit serve``: the production web server, with the embedded jobs unless a broker is set."""

from __future__ import annotations

import argparse
import os

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the web server (granian) with the background jobs",
        description=(
            "Serve OSIT with granian, a production WSGI server, static files included. "
            "Without OSIT_BROKER_URL the background jobs run in a child process supervised by "
            "this command; with it, run `osit worker` instead."
        ),
    )
    parser.add_argument(
        "--host",
        default=os.environ.get("OSIT_HOST", "127.0.0.1"),
        help="address to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("OSIT_PORT", "8000")),
        help="port to listen on (default: %(default)s)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=int(os.environ.get("OSIT_WORKERS", "2")),
        help="web worker processes (default: %(default)s)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from django.conf import settings

    require_initialised()
    if not 0 < args.port < 65536:
        raise CommandError(f"--port {args.port} is not a valid port (1-65535)")
    if args.workers < 1:
        raise CommandError("--workers must be at least 1")
    if not (settings.STATIC_ROOT / "osit" / "osit.css").exists():
        raise CommandError("static files are missing: run `osit init` first.")
    from osit.server import serve

    return serve(args.host, args.port, args.workers, with_jobs=not settings.OSIT_BROKER_URL)
