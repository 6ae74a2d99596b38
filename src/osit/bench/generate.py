"""A benchmark desk: a realistic organisation and N tickets with their whole history.

``osit bench seed --tickets N [--seed S]`` (issue 5). Deterministic for a given seed and starting
database. Directory rows go through the ORM (tens of thousands); tickets, comments, time entries,
watchers and events are streamed in chunks — COPY on PostgreSQL, ``executemany`` in one
transaction per chunk on SQLite — with the secondary indexes of those tables dropped first and
rebuilt at the end. Events are hash-chained exactly as ``osit.audit.chain.append`` does, so
``osit audit verify`` passes on a generated database.

The shape (SPEC §2, issue 5): ~20 services, ~150 applications, ~300 agents, ~20,000 requesters
in ~200 organisations; most tickets closed, a few per cent active per service; every severity,
criticality and channel; 2–15 replies or notes each; time entries on notes; re-routes; a few
watchers and attachments.
"""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.files.storage import default_storage
from django.db import connection, models, transaction

from osit.audit.chain import compute_hash
from osit.audit.models import ChainHead, Event
from osit.bench import words
from osit.bench.words import NOUNS, PROBLEMS, SERVICE_NAMES
from osit.directory import actions as d
from osit.directory.models import Application, Organisation, Service, User
from osit.tickets.choices import Channel, Criticality, Severity, Status, Visibility, WatcherKind
from osit.tickets.models import ActivityType, Attachment, Comment, Ticket, TimeEntry, Watcher
from osit.tickets.priority import compute_priority

MARKER_SERVICE = "bench-s00"
END = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
CHUNK = 5000
PASSWORD = "bench"  # noqa: S105 — every generated account; documented in bench/README.md

N_SERVICES = 20
N_APPLICATIONS = 150
N_AGENTS = 300
N_REQUESTERS = 20_000
N_ORGANISATIONS = 200

STATUS_ACTIVE = [
    (Status.NEW, 25),
    (Status.OPEN, 45),
    (Status.PENDING_CUSTOMER, 12),
    (Status.PENDING_DECISION, 6),
    (Status.RESOLVED, 12),
]
SEVERITIES = [(Severity.MAJOR, 15), (Severity.MODERATE, 55), (Severity.MINOR, 30)]
CRITICALITIES = [
    (Criticality.BLOCKING, 20),
    (Criticality.NON_BLOCKING, 74),
    (Criticality.ENHANCEMENT, 6),
]
CHANNELS = [
    (Channel.PHONE, 35),
    (Channel.EMAIL, 35),
    (Channel.WEB, 20),
    (Channel.MONITORING, 7),
    (Channel.API, 3),
]


