"""The benchmark generator at a tiny size, so it never rots (the real runs stay out of CI)."""

from __future__ import annotations

import random

import pytest
from django.db.models import Count

from osit.audit.chain import verify
from osit.bench import generate
from osit.directory.models import Service, User
from osit.tickets.choices import Status
from osit.tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def small(monkeypatch):
    monkeypatch.setattr(generate, "N_REQUESTERS", 400)
    monkeypatch.setattr(generate, "N_ORGANISATIONS", 20)


def test_seed_loads_a_coherent_desk(small):
    stats = generate.seed(300, seed=3)
    assert stats.tickets == Ticket.objects.count() == 300
    assert Service.objects.filter(slug__startswith="bench-s").count() == 20
    assert User.objects.filter(username__startswith="bench-agent-").count() == 300
    # Most closed, some active, every severity, criticality and channel.
    closed = Ticket.objects.filter(status=Status.CLOSED).count()
    assert 0.5 * 300 < closed < 300
    for name in ("severity", "criticality", "channel"):
        assert Ticket.objects.values(name).distinct().count() >= 3
    # 2–15 comments each, and the denormalised counters agree with the rows.
    counts = Ticket.objects.annotate(n=Count("comments")).values_list("n", "comment_count")
    assert [(n, s) for n, s in counts if not (2 <= n <= 15 and n == s)] == []
    assert stats.comments == Comment.objects.count()
    # The history verifies like one written by the actions.
    checked, problems = verify()
    assert checked == stats.events and problems == []


def test_seeding_twice_adds_tickets_and_keeps_the_chain(small):
    generate.seed(50, seed=1)
    generate.seed(50, seed=2)
    assert Ticket.objects.count() == 100
    assert Service.objects.filter(slug__startswith="bench-s").count() == 20
    assert verify()[1] == []
    # New tickets get the next numbers, through the normal path too.
    from osit.tickets.actions import create_ticket

    agent = User.objects.get(username="bench-agent-000")
    ticket = create_ticket(
        actor=agent,
        channel="web",
        requester=agent,
        subject="after the load",
        service=Service.objects.get(slug="bench-s00"),
    )
    assert ticket.pk == 101


def test_the_same_seed_gives_the_same_tickets(small):
    org = generate._directory(random.Random(9))

    def rows():
        gen = generate.Generator(org, random.Random(9), 40)
        return [
            (t["subject"], t["status"], t["priority"], t["service_id"])
            for t in gen.chunk(0, 40)[Ticket]
        ]

    assert rows() == rows()
