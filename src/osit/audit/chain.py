"""Appending to and verifying the hash chain of history events."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db import transaction

from osit.audit.models import ChainHead, Event

GENESIS = "0" * 64


@dataclass
class PendingEvent:
    """An event described by an action, chained and written by :func:`append`."""

    kind: str
    channel: str
    actor_id: int | None
    actor_label: str
    ticket_id: int | None = None
    internal: bool = False
    data: dict[str, Any] = field(default_factory=dict)


def _canonical(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return value


def _utc(moment: datetime) -> datetime:
    # The database hands dates back in UTC; an action may have been given an aware local time.
    # Hash the instant, not its spelling, so the stored event verifies.
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment


def compute_hash(
    *,
    seq: int,
    prev_hash: str,
    ticket_id: int | None,
    actor_id: int | None,
    actor_label: str,
    channel: str,
    kind: str,
    internal: bool,
    data: dict[str, Any],
    created_at: datetime,
) -> str:
    payload = json.dumps(
        {
            "seq": seq,
            "prev": prev_hash,
            "ticket": ticket_id,
            "actor": actor_id,
            "actor_label": actor_label,
            "channel": channel,
            "kind": kind,
            "internal": internal,
            "data": data,
            "at": _utc(created_at).isoformat(timespec="microseconds"),
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_canonical,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _normalise(data: dict[str, Any]) -> dict[str, Any]:
    # Store exactly what will be hashed: a JSON round trip turns dates and tuples into the form
    # they will have when read back, so verification recomputes the same bytes.
    return json.loads(json.dumps(data, default=_canonical, ensure_ascii=False))


def append(events: Iterable[PendingEvent], *, at: datetime) -> list[Event]:
    """Chain and insert ``events``; must run inside the caller's transaction.

    The head row is locked (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite's IMMEDIATE transaction
    already serialises writers) until the caller's transaction ends, so two appends never build on
    the same head (the chain cannot fork). Actions call this last, after their own writes, so
    concurrent actions wait only for each other's hashing and commit. The statements are written
    by hand: they run inside the one section every action shares.
    """
    pending = list(events)
    if not pending:
        return []
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        raise RuntimeError("audit.append must run inside a transaction")
    seq, prev = _lock_head(connection)
    rows = []
    for item in pending:
        seq += 1
        data = _normalise(item.data)
        digest = compute_hash(
            seq=seq,
            prev_hash=prev,
            ticket_id=item.ticket_id,
            actor_id=item.actor_id,
            actor_label=item.actor_label,
            channel=item.channel,
            kind=item.kind,
            internal=item.internal,
            data=data,
            created_at=at,
        )
        rows.append(
            Event(
                seq=seq,
                ticket_id=item.ticket_id,
                actor_id=item.actor_id,
                actor_label=item.actor_label,
                channel=item.channel,
                kind=item.kind,
                internal=item.internal,
                data=data,
                created_at=at,
                prev_hash=prev,
                hash=digest,
            )
        )
        prev = digest
    if connection.vendor == "postgresql":
        _insert_and_move_head(connection, rows, seq, prev)
    else:
        Event.objects.bulk_create(rows)
        with connection.cursor() as cursor:
            cursor.execute(_UPDATE_HEAD, [seq, prev])
    return rows


# ChainHead's table (audit_chainhead), its one row.
_READ_HEAD = "SELECT seq, hash FROM audit_chainhead WHERE id = 1"
_LOCK_HEAD = _READ_HEAD + " FOR UPDATE"
_UPDATE_HEAD = "UPDATE audit_chainhead SET seq = %s, hash = %s WHERE id = 1"
_EVENT_FIELDS = (
    "seq",
    "ticket",
    "actor",
    "actor_label",
    "channel",
    "kind",
    "internal",
    "data",
    "created_at",
    "prev_hash",
    "hash",
)


def _insert_and_move_head(connection: Any, rows: list[Event], seq: int, digest: str) -> None:
    """INSERT the events and UPDATE the head in one statement (one round trip fewer while the
    head is locked), values prepared for the database exactly as ``bulk_create`` prepares them."""
    fields: list[Any] = [Event._meta.get_field(name) for name in _EVENT_FIELDS]
    columns = ", ".join(f.column for f in fields)
    one = "(" + ", ".join(["%s"] * len(fields)) + ")"
    params: list[Any] = [seq, digest]
    for row in rows:
        params.extend(f.get_db_prep_save(getattr(row, f.attname), connection) for f in fields)
    # Column names from the model, placeholders for every value: nothing of the data is in it.
    values = ", ".join([one] * len(rows))
    sql = f"WITH head AS ({_UPDATE_HEAD}) INSERT INTO audit_event ({columns}) VALUES {values} RETURNING id"  # noqa: S608, E501
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        ids = [r[0] for r in cursor.fetchall()]
    for row, pk in zip(rows, ids, strict=True):
        row.pk = pk
        row._state.adding = False
        row._state.db = connection.alias


def _lock_head(connection: Any) -> tuple[int, str]:
    """(seq, hash) of the head row, locked until the transaction ends; created if missing."""
    with connection.cursor() as cursor:
        cursor.execute(_LOCK_HEAD if connection.features.has_select_for_update else _READ_HEAD)
        row = cursor.fetchone()
    if row is None:
        # The very first event: get_or_create copes with a concurrent first append.
        head, _ = ChainHead.objects.select_for_update().get_or_create(id=1)
        return head.seq, head.hash
    return int(row[0]), str(row[1])


@dataclass
class Problem:
    seq: int | None
    message: str


def verify(*, batch_size: int = 5000) -> tuple[int, list[Problem]]:
    """Recompute the whole chain. Returns (events checked, problems found).

    A modified event fails its own hash; an inserted or deleted one breaks ``seq`` continuity or
    the link to its predecessor; a deleted tail no longer matches the head row.
    """
    problems: list[Problem] = []
    expected_seq, prev = 1, GENESIS
    checked = 0
    last_seq = 0
    fields = [
        "id",
        "seq",
        "ticket_id",
        "actor_id",
        "actor_label",
        "channel",
        "kind",
        "internal",
        "data",
        "created_at",
        "prev_hash",
        "hash",
    ]
    head = ChainHead.objects.filter(id=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS)
    qs = Event.objects.order_by("seq").values_list(*fields)
    after = 0
    while True:
        chunk = list(qs.filter(seq__gt=after)[:batch_size])
        if not chunk:
            break
        for row in chunk:
            record = dict(zip(fields, row, strict=True))
            seq = record["seq"]
            checked += 1
            if seq > head_seq:
                problems.append(
                    Problem(seq, f"event {seq} was inserted after the recorded end of the chain")
                )
                continue
            if seq > expected_seq:
                missing = (
                    f"{expected_seq}" if seq == expected_seq + 1 else f"{expected_seq}–{seq - 1}"
                )
                problems.append(Problem(expected_seq, f"event(s) {missing} deleted"))
            elif seq < expected_seq:
                problems.append(Problem(seq, f"event {seq} out of order (inserted)"))
            if record["prev_hash"] != prev:
                problems.append(
                    Problem(
                        seq,
                        f"event {seq} does not follow the event before it (inserted "
                        "or the previous one was removed)",
                    )
                )
            digest = compute_hash(
                seq=seq,
                prev_hash=record["prev_hash"],
                ticket_id=record["ticket_id"],
                actor_id=record["actor_id"],
                actor_label=record["actor_label"],
                channel=record["channel"],
                kind=record["kind"],
                internal=record["internal"],
                data=record["data"],
                created_at=record["created_at"],
            )
            if digest != record["hash"]:
                problems.append(Problem(seq, f"event {seq} was modified (hash mismatch)"))
            prev = record["hash"]
            expected_seq = seq + 1
            last_seq = seq
        after = chunk[-1][1]
    if head_seq != last_seq or head_hash != prev:
        if head_seq > last_seq:
            problems.append(
                Problem(
                    last_seq + 1,
                    f"event(s) {last_seq + 1}–{head_seq} deleted from the end of the history",
                )
            )
        else:
            problems.append(Problem(None, "the chain head does not match the last event"))
    return checked, problems
