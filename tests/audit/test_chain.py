"""The tamper-evident history (SPEC §2): ``verify`` finds every kind of tampering."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from django.db import transaction
from django.utils import timezone

from osit.audit.chain import GENESIS, PendingEvent, append, compute_hash, verify
from osit.audit.models import ChainHead, Event
from osit.tickets.actions import add_comment, change_status


@pytest.fixture
def history(personas, make_ticket):
    """A ticket with a few events after the personas' own: returns the list of seqs."""
    ticket = make_ticket()
    add_comment(ticket, actor=personas.tom, channel="web", body="Looking into it.")
    add_comment(ticket, actor=personas.tom, channel="web", body="Note.", visibility="internal")
    change_status(ticket, actor=personas.tom, channel="web", status="closed", comment="Done.")
    seqs = list(Event.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) >= 10
    return seqs


def _messages() -> list[str]:
    return [p.message for p in verify()[1]]


def _forge(seq: int, prev_hash: str, **data) -> Event:
    """An event whose own hash is right, as a forger who knows the algorithm would write it."""
    at = timezone.now()
    fields = {
        "ticket_id": None,
        "actor_id": None,
        "actor_label": "forger",
        "channel": "web",
        "kind": "forged",
        "internal": False,
        "data": data,
    }
    digest = compute_hash(seq=seq, prev_hash=prev_hash, created_at=at, **fields)
    return Event.objects.create(seq=seq, prev_hash=prev_hash, hash=digest, created_at=at, **fields)


def test_an_untouched_history_verifies(history):
    checked, problems = verify()
    assert (checked, problems) == (len(history), [])
    head = ChainHead.objects.get()
    last = Event.objects.order_by("-seq").first()
    assert (head.seq, head.hash) == (last.seq, last.hash)


def test_the_chain_is_linked_from_genesis(history):
    events = list(Event.objects.order_by("seq"))
    assert events[0].prev_hash == GENESIS
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    assert all(b.prev_hash == a.hash for a, b in pairwise(events))


def test_an_empty_history_verifies(db):
    assert verify() == (0, [])


def test_verify_in_small_batches_gives_the_same_answer(history):
    assert verify(batch_size=3) == (len(history), [])
    Event.objects.filter(seq=5).update(actor_label="someone else")
    assert [p.seq for p in verify(batch_size=2)[1]] == [5]


