"""``osit audit verify``: check the hash chain of the whole history."""

from __future__ import annotations

import argparse
import sys

from osit.cli.base import require_initialised


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "audit",
        help="check the tamper-evident history",
        description="Check the tamper-evident history.",
    )
    sub = parser.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    verify = sub.add_parser(
        "verify",
        help="verify the hash chain of every event",
        description="Recompute the hash chain of the whole history. Exit 0 "
        "when intact; otherwise list each modified, inserted or "
        "deleted event on standard error and exit 1.",
    )
    verify.set_defaults(func=run_verify)


def run_verify(args: argparse.Namespace) -> int:
    from osit.audit.chain import verify

    require_initialised()
    checked, problems = verify()
    if not problems:
        print(f"OK: {checked} events, chain intact")
        return 0
    for problem in problems:
        print(f"TAMPERED: {problem.message}", file=sys.stderr)
    print(f"{len(problems)} problem(s) in {checked} events", file=sys.stderr)
    return 1
