"""``osit serve``: the production web server, with the embedded jobs unless a broker is set."""

from __future__ import annotations

import argparse

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "serve",
        help="run the web server (granian) with the background jobs",
        description=(
            "Serve OSIT with granian, a production WSGI server, static files included. "
            "Without OSIT_BROKER_URL the background jobs run in a child process supervised by "
            "this command; with it, run `osit worker` instead. SIGTERM or Ctrl-C stops the "
            "server and the jobs cleanly."
        ),
    )
    # Environment defaults are read in run(), where a malformed value becomes a clean error
    # naming the variable instead of a traceback while the parser is built.
    parser.add_argument("--host", help="address to listen on (default: OSIT_HOST or 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to listen on (default: OSIT_PORT or 8000)")
    parser.add_argument(
        "--workers", type=int, help="web worker processes (default: OSIT_WORKERS or 2)"
    )
    parser.add_argument(
        "--threads",
        type=int,
        help="requests each worker runs at once (default: OSIT_THREADS or one per CPU, 2 to 8)",
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from django.conf import settings

    from osit.env import env_int, env_str
    from osit.server import default_threads, serve

    host = args.host or env_str("OSIT_HOST", "127.0.0.1") or "127.0.0.1"
    port = args.port if args.port is not None else env_int("OSIT_PORT", 8000)
    workers = args.workers if args.workers is not None else env_int("OSIT_WORKERS", 2)
    threads = (
        args.threads if args.threads is not None else env_int("OSIT_THREADS", default_threads())
    )
    if not 0 < port < 65536:
        raise CommandError(f"--port {port} is not a valid port (1-65535)")
    if workers < 1:
        raise CommandError("--workers must be at least 1")
    if threads < 1:
        raise CommandError("--threads must be at least 1")
    require_initialised()
    if not (settings.STATIC_ROOT / "osit" / "osit.css").exists():
        raise CommandError("static files are missing: run `osit init` first.")
    return serve(host, port, workers, threads=threads, with_jobs=not settings.OSIT_BROKER_URL)