def _weighted(rng: random.Random, pairs: Sequence[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


@dataclass
class Org:
    services: list[Service]
    apps_by_service: dict[int, list[Application]]
    techs_by_service: dict[int, list[User]]
    operators: list[User]
    managers: list[User]
    requesters: list[tuple[int, str, int | None]]  # (id, username, organisation id)
    labels: dict[int, str]  # display names, as events keep them
    usernames: dict[int, str]
    activities: list[ActivityType]


@dataclass
class Stats:
    tickets: int = 0
    comments: int = 0
    events: int = 0
    time_entries: int = 0
    watchers: int = 0
    attachments: int = 0
    seconds: float = 0.0
    phases: dict[str, float] = field(default_factory=dict)


# --- the directory ------------------------------------------------------------------------


def _directory(rng: random.Random) -> Org:
    groups = d.ensure_roles()
    if not Service.objects.filter(slug=MARKER_SERVICE).exists():
        _create_directory(rng, groups)
    services = list(Service.objects.filter(slug__startswith="bench-s").order_by("slug"))
    apps_by_service: dict[int, list[Application]] = {s.pk: [] for s in services}
    for app in Application.objects.filter(slug__startswith="bench-a").order_by("slug"):
        apps_by_service[app.service_id].append(app)
    techs_by_service: dict[int, list[User]] = {s.pk: [] for s in services}
    through = Service.members.through
    members = through.objects.filter(service__in=services).values_list("service_id", "user_id")
    agents = {
        u.pk: u for u in User.objects.filter(username__startswith="bench-agent-").order_by("id")
    }
    for service_id, user_id in sorted(members):
        techs_by_service[service_id].append(agents[user_id])
    role_of = dict(
        User.groups.through.objects.filter(user_id__in=agents).values_list("user_id", "group__name")
    )
    people = list(
        User.objects.filter(username__startswith="bench-user-")
        .order_by("id")
        .values_list("id", "username", "organisation_id", "first_name", "last_name")
    )
    requesters = [(pk, name, org) for pk, name, org, _f, _l in people]
    labels = {u.pk: u.display_name for u in agents.values()}
    labels.update({pk: f"{first} {last}" for pk, _n, _o, first, last in people})
    usernames = {u.pk: u.username for u in agents.values()}
    activities = list(ActivityType.objects.order_by("slug"))
    return Org(
        services=services,
        apps_by_service=apps_by_service,
        techs_by_service=techs_by_service,
        operators=[u for u in agents.values() if role_of.get(u.pk) == "operator"],
        managers=[u for u in agents.values() if role_of.get(u.pk) == "manager"],
        requesters=requesters,
        labels=labels,
        usernames=usernames,
        activities=activities,
    )


def _create_directory(rng: random.Random, groups: dict[str, Group]) -> None:
    password = make_password(PASSWORD)
    with transaction.atomic():
        services = Service.objects.bulk_create(
            Service(
                slug=f"bench-s{i:02d}",
                name=SERVICE_NAMES[i % len(SERVICE_NAMES)],
                email=f"bench-s{i:02d}@bench.osit.example",
            )
            for i in range(N_SERVICES)
        )
        services = list(Service.objects.filter(slug__startswith="bench-s").order_by("slug"))
        Application.objects.bulk_create(
            Application(
                slug=f"bench-a{i:03d}",
                name=f"{rng.choice(NOUNS).capitalize()} {i:03d}",
                service=services[i % N_SERVICES],
            )
            for i in range(N_APPLICATIONS)
        )
        Organisation.objects.bulk_create(
            Organisation(slug=f"bench-o{i:03d}", name=f"Customer {i:03d}")
            for i in range(N_ORGANISATIONS)
        )
        orgs = list(Organisation.objects.filter(slug__startswith="bench-o").order_by("slug"))
        # 300 agents: 240 technicians (12 per service), 40 operators, 15 managers, 5 admins.
        roles = ["technician"] * 240 + ["operator"] * 40 + ["manager"] * 15 + ["admin"] * 5
        User.objects.bulk_create(
            User(
                username=f"bench-agent-{i:03d}",
                email=f"agent{i:03d}@bench.osit.example",
                first_name=f"Agent{i:03d}",
                last_name=roles[i].capitalize(),
                password=password,
            )
            for i in range(N_AGENTS)
        )
        agents = list(User.objects.filter(username__startswith="bench-agent-").order_by("id"))
        User.groups.through.objects.bulk_create(
            User.groups.through(user_id=u.pk, group_id=groups[roles[i]].pk)
            for i, u in enumerate(agents)
        )
        Service.members.through.objects.bulk_create(
            Service.members.through(service_id=services[i % N_SERVICES].pk, user_id=u.pk)
            for i, u in enumerate(agents[:240])
        )
        batch = []
        for i in range(N_REQUESTERS):
            batch.append(
                User(
                    username=f"bench-user-{i:05d}",
                    email=f"user{i:05d}@bench.osit.example",
                    first_name=f"User{i:05d}",
                    last_name=f"Customer{i % N_ORGANISATIONS:03d}",
                    phone=f"+3310{i:07d}",
                    organisation=orgs[i % N_ORGANISATIONS],
                    password=password,
                )
            )
        User.objects.bulk_create(batch, batch_size=2000)
        requester_group = groups["requester"].pk
        ids = User.objects.filter(username__startswith="bench-user-").values_list("id", flat=True)
        User.groups.through.objects.bulk_create(
            (User.groups.through(user_id=uid, group_id=requester_group) for uid in ids),
            batch_size=5000,
        )
        if not ActivityType.objects.exists():
            ActivityType.objects.bulk_create(
                [
                    ActivityType(slug="diagnosis", name="Diagnosis"),
                    ActivityType(slug="fix", name="Fix"),
                    ActivityType(slug="travel", name="Travel", billable_by_default=False),
                ]
            )


# --- bulk writing -------------------------------------------------------------------------


class Writer:
    """Rows of one model as dicts by attname → the table, COPY or executemany."""

    def __init__(self, model: type[models.Model]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields = [f for f in model._meta.concrete_fields]
        self.columns = [f.column for f in self.fields]
        self.defaults: dict[str, Any] = {}
        for f in self.fields:
            default = f.get_default() if f.has_default() else None
            if isinstance(f, models.JSONField):
                default = json.dumps(default if default is not None else None)
            self.defaults[f.attname] = default
        self.json = {f.attname for f in self.fields if isinstance(f, models.JSONField)}
        self.pg = connection.vendor == "postgresql"

    def _row(self, values: dict[str, Any]) -> tuple[Any, ...]:
        out = []
        for f in self.fields:
            name = f.attname
            if name in values:
                value = values[name]
                if name in self.json:
                    value = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
            else:
                value = self.defaults[name]
            if not self.pg:
                if isinstance(value, datetime):
                    value = connection.ops.adapt_datetimefield_value(value)
                elif isinstance(value, bool):
                    value = int(value)
            out.append(value)
        return tuple(out)

    def write(self, rows: Iterable[dict[str, Any]]) -> int:
        n = 0
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        with connection.cursor() as cursor:
            if self.pg:
                raw = cursor.cursor
                with raw.copy(f"COPY {self.table} ({cols}) FROM STDIN") as copy:
                    for values in rows:
                        copy.write_row(self._row(values))
                        n += 1
            else:
                marks = ", ".join("%s" for _ in self.columns)
                batch = [self._row(v) for v in rows]
                sql = f"INSERT INTO {self.table} ({cols}) VALUES ({marks})"  # noqa: S608 — model metadata
                cursor.executemany(sql, batch)
                n = len(batch)
        return n


TABLES = (Ticket, Comment, TimeEntry, Watcher, Attachment, Event)


def _secondary_indexes(model: type[models.Model]) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the table's non-unique indexes."""
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s "
                "AND sql IS NOT NULL",
                [table],
            )
        rows = cursor.fetchall()
    return [(name, sql) for name, sql in rows if "UNIQUE" not in sql.upper()]


def _drop_indexes() -> list[tuple[str, str]]:
    dropped = []
    with connection.cursor() as cursor:
        for model in TABLES:
            for name, sql in _secondary_indexes(model):
                cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
                dropped.append((name, sql))
    return dropped


def _create_indexes(dropped: list[tuple[str, str]]) -> None:
    with connection.cursor() as cursor:
        for _name, sql in dropped:
            cursor.execute(sql)


def _next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(m=models.Max("pk"))["m"] or 0) + 1


def _reset_sequences() -> None:
    if connection.vendor != "postgresql":
        return  # SQLite's AUTOINCREMENT follows the largest id inserted
    with connection.cursor() as cursor:
        for model in TABLES:
            table = model._meta.db_table
            pk = model._meta.pk.column
            # Table and column names come from the models, not from input.
            biggest = f"SELECT MAX({pk}) FROM {table}"  # noqa: S608
            sql = f"SELECT setval(pg_get_serial_sequence(%s, %s), COALESCE(({biggest}), 1))"
            cursor.execute(sql, [table, pk])


# --- tickets ------------------------------------------------------------------------------


class Generator:
    def __init__(self, org: Org, rng: random.Random, n: int) -> None:
        self.org, self.rng, self.n = org, rng, n
        self.ticket_id = _next_id(Ticket)
        self.comment_id = _next_id(Comment)
        self.entry_id = _next_id(TimeEntry)
        self.watcher_id = _next_id(Watcher)
        self.attachment_id = _next_id(Attachment)
        self.event_id = _next_id(Event)
        head, _ = ChainHead.objects.get_or_create(id=1)
        self.seq, self.prev = head.seq, head.hash
        self.weights = [rng.uniform(0.3, 3.0) for _ in org.services]  # busy and quiet services
        self.start = END - SPAN

    def _text(self) -> str:
        return words.text(self.rng)

    def _event(
        self,
        out: list[dict[str, Any]],
        *,
        ticket: int,
        actor: int,
        channel: str,
        kind: str,
        at: datetime,
        internal: bool = False,
        **data: Any,
    ) -> None:
        self.seq += 1
        label = self.org.labels[actor]
        digest = compute_hash(
            seq=self.seq,
            prev_hash=self.prev,
            ticket_id=ticket,
            actor_id=actor,
            actor_label=label,
            channel=channel,
            kind=kind,
            internal=internal,
            data=data,
            created_at=at,
        )
        out.append(
            {
                "id": self.event_id,
                "seq": self.seq,
                "ticket_id": ticket,
                "actor_id": actor,
                "actor_label": label,
                "channel": channel,
                "kind": kind,
                "internal": internal,
                "data": data,
                "created_at": at,
                "prev_hash": self.prev,
                "hash": digest,
            }
        )
        self.event_id += 1
        self.prev = digest

    def chunk(self, i0: int, count: int) -> dict[type[models.Model], list[dict[str, Any]]]:
        rng, org = self.rng, self.org
        tickets: list[dict[str, Any]] = []
        comments: list[dict[str, Any]] = []
        entries: list[dict[str, Any]] = []
        watchers: list[dict[str, Any]] = []
        attachments: list[dict[str, Any]] = []
        events: list[dict[str, Any]] = []
        for i in range(i0, i0 + count):
            tid = self.ticket_id
            self.ticket_id += 1
            created = self.start + SPAN * (i / self.n) + timedelta(seconds=rng.uniform(0, 60))
            si = rng.choices(range(len(org.services)), weights=self.weights)[0]
            service = org.services[si]
            apps = org.apps_by_service[service.pk]
            app = rng.choice(apps) if apps and rng.random() < 0.85 else None
            techs = org.techs_by_service[service.pk]
            req_id, _req_name, req_org = rng.choice(org.requesters)
            severity = _weighted(rng, SEVERITIES)
            criticality = _weighted(rng, CRITICALITIES)
            channel = _weighted(rng, CHANNELS)
            recent = i >= self.n * 0.97
            active = rng.random() < (0.6 if recent else 0.02)
            if criticality == Criticality.ENHANCEMENT and active:
                status = rng.choice([Status.PENDING_DECISION, Status.OPEN])
            elif active:
                status = _weighted(
                    rng, [s for s in STATUS_ACTIVE if s[0] != Status.PENDING_DECISION]
                )
            else:
                status = Status.CLOSED
            creator = req_id if channel == Channel.WEB else rng.choice(org.operators).pk
            thing = app.name if app else rng.choice(NOUNS).capitalize()
            subject = f"{thing} {rng.choice(PROBLEMS)}"
            owner = None if status == Status.NEW else rng.choice(techs).pk
            self._event(
                events,
                ticket=tid,
                actor=creator,
                channel=channel,
                kind="created",
                at=created,
                subject=subject,
                requester=_req_name,
                service=service.slug,
                application=app.slug if app else None,
                severity=severity,
                criticality=criticality,
                priority=compute_priority(severity, criticality, None),
                status=Status.PENDING_DECISION
                if criticality == Criticality.ENHANCEMENT
                else Status.NEW,
            )
            at = created
            if owner:
                at += timedelta(minutes=rng.uniform(2, 240))
                self._event(
                    events,
                    ticket=tid,
                    actor=owner,
                    channel=Channel.WEB,
                    kind="owner_changed",
                    at=at,
                    old=None,
                    new=self.org.usernames[owner],
                )
            n_comments = 2 + min(11, int(rng.expovariate(1 / 3.5)))
            minutes_total = 0
            n_rows = 0
            final_service = service
            for k in range(n_comments):
                at += timedelta(minutes=rng.uniform(5, 600))
                internal = owner is not None and rng.random() < 0.35
                if internal or (owner and k % 2 == 1):
                    author = owner or rng.choice(techs).pk
                else:
                    author = req_id if rng.random() < 0.5 else rng.choice(techs).pk
                cid = self.comment_id
                self.comment_id += 1
                n_rows += 1
                comments.append(
                    {
                        "id": cid,
                        "ticket_id": tid,
                        "author_id": author,
                        "body": self._text(),
                        "visibility": Visibility.INTERNAL if internal else Visibility.PUBLIC,
                        "channel": Channel.EMAIL if author == req_id else Channel.WEB,
                        "created_at": at,
                    }
                )
                self._event(
                    events,
                    ticket=tid,
                    actor=author,
                    channel=Channel.EMAIL if author == req_id else Channel.WEB,
                    kind="note_added" if internal else "reply_added",
                    at=at,
                    internal=internal,
                    comment_id=cid,
                )
                if internal and rng.random() < 0.7:
                    minutes = rng.choice([5, 10, 15, 20, 30, 45, 60, 90, 120])
                    activity = rng.choice(org.activities) if org.activities else None
                    eid = self.entry_id
                    self.entry_id += 1
                    entries.append(
                        {
                            "id": eid,
                            "ticket_id": tid,
                            "comment_id": cid,
                            "technician_id": author,
                            "minutes": minutes,
                            "date": at.date(),
                            "activity_id": activity.pk if activity else None,
                            "billable": activity.billable_by_default if activity else True,
                            "text": "",
                            "created_at": at,
                        }
                    )
                    minutes_total += minutes
                    self._event(
                        events,
                        ticket=tid,
                        actor=author,
                        channel=Channel.WEB,
                        kind="time_logged",
                        at=at,
                        internal=True,
                        time_entry_id=eid,
                        minutes=minutes,
                        activity=activity.slug if activity else None,
                        billable=activity.billable_by_default if activity else True,
                        date=at.date().isoformat(),
                    )
                if k == 0 and rng.random() < 0.1 and len(org.services) > 1:
                    # Re-routed after the first exchange, with its justification note.
                    other = org.services[
                        (si + rng.randrange(1, len(org.services))) % len(org.services)
                    ]
                    at += timedelta(minutes=rng.uniform(5, 120))
                    nid = self.comment_id
                    self.comment_id += 1
                    actor = owner or rng.choice(org.operators).pk
                    n_rows += 1
                    comments.append(
                        {
                            "id": nid,
                            "ticket_id": tid,
                            "author_id": actor,
                            "body": "Re-routed: " + self._text(),
                            "visibility": Visibility.INTERNAL,
                            "channel": Channel.WEB,
                            "created_at": at,
                        }
                    )
                    self._event(
                        events,
                        ticket=tid,
                        actor=actor,
                        channel=Channel.WEB,
                        kind="rerouted",
                        at=at,
                        old=final_service.slug,
                        new=other.slug,
                        owner_cleared=None,
                        comment_id=nid,
                    )
                    final_service = other
                    if owner and owner not in {u.pk for u in org.techs_by_service[other.pk]}:
                        owner = (
                            rng.choice(org.techs_by_service[other.pk]).pk
                            if status != Status.NEW
                            else None
                        )
            resolved_at = closed_at = None
            status_changed = at
            if status in (Status.RESOLVED, Status.CLOSED, Status.PENDING_CUSTOMER, Status.OPEN):
                at += timedelta(minutes=rng.uniform(10, 2000))
                actor = owner or rng.choice(org.techs_by_service[final_service.pk]).pk
                cid = self.comment_id
                self.comment_id += 1
                comments.append(
                    {
                        "id": cid,
                        "ticket_id": tid,
                        "author_id": actor,
                        "body": self._text(),
                        "visibility": Visibility.PUBLIC,
                        "channel": Channel.WEB,
                        "created_at": at,
                    }
                )
                n_rows += 1
                old = Status.OPEN if owner else Status.NEW
                if status != old:
                    self._event(
                        events,
                        ticket=tid,
                        actor=actor,
                        channel=Channel.WEB,
                        kind="status_changed",
                        at=at,
                        old=old,
                        new=status,
                        comment_id=cid,
                    )
                status_changed = at
                if status == Status.RESOLVED:
                    resolved_at = at
                if status == Status.CLOSED:
                    closed_at = at
            if rng.random() < 0.05:
                wid = self.watcher_id
                self.watcher_id += 1
                watchers.append(
                    {
                        "id": wid,
                        "ticket_id": tid,
                        "user_id": rng.choice(org.requesters)[0],
                        "kind": WatcherKind.CC,
                    }
                )
            if rng.random() < 0.004:
                content = f"log of ticket {tid}\n".encode() * 20
                digest = hashlib.sha256(content).hexdigest()
                name = f"tickets/{tid}/{digest[:2]}/{digest}"
                if not default_storage.exists(name):
                    default_storage.save(name, _Bytes(content))
                aid = self.attachment_id
                self.attachment_id += 1
                attachments.append(
                    {
                        "id": aid,
                        "ticket_id": tid,
                        "comment_id": None,
                        "file": name,
                        "filename": "error.log",
                        "content_type": "text/plain",
                        "size": len(content),
                        "sha256": digest,
                        "uploaded_by_id": creator,
                        "internal": False,
                        "created_at": created,
                    }
                )
                self._event(
                    events,
                    ticket=tid,
                    actor=creator,
                    channel=channel,
                    kind="attachment_added",
                    at=created,
                    attachment_id=aid,
                    filename="error.log",
                    size=len(content),
                )
            tickets.append(
                {
                    "id": tid,
                    "subject": subject,
                    "description": self._text(),
                    "requester_id": req_id,
                    "organisation_id": req_org,
                    "site_id": None,
                    "application_id": app.pk if app else None,
                    "service_id": final_service.pk,
                    "owner_id": owner,
                    "created_by_id": creator,
                    "channel": channel,
                    "type": "enhancement" if criticality == Criticality.ENHANCEMENT else "incident",
                    "severity": severity,
                    "criticality": criticality,
                    "priority": compute_priority(severity, criticality, None),
                    "priority_reason": "",
                    "status": status,
                    "tags": [],
                    "custom_fields": {},
                    "time_spent_minutes": minutes_total,
                    "comment_count": n_rows,
                    "due_at": None,
                    "created_at": created,
                    "updated_at": at,
                    "status_changed_at": status_changed,
                    "resolved_at": resolved_at,
                    "closed_at": closed_at,
                    "version": 1 + n_rows,
                }
            )
        return {
            Ticket: tickets,
            Comment: comments,
            TimeEntry: entries,
            Watcher: watchers,
            Attachment: attachments,
            Event: events,
        }


class _Bytes:
    """A minimal File for default_storage.save from bytes."""

    def __init__(self, data: bytes) -> None:
        from django.core.files.base import ContentFile

        self._file = ContentFile(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._file, name)

    def chunks(self, chunk_size: int | None = None) -> Iterable[bytes]:
        return self._file.chunks(chunk_size)


def seed(tickets: int, *, seed: int = 1, progress: Callable[[str], None] = lambda s: None) -> Stats:
    """Load ``tickets`` generated tickets (and the directory, once). Returns what was written."""
    stats = Stats()
    t0 = time.perf_counter()
    rng = random.Random(seed)
    org = _directory(rng)
    stats.phases["directory"] = time.perf_counter() - t0
    progress(f"directory ready in {stats.phases['directory']:.1f} s")
    gen = Generator(org, rng, tickets)
    writers = {model: Writer(model) for model in TABLES}
    t1 = time.perf_counter()
    dropped = _drop_indexes() if tickets >= 20_000 else []
    try:
        done = 0
        while done < tickets:
            count = min(CHUNK, tickets - done)
            rows = gen.chunk(done, count)
            with transaction.atomic():
                for model in TABLES:
                    written = writers[model].write(rows[model])
                    attr = {
                        Ticket: "tickets",
                        Comment: "comments",
                        TimeEntry: "time_entries",
                        Watcher: "watchers",
                        Attachment: "attachments",
                        Event: "events",
                    }[model]
                    setattr(stats, attr, getattr(stats, attr) + written)
                ChainHead.objects.update_or_create(
                    id=1, defaults={"seq": gen.seq, "hash": gen.prev}
                )
            done += count
            if done % (CHUNK * 20) == 0 or done == tickets:
                rate = done / (time.perf_counter() - t1)
                progress(f"{done:,} tickets ({rate:,.0f}/s)")
    finally:
        stats.phases["rows"] = time.perf_counter() - t1
        t2 = time.perf_counter()
        if dropped:
            progress(f"building {len(dropped)} indexes…")
            _create_indexes(dropped)
        _reset_sequences()
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql" and not connection.in_atomic_block:
                # Sets the visibility map too, so counts over an index need not visit the table
                # (what autovacuum does for a live desk, some time after a load).
                cursor.execute(f"VACUUM ANALYZE {Ticket._meta.db_table}")
            cursor.execute("ANALYZE")
        stats.phases["indexes"] = time.perf_counter() - t2
    stats.seconds = time.perf_counter() - t0
    return stats
