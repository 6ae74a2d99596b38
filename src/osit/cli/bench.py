"""``osit bench seed``: load a generated desk for benchmarks (see bench/README.md)."""

from __future__ import annotations

import argparse
import sys

from osit.cli.base import CommandError, require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "bench",
        help="benchmark data (for measuring OSIT, never on a production database)",
        description="Benchmark data. The runner that measures the pages is bench/run.",
    )
    sub = parser.add_subparsers(dest="bench_command", metavar="ACTION", required=True)
    seed = sub.add_parser(
        "seed",
        help="add N generated tickets (and the benchmark organisation, once)",
        description="Add a generated organisation (20 services, 150 applications, 300 agents, "
        "20,000 requesters in 200 organisations; every account's password is 'bench') once, "
        "then N tickets with their comments, time entries, re-routes, watchers, attachments "
        "and hash-chained history. Deterministic for a given --seed and starting database. "
        "Run it again to add more tickets.",
    )
    seed.add_argument("--tickets", type=int, required=True, metavar="N", help="how many tickets")
    seed.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    seed.set_defaults(func=run_seed)


def run_seed(args: argparse.Namespace) -> int:
    from osit.bench.generate import seed

    require_initialised()
    if args.tickets < 1:
        raise CommandError("--tickets must be at least 1.")
    stats = seed(
        args.tickets,
        seed=args.seed,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
    )
    print(
        f"{stats.tickets:,} tickets, {stats.comments:,} comments, {stats.time_entries:,} time "
        f"entries, {stats.events:,} events, {stats.watchers:,} watchers, "
        f"{stats.attachments:,} attachments in {stats.seconds:.1f} s "
        f"({stats.tickets / max(stats.seconds, 1e-9):,.0f} tickets/s)"
    )
    return 0
