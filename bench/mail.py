#!/usr/bin/env python3
"""Mail ingestion benchmark (issue 4): messages per second through `osit mailgate` (one process
per message, as an MTA alias runs it) and through the LMTP listener (one connection per client).

    .venv/bin/python bench/mail.py [--messages 1000] [--databases sqlite,postgres] [--concurrency 4]

Half of the messages open tickets, the other half reply to them (subject tag). Each run uses a
fresh data directory (and PostgreSQL database). Prints a table and writes bench/results/mail-*.json.
"""

from __future__ import annotations

import argparse
import json
import os
import smtplib
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
OSIT = [str(Path(sys.executable).with_name("osit"))]
PG_BASE = os.environ.get("OSIT_BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432")


def message(i: int, reply_to: int | None) -> bytes:
    subject = f"Re: [OSIT #{reply_to}] Printer {i}" if reply_to else f"Printer {i} is on fire"
    return (
        f"From: User {i % 50} <user{i % 50}@bench.test>\r\nTo: desk@bench.test\r\n"
        f"Subject: {subject}\r\nMessage-ID: <bench-{i}-{time.time_ns()}@bench.test>\r\n"
        f"Date: Mon, 23 Nov 2026 09:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Message {i}: the printer on floor {i % 7} shows error E{i % 97:02d}.\r\n"
    ).encode()


def env_for(db: str, tmp: Path, name: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OSIT_")}
    env["OSIT_DATA_DIR"] = str(tmp / "data")
    if db == "postgres":
        import psycopg

        with psycopg.connect(f"{PG_BASE}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        env["OSIT_DATABASE_URL"] = f"{PG_BASE}/{name}"
    return env


def prepare(env: dict[str, str]) -> None:
    subprocess.run([*OSIT, "init"], env=env, check=True, capture_output=True)
    subprocess.run([*OSIT, "service", "add", "desk", "--name", "Desk", "--email",
                    "desk@bench.test"], env=env, check=True, capture_output=True)


def first_number(env: dict[str, str]) -> int:
    code = ("import django,os;os.environ.setdefault('DJANGO_SETTINGS_MODULE','osit.settings');"
            "django.setup();from osit.tickets.models import Ticket;"
            "print(Ticket.objects.order_by('pk').values_list('pk',flat=True).first() or 0)")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    return int(out.stdout.strip() or 0)


def run_mailgate(env, raws, concurrency) -> float:
    def one(raw):
        result = subprocess.run([*OSIT, "mailgate"], input=raw, env=env, capture_output=True)
        if result.returncode != 0:
            raise SystemExit(result.stderr.decode())

    t0 = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, raws))
    return time.perf_counter() - t0


def run_lmtp(env, raws, concurrency) -> float:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # Its log goes to a file: an unread pipe would fill up and block the listener.
    log = open(Path(env["OSIT_DATA_DIR"]).parent / "lmtp.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [*OSIT, "lmtp", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            if time.monotonic() > deadline:
                raise SystemExit("osit lmtp did not start") from None
            time.sleep(0.2)
    chunks = [raws[i::concurrency] for i in range(concurrency)]

    def client(chunk):
        with smtplib.LMTP("127.0.0.1", port) as lmtp:
            for raw in chunk:
                refused = lmtp.sendmail("user@bench.test", ["desk@bench.test"], raw)
                if refused:
                    raise SystemExit(f"refused: {refused}")

    try:
        t0 = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(client, chunks))
        return time.perf_counter() - t0
    finally:
        proc.terminate()
        proc.wait(20)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=1000)
    parser.add_argument("--ways", default="mailgate,lmtp", help="mailgate, lmtp or both")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    half = args.messages // 2
    (HERE / "results").mkdir(exist_ok=True)
    for db in args.databases.split(","):
        for way in args.ways.split(","):
            with tempfile.TemporaryDirectory(prefix="osit-mailbench-") as tmp:
                env = env_for(db, Path(tmp), f"osit_mailbench_{way}")
                prepare(env)
                runner = run_mailgate if way == "mailgate" else run_lmtp
                new = [message(i, None) for i in range(half)]
                t_new = runner(env, new, args.concurrency)
                base = first_number(env)
                replies = [message(half + i, base + i % half) for i in range(half)]
                t_rep = runner(env, replies, args.concurrency)
                total = args.messages / (t_new + t_rep)
                row = {"db": db, "way": way, "messages": args.messages,
                       "new_per_s": round(half / t_new, 1), "replies_per_s": round(half / t_rep, 1),
                       "overall_per_s": round(total, 1), "concurrency": args.concurrency}
                print(json.dumps(row), flush=True)
                (HERE / "results" / f"mail-{db}-{way}.json").write_text(json.dumps(row, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
