"""osit.core.queries.Reusable: SQL composed once per connection, the same rows as the ORM."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from osit.core.queries import Literal, Reusable
from osit.tickets import actions
from osit.tickets.models import Comment, Ticket, Watcher


def _comments(ticket_id: int):
    return (
        Comment.objects.filter(ticket_id=ticket_id)
        .select_related("author", "ticket__service")
        .only("id", "body", "ticket__subject", "ticket__service__name", "author__username")
        .order_by("-id")
    )


def test_the_rows_are_the_orms_for_every_argument(personas, make_ticket):
    first, second = make_ticket(subject="first"), make_ticket(subject="second")
    for n in range(3):
        actions.add_comment(first, actor=personas.tom, channel="web", body=f"one {n}")
    actions.add_comment(second, actor=personas.nina, channel="web", body="two")
    reusable = Reusable(_comments, int)
    for ticket in (first, second, first):
        rows = reusable.list(ticket.pk)
        expected = list(_comments(ticket.pk))
        assert [c.pk for c in rows] == [c.pk for c in expected]
        shown = [(c.body, c.author.username, c.ticket.subject, c.ticket.service.name) for c in rows]
        assert shown == [
            (c.body, c.author.username, c.ticket.subject, c.ticket.service.name) for c in expected
        ]
    assert reusable.list(10**9) == []
    assert reusable.is_reused()


def test_the_sql_is_composed_once_then_reused(personas, make_ticket, monkeypatch):
    from django.db.models.sql import compiler

    ticket = make_ticket()
    reusable = Reusable(_comments, int)
    reusable.list(ticket.pk)
    composed = []
    real = compiler.SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        composed.append(1)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", counting)
    with CaptureQueriesContext(connection) as ctx:
        reusable.list(ticket.pk)
        reusable.list(ticket.pk + 1)
    assert composed == []
    assert len(ctx) == 2
    assert str(ticket.pk) in ctx.captured_queries[0]["sql"]


def test_an_argument_used_twice_and_string_arguments(personas, make_ticket):
    ticket = make_ticket(subject="Printer jammed")
    make_ticket(subject="Other")
    reusable = Reusable(
        lambda subject, number: (
            Ticket.objects.filter(Q(subject=subject) | Q(pk=number))
            .exclude(subject=subject, pk=number)
            .values_list("subject", flat=True)
        ),
        str,
        int,
    )
    assert reusable.is_reused()
    assert reusable.list("Printer jammed", ticket.pk) == []
    assert sorted(reusable.list("Other", ticket.pk)) == ["Other", "Printer jammed"]
    assert reusable.list("nothing", 10**9) == []


def test_prefetches_and_annotations_still_work(personas, make_ticket):
    ticket = make_ticket()
    actions.add_watcher(ticket, actor=personas.tom, channel="web", user=personas.nina, kind="cc")
    reusable = Reusable(
        lambda pk: (
            Ticket.objects.filter(pk=pk)
            .annotate(n=Count("comments"))
            .prefetch_related(Prefetch("watchers", queryset=Watcher.objects.select_related("user")))
        ),
        int,
    )
    (row,) = reusable.list(ticket.pk)
    with CaptureQueriesContext(connection) as ctx:
        assert [w.user.username for w in row.watchers.all()] == ["nina"]
    assert len(ctx) == 0  # prefetched
    assert row.n == ticket.comments.count()


@pytest.mark.parametrize(
    "build",
    [
        # the argument decides the query's shape
        lambda pk: Ticket.objects.filter(pk=pk) if pk > 0 else Ticket.objects.none(),
        # a value that changes between calls
        lambda pk: Ticket.objects.filter(pk=pk, created_at__lte=timezone.now()),
        # the argument is transformed before it reaches the SQL
        lambda pk: Ticket.objects.filter(subject__icontains=str(pk)),
        # the argument is not in the SQL at all
        lambda pk: Ticket.objects.all(),
    ],
    ids=["shape", "time", "transformed", "unused"],
)
def test_a_query_that_cannot_be_reused_is_composed_every_time(personas, make_ticket, build):
    ticket = make_ticket()
    reusable = Reusable(build, int)
    assert not reusable.is_reused()
    assert [t.pk for t in reusable.list(ticket.pk)] == [t.pk for t in build(ticket.pk)]


def test_wrong_arguments_are_refused(db):
    reusable = Reusable(lambda pk: Ticket.objects.filter(pk=pk), int)
    with pytest.raises(TypeError, match="expected arguments"):
        reusable.list("1")
    with pytest.raises(TypeError, match="expected arguments"):
        reusable.list(1, 2)
    with pytest.raises(TypeError, match="int or str"):
        Reusable(lambda when: Ticket.objects.filter(created_at=when), object)


def test_every_reusable_query_of_osit_is_reused(db):
    import gc

    import osit.tickets.links
    import osit.tickets.policy
    import osit.tickets.queries
    import osit.tickets.timeline
    import osit.web.forms_lists
    import osit.web.forms_ticket
    import osit.web.views.ticket  # noqa: F401 — their module-level queries
    from osit.api.serialize import tickets_for_output
    from osit.tickets.policy import _reader
    from osit.web.views.ticket import _with_related

    _reader(_with_related), _reader(tickets_for_output)
    found = [
        o
        for o in gc.get_objects()
        if isinstance(o, Reusable)
        and getattr(o.build, "func", o.build).__module__.startswith("osit.")
    ]
    assert len(found) >= 16
    assert [r for r in found if not r.is_reused()] == []


# --- Literal --------------------------------------------------------------------------------


def test_a_literal_is_written_into_the_sql_and_finds_the_same_rows(personas, make_ticket):
    from osit.tickets import queries
    from osit.tickets.choices import UNOWNED_STATUSES, Status

    open_, closed = make_ticket(), make_ticket()
    Ticket.objects.filter(pk=closed.pk).update(status=Status.CLOSED)  # the query is tested
    active = Ticket.objects.exclude(status=Literal(Status.CLOSED))
    assert list(active) == list(Ticket.objects.exclude(status=Status.CLOSED)) == [open_]
    sql, params = active.query.sql_with_params()
    assert "'closed'" in sql and "closed" not in params
    unowned = queries.unowned(personas.tom)
    sql, params = unowned.query.sql_with_params()
    assert "IN ('new', 'open', 'pending_customer')" in sql
    assert not set(UNOWNED_STATUSES) & set(params)
    assert list(unowned) == [open_]


@pytest.mark.parametrize("value", ["closed'; DROP TABLE x; --", "Closed", "", "a b", 3])
def test_a_literal_takes_plain_words_only(value):
    with pytest.raises(ValueError, match="not a plain constant"):
        Literal(value)


def test_sqlite_reads_the_unowned_page_from_its_partial_index(personas, make_ticket):
    from osit.tickets import queries

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL matches partial indexes with bound parameters too")
    make_ticket()
    rows = queries.for_table(queries.unowned(personas.tom), queries.parse_sort(None))[:50]
    sql, params = rows.values_list("id").query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        plan = " ".join(str(row[-1]) for row in cursor.fetchall())
    assert "ticket_unowned_idx" in plan
