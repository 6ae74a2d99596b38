"""The benchmark data for the django-helpdesk peer, in the shape of OSIT's generator
(src/osit/bench/generate.py), as plain rows: standard library only, deterministic for a seed.

``bench/peer/load.py`` (run with the peer's interpreter) turns these rows into django-helpdesk
models; the tests import this module directly at a tiny size.

The shape, mapped onto django-helpdesk's model:

- 20 queues (OSIT's services) with busy and quiet ones (the same weights as OSIT's generator);
- 300 staff users ``bench-agent-000``…: 240 technicians, 12 per queue, who own that queue's
  tickets; 40 operators, 15 managers, 5 superusers. Every password is ``bench``;
- 20,000 requesters ``bench-user-00000``… with an e-mail address, as Django users (non-staff):
  django-helpdesk only shows a requester their tickets ("My tickets") when they log in with an
  account whose e-mail is the ticket's ``submitter_email``;
- N tickets over three years ending 2026-11-01: ~95 % closed (a few duplicates), the last 3 %
  of them 60 % open; open ones Open (some Reopened), Resolved, or on hold (OSIT's pending);
  priorities 1–5; most assigned to a technician of their queue, none of the "new" ones;
- follow-ups as django-helpdesk writes them: the first is "Ticket Opened" (with the
  description), then comments (public or private, from staff or, by e-mail, from the
  submitter), 2–15 in all like OSIT's comments; time spent on most private ones; ~10 %
  re-routed after the first exchange (a private follow-up plus a ``Queue`` TicketChange holding
  the queue ids, as ``update_ticket`` records it); the closing follow-up sets ``new_status``
  with a ``Status`` TicketChange; a few CCs (OSIT's watchers) and attachment rows;
- one ticket with exactly 100 follow-ups, in the busiest queue, owned by the technician.
"""

from __future__ import annotations

import importlib.util
import random
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

END = datetime(2026, 11, 1, 8, 0, tzinfo=UTC)
SPAN = timedelta(days=3 * 365)
CHUNK = 5000
PASSWORD = "bench"  # every generated account

N_QUEUES = 20
N_STAFF = 300
N_TECHS = 240  # the first 240 staff users: 12 per queue
N_REQUESTERS = 20_000
HUNDRED_TITLE = "bench: a ticket with 100 follow-ups"

# django-helpdesk's default statuses
OPEN, REOPENED, RESOLVED, CLOSED, DUPLICATE = 1, 2, 3, 4, 5
OPEN_STATUSES = (OPEN, REOPENED)
STATUS_NAMES = {1: "Open", 2: "Reopened", 3: "Resolved", 4: "Closed", 5: "Duplicate"}

# The same vocabulary as OSIT's generator, so a search for "printer" finds a similar share;
# read from its file because the peer's environment has no OSIT to import.
_spec = importlib.util.spec_from_file_location(
    "osit_bench_words", Path(__file__).resolve().parents[2] / "src" / "osit" / "bench" / "words.py"
)
_words = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_words)
QUEUE_NAMES, NOUNS, PROBLEMS = _words.SERVICE_NAMES, _words.NOUNS, _words.PROBLEMS
# OSIT's active statuses (new 25, open 45, pending customer 12, resolved 12; pending decision
# only for enhancements) onto django-helpdesk's: new/open → Open, pending → Open on hold,
# a tenth of the open ones Reopened, resolved → Resolved.
ACTIVE = [("new", 25), ("open", 45), ("pending", 12), ("resolved", 12)]
PRIORITIES = [(1, 5), (2, 15), (3, 50), (4, 20), (5, 10)]


def _weighted(rng: random.Random, pairs):
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def queues() -> list[dict]:
    return [
        {
            "id": i + 1,
            "slug": f"bench-q{i:02d}",
            "title": QUEUE_NAMES[i % len(QUEUE_NAMES)],
            "email_address": f"bench-q{i:02d}@bench.peer.example",
        }
        for i in range(N_QUEUES)
    ]


def staff() -> list[dict]:
    roles = ["technician"] * N_TECHS + ["operator"] * 40 + ["manager"] * 15 + ["admin"] * 5
    return [
        {
            "id": i + 1,
            "username": f"bench-agent-{i:03d}",
            "email": f"agent{i:03d}@bench.peer.example",
            "first_name": f"Agent{i:03d}",
            "last_name": roles[i].capitalize(),
            "is_staff": True,
            "is_superuser": roles[i] == "admin",
        }
        for i in range(N_STAFF)
    ]


def requesters() -> list[dict]:
    return [
        {
            "id": N_STAFF + i + 1,
            "username": f"bench-user-{i:05d}",
            "email": f"user{i:05d}@bench.peer.example",
            "first_name": f"User{i:05d}",
            "last_name": f"Customer{i % 200:03d}",
            "is_staff": False,
            "is_superuser": False,
        }
        for i in range(N_REQUESTERS)
    ]