@pytest.mark.parametrize(
    "change",
    [
        {"data": {"old": "new", "new": "open", "comment_id": 1}},
        {"actor_label": "Max Test"},
        {"kind": "note_added"},
        {"internal": True},
        {"channel": "email"},
    ],
    ids=["data", "actor", "kind", "internal", "channel"],
)
def test_a_modified_event_is_found(history, change):
    target = history[len(history) // 2]
    Event.objects.filter(seq=target).update(**change)

    assert _messages() == [f"event {target} was modified (hash mismatch)"]


def test_a_backdated_event_is_found(history):
    target = history[-2]
    event = Event.objects.get(seq=target)
    Event.objects.filter(seq=target).update(created_at=event.created_at - timedelta(days=1))

    assert _messages() == [f"event {target} was modified (hash mismatch)"]


def test_a_modified_event_with_its_hash_recomputed_breaks_the_next_link(history):
    target = history[3]
    event = Event.objects.get(seq=target)
    event.actor_label = "nobody"
    event.hash = compute_hash(
        seq=event.seq,
        prev_hash=event.prev_hash,
        ticket_id=event.ticket_id,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        channel=event.channel,
        kind=event.kind,
        internal=event.internal,
        data=event.data,
        created_at=event.created_at,
    )
    event.save()

    problems = verify()[1]
    assert [p.seq for p in problems] == [target + 1]
    assert "does not follow the event before it" in problems[0].message


def test_a_deleted_middle_event_is_found(history):
    target = history[4]
    Event.objects.filter(seq=target).delete()

    problems = verify()[1]
    assert [(p.seq, p.message) for p in problems] == [
        (target, f"event(s) {target} deleted"),
        (
            target + 1,
            f"event {target + 1} does not follow the event before it (inserted or the previous "
            "one was removed)",
        ),
    ]


def test_several_deleted_events_are_named(history):
    Event.objects.filter(seq__in=[3, 4, 5]).delete()
    assert _messages()[0] == "event(s) 3–5 deleted"


def test_a_deleted_tail_is_found(history):
    last = history[-1]
    Event.objects.filter(seq__gte=last - 1).delete()

    assert _messages() == [f"event(s) {last - 1}–{last} deleted from the end of the history"]


def test_a_deleted_tail_with_the_head_rewound_is_still_found(history):
    # The forger deletes the last event and points the head at the one before, but the head's
    # hash must then match too; rewinding only the counter is not enough.
    last = history[-1]
    Event.objects.filter(seq=last).delete()
    ChainHead.objects.update(seq=last - 1)

    assert _messages() == ["the chain head does not match the last event"]


def test_a_forged_event_appended_after_the_head_is_found(history):
    last = Event.objects.order_by("-seq").first()
    _forge(last.seq + 1, last.hash, note="I was here")

    assert _messages() == [f"event {last.seq + 1} was inserted after the recorded end of the chain"]


def test_a_forged_event_inserted_in_the_middle_is_found(history):
    # Make room by shifting the later events, then slip a well-formed event into the gap.
    target = history[5]
    for seq in reversed(history[history.index(target) :]):
        Event.objects.filter(seq=seq).update(seq=seq + 1)
    ChainHead.objects.update(seq=history[-1] + 1)
    previous = Event.objects.get(seq=target - 1)
    _forge(target, previous.hash, note="approved by the manager")

    problems = verify()[1]
    assert problems  # the events after the insertion no longer match their hash
    assert problems[0].seq == target + 1
    assert all("modified" in p.message or "follow" in p.message for p in problems)


def test_a_forged_event_replacing_a_deleted_one_is_found(history):
    target = history[6]
    previous = Event.objects.get(seq=target - 1)
    Event.objects.filter(seq=target).delete()
    _forge(target, previous.hash, note="replacement")

    problems = verify()[1]
    assert [p.seq for p in problems] == [target + 1]
    assert "does not follow the event before it" in problems[0].message


def test_append_chains_from_genesis_inside_a_transaction(db):
    event = PendingEvent(kind="test", channel="cli", actor_id=None, actor_label="t")
    with transaction.atomic():
        rows = append([event], at=timezone.now())
    assert [r.seq for r in rows] == [1]
    assert append([], at=timezone.now()) == []


@pytest.mark.django_db(transaction=True)
def test_append_outside_a_transaction_is_an_error():
    event = PendingEvent(kind="test", channel="cli", actor_id=None, actor_label="t")
    with pytest.raises(RuntimeError, match="must run inside a transaction"):
        append([event], at=timezone.now())
    assert Event.objects.count() == 0


def test_event_data_is_stored_as_it_was_hashed(db):
    at = timezone.now()
    with transaction.atomic():
        append(
            [
                PendingEvent(
                    kind="test",
                    channel="cli",
                    actor_id=None,
                    actor_label="t",
                    data={"when": at, "pair": (1, 2), "text": "é"},
                )
            ],
            at=at,
        )
    assert Event.objects.get().data == {"when": at.isoformat(), "pair": [1, 2], "text": "é"}
    assert verify() == (1, [])


def test_an_event_dated_in_another_time_zone_verifies(personas, make_ticket):
    # An action may be handed an aware local time; the database gives it back in UTC.
    paris = ZoneInfo("Europe/Paris")
    make_ticket(now=timezone.now().astimezone(paris))
    with transaction.atomic():
        append(
            [PendingEvent(kind="test", channel="cli", actor_id=None, actor_label="t")],
            at=datetime(2024, 7, 1, 9, 30, 0, 123456, tzinfo=paris),
        )
    assert verify()[1] == []


# --- the statements written by hand (issue 5) ---------------------------------------------------


def test_the_hand_written_statements_name_the_models_tables():
    assert ChainHead._meta.db_table == "audit_chainhead"
    assert Event._meta.db_table == "audit_event"


def test_several_events_appended_at_once_are_stored_as_hashed(personas):
    at = timezone.now()
    events = [
        PendingEvent(
            kind=f"test{i}",
            channel="cli",
            actor_id=personas.tom.pk if i else None,
            actor_label="Tom",
            internal=bool(i % 2),
            data={"i": i, "when": at, "text": "é"},
        )
        for i in range(3)
    ]
    with transaction.atomic():
        before = ChainHead.objects.get(id=1)
        rows = append(events, at=at)
    stored = list(Event.objects.filter(kind__startswith="test").order_by("seq"))
    assert [r.pk for r in rows] == [e.pk for e in stored]
    assert all(not r._state.adding for r in rows)
    assert [e.seq for e in stored] == [before.seq + 1, before.seq + 2, before.seq + 3]
    assert stored[0].prev_hash == before.hash
    assert [e.internal for e in stored] == [False, True, False]
    assert stored[1].data == {"i": 1, "when": at.isoformat(), "text": "é"}
    assert stored[0].created_at == at
    head = ChainHead.objects.get(id=1)
    assert (head.seq, head.hash) == (stored[-1].seq, stored[-1].hash)
    assert verify()[1] == []


def test_the_first_append_creates_the_head(db):
    ChainHead.objects.all().delete()
    with transaction.atomic():
        [row] = append(
            [PendingEvent(kind="t", channel="cli", actor_id=None, actor_label="t")],
            at=timezone.now(),
        )
    assert row.seq == 1 and row.prev_hash == GENESIS
    assert ChainHead.objects.get(id=1).seq == 1
