"""Create, migrate and load a django-helpdesk benchmark database; print what the runner needs.

Run with the peer's interpreter (bench/peer/run does it)::

    PYTHONPATH=bench/peer DJANGO_SETTINGS_MODULE=peerdesk.settings PEER_DB=postgres \\
    PEER_PG_URL=postgres://postgres@127.0.0.1:5432/peer_bench_10000 \\
        /tmp/osit-bench-peer/venv/bin/python bench/peer/load.py --tickets 10000 --seed 10000

Loads, once, the rows of ``shape.py`` with ``bulk_create`` in batches of 5,000 tickets (one
transaction each); a database that holds a partial load (no 100-follow-up ticket) is emptied and
loaded again. Progress goes to stderr; the last line of stdout is a JSON object: the benchmark
technician, the busiest queue, the ticket ids, the requester with the most tickets, API tokens
and the expected counts the runner checks its responses against.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import shape  # noqa: E402

CREATED_PREFIX = "bench create "  # the runner's POST /api/tickets/ titles


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_postgres_database() -> None:
    if os.environ.get("PEER_DB") != "postgres":
        return
    import psycopg

    url = urlsplit(os.environ["PEER_PG_URL"])
    name = url.path.lstrip("/")
    admin = urlunsplit(url._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
            log(f"  created database {name}")


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, required=True)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    ensure_postgres_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "peerdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    migrated = time.perf_counter() - t0

    from helpdesk.models import Ticket

    loaded = Ticket.objects.filter(title=shape.HUNDRED_TITLE).exists()
    load_seconds = None
    if not loaded:
        if Ticket.objects.exists():
            log("  a partial load: emptying the helpdesk tables")
            empty()
        load_seconds = load(args.tickets, args.seed)
    # What an earlier run's API create measurement added, so every run sees the same data.
    Ticket.objects.filter(title__startswith=CREATED_PREFIX).delete()
    if connection.vendor == "postgresql":
        connection.close()
    print(json.dumps({**info(), "migrate_s": round(migrated, 1), "load_s": load_seconds}))
    return 0


def empty() -> None:
    from django.contrib.auth.models import Permission, User
    from django.db import transaction
    from helpdesk.models import (
        FollowUp,
        FollowUpAttachment,
        Queue,
        Ticket,
        TicketCC,
        TicketChange,
        UserSettings,
    )
    from rest_framework.authtoken.models import Token

    with transaction.atomic():
        for model in (FollowUpAttachment, TicketChange, FollowUp, TicketCC, Ticket, Queue):
            model.objects.all()._raw_delete(model.objects.db)
        Token.objects.all().delete()
        UserSettings.objects.all()._raw_delete(UserSettings.objects.db)
        Permission.objects.filter(codename__startswith="queue_access_bench-").delete()
        User.objects.filter(username__startswith="bench-").delete()


def load(n: int, seed: int) -> float:
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.core.management.color import no_style
    from django.db import connection, transaction
    from helpdesk.models import (
        FollowUp,
        FollowUpAttachment,
        Queue,
        Ticket,
        TicketCC,
        TicketChange,
        UserSettings,
    )

    t0 = time.perf_counter()
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA synchronous = OFF")
    # bulk_create calls pre_save(): keep the generated dates instead of "now".
    Ticket._meta.get_field("created").auto_now_add = False
    Ticket._meta.get_field("modified").auto_now = False

    password = make_password(shape.PASSWORD)  # one hash for every account
    joined = shape.END - shape.SPAN
    with transaction.atomic():
        users = [
            User(password=password, date_joined=joined, is_active=True, **u)
            for u in shape.staff() + shape.requesters()
        ]
        User.objects.bulk_create(users, batch_size=2000)
        UserSettings.objects.bulk_create(
            (UserSettings(user_id=u.id) for u in users), batch_size=2000
        )
        content_type = ContentType.objects.get_for_model(Queue)
        queues = shape.queues()
        Permission.objects.bulk_create(
            Permission(
                name=f"Permission for queue: {q['title']}",
                content_type=content_type,
                codename=f"queue_access_{q['slug']}",
            )
            for q in queues
        )
        Queue.objects.bulk_create(
            Queue(permission_name=f"helpdesk.queue_access_{q['slug']}", **q) for q in queues
        )
    took = time.perf_counter() - t0
    log(f"  directory: {len(users):,} users, {len(queues)} queues [{took:.0f} s]")

    gen = shape.Generator(n, seed)
    done = 0

    def write(rows: shape.Rows) -> None:
        with transaction.atomic():
            Ticket.objects.bulk_create([Ticket(**r) for r in rows.tickets], batch_size=5000)
            FollowUp.objects.bulk_create([FollowUp(**r) for r in rows.followups], batch_size=5000)
            TicketChange.objects.bulk_create(
                [TicketChange(**r) for r in rows.changes], batch_size=5000
            )
            FollowUpAttachment.objects.bulk_create(
                [FollowUpAttachment(**r) for r in rows.attachments], batch_size=5000
            )
            TicketCC.objects.bulk_create([TicketCC(**r) for r in rows.ccs], batch_size=5000)

    for rows in gen.chunks():
        write(rows)
        done += len(rows.tickets)
        if done % 20_000 == 0 or done == n:
            rate = done / (time.perf_counter() - t0)
            log(f"  {done:,} tickets ({rate:,.0f}/s)")
    write(gen.hundred())  # last: its presence marks a complete load

    models = [User, UserSettings, Permission, Queue, Ticket, FollowUp, TicketChange]
    models += [FollowUpAttachment, TicketCC]
    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), models):
            cursor.execute(sql)
        cursor.execute("ANALYZE")
    seconds = round(time.perf_counter() - t0, 1)
    log(f"  loaded {n:,} tickets in {seconds} s")
    return seconds


def info() -> dict:
    from django.contrib.auth.models import User
    from django.db.models import Count, Q
    from helpdesk.models import FollowUp, Queue, Ticket
    from rest_framework.authtoken.models import Token

    open_q = Q(status__in=shape.OPEN_STATUSES)
    busiest = (
        Queue.objects.filter(slug__startswith="bench-q")
        .annotate(n=Count("ticket", filter=Q(ticket__status__in=shape.OPEN_STATUSES)))
        .order_by("-n", "id")
        .first()
    )
    index = int(busiest.slug.removeprefix("bench-q"))
    tech = User.objects.get(pk=shape.techs_of_queue(index)[0])
    five = (
        Ticket.objects.filter(queue=busiest)
        .annotate(n=Count("followup"))
        .filter(n=5)
        .order_by("-id")
        .first()
    )
    hundred = Ticket.objects.get(title=shape.HUNDRED_TITLE)
    top = (
        Ticket.objects.filter(submitter_email__startswith="user")
        .values("submitter_email")
        .annotate(n=Count("id"))
        .order_by("-n", "submitter_email")
        .first()
    )
    requester = User.objects.get(email=top["submitter_email"])
    tokens = {u.username: Token.objects.get_or_create(user=u)[0].key for u in (tech, requester)}
    return {
        "tickets": Ticket.objects.count(),
        "followups": FollowUp.objects.count(),
        "queue": {"id": busiest.id, "slug": busiest.slug, "open": busiest.n},
        "tech": {
            "id": tech.id,
            "username": tech.username,
            "open_owned": Ticket.objects.filter(open_q, assigned_to=tech).count(),
        },
        "unowned_open": Ticket.objects.filter(open_q, assigned_to__isnull=True).count(),
        "open": Ticket.objects.filter(open_q).count(),
        "five": five.id,
        "hundred": hundred.id,
        "hundred_followups": hundred.followup_set.count(),
        "requester": {
            "username": requester.username,
            "email": requester.email,
            "tickets": top["n"],
        },
        "tokens": tokens,
    }


if __name__ == "__main__":
    raise SystemExit(main())