def techs_of_queue(queue_index: int) -> list[int]:
    """User ids of the 12 technicians of a queue (0-based index)."""
    return [i + 1 for i in range(N_TECHS) if i % N_QUEUES == queue_index]


@dataclass
class Rows:
    tickets: list[dict] = field(default_factory=list)
    followups: list[dict] = field(default_factory=list)
    changes: list[dict] = field(default_factory=list)
    attachments: list[dict] = field(default_factory=list)
    ccs: list[dict] = field(default_factory=list)

    def extend(self, other: Rows) -> None:
        for name in ("tickets", "followups", "changes", "attachments", "ccs"):
            getattr(self, name).extend(getattr(other, name))


class Generator:
    """N tickets, chunk by chunk, with explicit ids starting at 1."""

    def __init__(self, n: int, seed: int = 1) -> None:
        self.n = n
        self.rng = random.Random(seed)
        self.start = END - SPAN
        self.queues = queues()
        self.weights = [self.rng.uniform(0.3, 3.0) for _ in self.queues]
        self.techs = [techs_of_queue(i) for i in range(N_QUEUES)]
        self.operators = list(range(N_TECHS + 1, N_TECHS + 41))
        self.requesters = [(r["id"], r["email"]) for r in requesters()]
        self.ticket_id = self.followup_id = self.change_id = 1
        self.attachment_id = self.cc_id = 1

    def busiest_queue(self) -> int:
        """0-based index of the queue with the largest weight (the most tickets, open ones too)."""
        return max(range(N_QUEUES), key=lambda i: self.weights[i])

    def _text(self) -> str:
        return _words.text(self.rng)

    def _secret(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _followup(self, rows: Rows, ticket: int, at: datetime, **values) -> int:
        fid = self.followup_id
        self.followup_id += 1
        row = {
            "id": fid,
            "ticket_id": ticket,
            "date": at,
            "title": "Comment",
            "comment": "",
            "public": True,
            "user_id": None,
            "new_status": None,
            "message_id": None,
            "time_spent": None,
        }
        row.update(values)
        rows.followups.append(row)
        return fid

    def _change(self, rows: Rows, followup: int, field_name: str, old, new) -> None:
        rows.changes.append(
            {
                "id": self.change_id,
                "followup_id": followup,
                "field": field_name,
                "old_value": old,
                "new_value": new,
            }
        )
        self.change_id += 1

    def chunks(self, size: int = CHUNK) -> Iterator[Rows]:
        done = 0
        while done < self.n:
            count = min(size, self.n - done)
            yield self.chunk(done, count)
            done += count

    def chunk(self, i0: int, count: int) -> Rows:
        rng = self.rng
        rows = Rows()
        for i in range(i0, i0 + count):
            tid = self.ticket_id
            self.ticket_id += 1
            created = self.start + SPAN * (i / self.n) + timedelta(seconds=rng.uniform(0, 60))
            qi = rng.choices(range(N_QUEUES), weights=self.weights)[0]
            techs = self.techs[qi]
            _req_id, req_email = rng.choice(self.requesters)
            priority = _weighted(rng, PRIORITIES)
            by_email = rng.random() < 0.55  # e-mail and web: the requester opened it
            recent = i >= self.n * 0.97
            active = rng.random() < (0.6 if recent else 0.02)
            kind = _weighted(rng, ACTIVE) if active else "closed"
            owner = None if kind == "new" else rng.choice(techs)
            creator = None if by_email else rng.choice(self.operators)
            thing = rng.choice(NOUNS).capitalize()
            title = f"{thing} {rng.choice(PROBLEMS)}"
            description = self._text()
            n_comments = 2 + min(11, int(rng.expovariate(1 / 3.5)))
            at = created
            queue_id = self.queues[qi]["id"]
            minutes_total = 0
            opened = "Ticket Opened"
            if owner:
                opened += f" & Assigned to Agent{owner - 1:03d} Technician"
            first = self._followup(
                rows,
                tid,
                at,
                title=opened,
                comment=description,
                public=True,
                user_id=creator,
                message_id=f"<{tid}.opened@bench.peer.example>" if by_email else None,
            )
            for k in range(1, n_comments):
                at += timedelta(minutes=rng.uniform(5, 600))
                internal = owner is not None and rng.random() < 0.35
                if internal or (owner and k % 2 == 1):
                    author = owner or rng.choice(techs)
                else:
                    author = None if rng.random() < 0.5 else rng.choice(techs)
                spent = None
                if internal and rng.random() < 0.7:
                    minutes = rng.choice([5, 10, 15, 20, 30, 45, 60, 90, 120])
                    spent = timedelta(minutes=minutes)
                    minutes_total += minutes
                self._followup(
                    rows,
                    tid,
                    at,
                    comment=self._text(),
                    public=not internal,
                    user_id=author,
                    message_id=f"<{tid}.{k}@bench.peer.example>" if author is None else None,
                    time_spent=spent,
                )
                if k == 1 and rng.random() < 0.1:
                    # Re-routed after the first exchange, with its justification note.
                    other = (qi + rng.randrange(1, N_QUEUES)) % N_QUEUES
                    at += timedelta(minutes=rng.uniform(5, 120))
                    note = self._followup(
                        rows,
                        tid,
                        at,
                        comment="Re-routed: " + self._text(),
                        public=False,
                        user_id=owner or rng.choice(self.operators),
                    )
                    self._change(rows, note, "Queue", str(queue_id), str(self.queues[other]["id"]))
                    qi, queue_id = other, self.queues[other]["id"]
                    if owner and owner not in self.techs[other]:
                        owner = rng.choice(self.techs[other])
            status, on_hold, resolution = OPEN, False, None
            if kind == "open" and rng.random() < 0.1:
                status = REOPENED
            elif kind == "pending":
                on_hold = True
            elif kind in ("resolved", "closed"):
                status = RESOLVED if kind == "resolved" else CLOSED
                if kind == "closed" and rng.random() < 0.01:
                    status = DUPLICATE
                at += timedelta(minutes=rng.uniform(10, 2000))
                resolution = self._text()
                actor = owner or rng.choice(self.techs[qi])
                done = self._followup(
                    rows,
                    tid,
                    at,
                    title=STATUS_NAMES[status],
                    comment=resolution,
                    public=True,
                    user_id=actor,
                    new_status=status,
                )
                self._change(rows, done, "Status", "Open", STATUS_NAMES[status])
            if rng.random() < 0.05:
                rows.ccs.append(
                    {
                        "id": self.cc_id,
                        "ticket_id": tid,
                        "user_id": None,
                        "email": rng.choice(self.requesters)[1],
                        "can_view": True,
                        "can_update": False,
                    }
                )
                self.cc_id += 1
            if rng.random() < 0.004:
                secret = self._secret()
                rows.attachments.append(
                    {
                        "id": self.attachment_id,
                        "followup_id": first,
                        "file": f"helpdesk/attachments/bench-q{qi:02d}-{tid}-{secret}/{first}/"
                        "error.log",
                        "filename": "error.log",
                        "mime_type": "text/plain",
                        "size": 420,
                    }
                )
                self.attachment_id += 1
            rows.tickets.append(
                {
                    "id": tid,
                    "title": title,
                    "queue_id": queue_id,
                    "created": created,
                    "modified": at,
                    "submitter_email": req_email,
                    "assigned_to_id": owner,
                    "status": status,
                    "on_hold": on_hold,
                    "description": description,
                    "resolution": resolution,
                    "priority": priority,
                    "secret_key": self._secret(),
                }
            )
        return rows

    def hundred(self) -> Rows:
        """The ticket with exactly 100 follow-ups (one third private), after the N others."""
        rng = self.rng
        rows = Rows()
        qi = self.busiest_queue()
        tech = self.techs[qi][0]
        tid = self.ticket_id
        self.ticket_id += 1
        at = END - timedelta(days=2)
        _req_id, req_email = self.requesters[0]
        description = "The printer on the third floor " + rng.choice(PROBLEMS) + "."
        self._followup(
            rows,
            tid,
            at,
            title="Ticket Opened & Assigned to Agent000 Technician",
            comment=description,
            user_id=tech,
        )
        for i in range(1, 100):
            at += timedelta(minutes=10)
            self._followup(
                rows,
                tid,
                at,
                comment=f"Comment {i}: checked the logs again.",
                public=i % 3 != 0,
                user_id=tech,
            )
        rows.tickets.append(
            {
                "id": tid,
                "title": HUNDRED_TITLE,
                "queue_id": self.queues[qi]["id"],
                "created": END - timedelta(days=2),
                "modified": at,
                "submitter_email": req_email,
                "assigned_to_id": tech,
                "status": OPEN,
                "on_hold": False,
                "description": description,
                "resolution": None,
                "priority": 3,
                "secret_key": self._secret(),
            }
        )
        return rows


def generate(n: int, seed: int = 1) -> Rows:
    """All the rows at once (for tests and small sizes)."""
    gen = Generator(n, seed)
    rows = Rows()
    for chunk in gen.chunks():
        rows.extend(chunk)
    rows.extend(gen.hundred())
    return rows
