"""``osit worker``: background jobs — a Celery worker with beat, or the embedded loop."""

from __future__ import annotations

import argparse
import signal
import threading

from osit.cli.base import require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "worker",
        help="run the background jobs (Celery when OSIT_BROKER_URL is set)",
        description=(
            "With OSIT_BROKER_URL set, start a Celery worker with its periodic schedule (beat). "
            "Without it, run the embedded job loop in this process. Any number of workers may "
            "run: due work is claimed with SELECT … FOR UPDATE SKIP LOCKED."
        ),
    )
    parser.add_argument(
        "--once", action="store_true", help="run every job once and exit (for cron and tests)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=2, help="Celery worker processes (default: %(default)s)"
    )
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from django.conf import settings
    from django.db import connections

    require_initialised()
    if args.once:
        from osit.jobs.embedded import run_once

        results = run_once()
        for name, result in results.items():
            shown = "failed (see the log above)" if result is None else result or "nothing to do"
            print(f"{name}: {shown}")
        # The exit code is what cron wrappers and monitoring look at: a failed job fails it.
        return 1 if any(result is None for result in results.values()) else 0
    if settings.OSIT_BROKER_URL:
        from osit.jobs.celery_app import make_app

        app = make_app()
        settings.DATA_DIR.mkdir(parents=True, exist_ok=True)  # beat keeps its schedule there
        # Celery forks its pool from this process: the connection opened by the checks above
        # must not be shared with the children.
        connections.close_all()
        app.worker_main(
            [
                "worker",
                "--beat",
                "--loglevel=INFO",
                f"--concurrency={args.concurrency}",
                "--without-gossip",
                "--without-mingle",
                f"--schedule={settings.DATA_DIR / 'celerybeat-schedule'}",
            ]
        )
        return 0
    from osit.jobs.embedded import run_forever

    stop = threading.Event()
    # Both signals let the job that is running finish its transaction before the loop ends.
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    run_forever(stop)
    return 0
