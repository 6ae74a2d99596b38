"""osit.core.queries.Reusable: SQL composed once per connection, the same rows as the ORM."""

from __future__ import annotations

import pytest
from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Count, Prefetch, Q
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from osit.core.queries import Literal, Reusable, deferred_join, deferred_rows
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


@pytest.mark.django_db
def test_postgresql_vacuums_the_tickets_table_after_thousands_of_changes_not_a_fifth():
    # Migration 0005: the active tickets' pages must stay all-visible for index-only counts.
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's autovacuum")
    with connection.cursor() as cursor:
        table = Ticket._meta.db_table
        cursor.execute("SELECT reloptions FROM pg_class WHERE relname = %s", [table])
        options = dict(o.split("=") for o in cursor.fetchone()[0])
    assert options["autovacuum_vacuum_scale_factor"] == "0.002"
    assert options["autovacuum_vacuum_insert_scale_factor"] == "0.002"
    assert options["autovacuum_vacuum_threshold"] == "1000"


# --- deferred_rows: a deferred join whose outer statement is composed once ----------------------


def _django_statement(page, fields):
    """The statement Django composes for ``deferred_join(page).values_list(*fields)``."""
    rows = deferred_join(page).values_list(*fields)
    return rows.query.get_compiler(rows.db).as_sql()


def _pages(personas):
    from osit.tickets import queries

    by = {key: queries.Sort(key, desc) for key in queries.SORTS for desc in (False, True)}
    for user in (personas.tom, personas.olivia, personas.max, personas.alice):
        for sort in (by["priority"], by["owner"], by["service"], by["updated"]):
            for start in (0, 2, 50):
                lists = (queries.active(user), queries.unowned(user), queries.closed(user))
                for tickets in lists:
                    yield queries.for_table(tickets, sort)[start : start + 3]


def test_deferred_rows_reads_what_django_composes_for_every_list_user_and_sort(
    personas, make_ticket
):
    """The spliced statement is Django's own, text and parameters, whoever asks and whatever
    the list, sort or page — visibility stays in the subquery composed on each call."""
    from django.db.models.sql import Query

    from osit.core import queries as core
    from osit.tickets.queries import ROW_FIELDS

    for n in range(4):
        make_ticket(subject=f"appdev {n}", severity=("minor", "major")[n % 2])
    ticket = make_ticket(subject="network", service=personas.network, application=personas.router)
    actions.take(ticket, actor=personas.nina, channel="web")
    checked = empty = 0
    for page in _pages(personas):
        rows = deferred_rows(page, *ROW_FIELDS)
        try:
            sql, params = _django_statement(page, ROW_FIELDS)
        except EmptyResultSet:  # Django too sends no statement for a list that cannot hold any
            assert rows == []
            empty += 1
            continue
        assert rows == list(deferred_join(page).values_list(*ROW_FIELDS))
        outer = core._OUTERS[(page.db, Ticket, tuple(page.query.order_by), ROW_FIELDS)]
        assert outer is not None
        inner_sql, inner_params = (
            page.values("pk").query.resolve_expression(Query(Ticket)).as_sql(None, connection)
        )
        assert outer.head + inner_sql + outer.tail == sql
        assert tuple(inner_params) == tuple(params)
        checked += 1
    assert checked + empty == 4 * 4 * 3 * 3
    assert checked > empty


def test_deferred_rows_shows_what_each_user_may_see_and_nothing_more(personas, make_ticket):
    """Composed once for one user, the outer statement carries nothing of theirs: the next
    user's page holds their tickets only."""
    from osit.tickets import queries
    from osit.tickets.queries import ROW_FIELDS

    mine = make_ticket(subject="for appdev")
    theirs = make_ticket(subject="for network", service=personas.network, application=None)
    sort = queries.Sort("priority")
    for user, expected in (
        (personas.tom, {mine.pk}),
        (personas.nina, {theirs.pk}),
        (personas.olivia, {mine.pk, theirs.pk}),
        (personas.bob, set()),
        (personas.tom, {mine.pk}),
    ):
        page = queries.for_table(queries.active(user), sort)[:25]
        assert {row[0] for row in deferred_rows(page, *ROW_FIELDS)} == expected


def test_deferred_rows_converts_values_as_the_orm_does(personas, make_ticket):
    """Times come back aware, as a queryset gives them (SQLite stores them as text)."""
    from osit.tickets import queries

    ticket = make_ticket()
    page = queries.for_table(queries.active(personas.tom), queries.Sort("updated"))[:5]
    [row] = deferred_rows(page, "id", "created_at", "requester__username")
    assert row == (ticket.pk, Ticket.objects.get(pk=ticket.pk).created_at, "alice")
    assert timezone.is_aware(row[1])


def test_deferred_rows_of_an_empty_or_unsliced_page(personas, make_ticket):
    from osit.tickets import queries

    make_ticket()
    sort = queries.Sort("priority")
    nothing = queries.for_table(Ticket.objects.none(), sort)[:25]
    assert deferred_rows(nothing, "id") == []
    whole = queries.for_table(queries.active(personas.tom), sort)
    assert deferred_rows(whole, "id") == list(whole.values_list("id"))


def test_deferred_rows_composes_the_outer_statement_once(personas, make_ticket, monkeypatch):
    from django.db.models.sql import compiler

    from osit.tickets import queries

    make_ticket()
    sort = queries.Sort("status")
    page = lambda user: queries.for_table(queries.active(user), sort)[:10]  # noqa: E731
    deferred_rows(page(personas.tom), "id", "subject")
    composed = []
    real = compiler.SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        composed.append(self.query.subquery)
        return real(self, *args, **kwargs)

    manager_page = page(personas.max)  # (reads the manager's roles)
    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", counting)
    with CaptureQueriesContext(connection) as ctx:
        deferred_rows(manager_page, "id", "subject")
    assert composed == [True]  # the page's subquery only
    assert len(ctx) == 1


def test_the_converters_of_a_reused_statement_are_looked_up_once(
    personas, make_ticket, monkeypatch
):
    """The rows are converted as the ORM converts them (aware times on SQLite too), with the
    converters looked up when the statement is first run, not on every run."""
    from django.db.models.sql import compiler

    first, second = make_ticket(subject="first"), make_ticket(subject="second")
    actions.add_comment(first, actor=personas.tom, channel="web", body="one")
    actions.add_comment(second, actor=personas.tom, channel="web", body="two")
    reusable = Reusable(
        lambda pk: Comment.objects.filter(ticket_id=pk).only("id", "created_at").order_by("id"),
        int,
    )
    reusable.list(first.pk)
    looked_up = []
    real = compiler.SQLCompiler.get_converters

    def counting(self, expressions):
        looked_up.append(1)
        return real(self, expressions)

    monkeypatch.setattr(compiler.SQLCompiler, "get_converters", counting)
    for ticket in (first, second, first):
        [comment] = reusable.list(ticket.pk)
        expected = Comment.objects.get(ticket=ticket)
        assert (comment.pk, comment.created_at) == (expected.pk, expected.created_at)
        assert timezone.is_aware(comment.created_at)
    assert len(looked_up) == 3  # the three .get()s above, none for the reused statement


# --- insert -------------------------------------------------------------------------------------


def _stored(model, pk):
    """Every column of a row, as the database holds it."""
    names = [f.attname for f in model._meta.concrete_fields]
    return model.objects.filter(pk=pk).values_list(*names).get()


def _ticket(personas, now=None, **overrides):
    now = now or timezone.now()
    fields = {
        "subject": "Printer <jammed>",
        "description": 'It\'s "stuck"',
        "requester": personas.alice,
        "organisation_id": personas.alice.organisation_id,
        "site_id": personas.alice.site_id,
        "service": personas.appdev,
        "application": personas.payroll,
        "created_by": personas.olivia,
        "channel": "phone",
        "severity": "major",
        "criticality": "blocking",
        "priority": 2,
        "status": "new",
        "tags": ["a", "é"],
        "custom_fields": {"k": [1, 2]},
        "created_at": now,
        "updated_at": now,
        "status_changed_at": now,
    }
    return Ticket(**{**fields, **overrides})


def test_insert_writes_the_row_save_writes(personas):
    from osit.core import queries as core

    now = timezone.now()
    saved, inserted = _ticket(personas, now), _ticket(personas, now)
    saved.save(force_insert=True)
    with CaptureQueriesContext(connection) as ctx:
        core.insert(inserted)
    assert len(ctx) == 1 and ctx.captured_queries[0]["sql"].startswith("INSERT")
    assert inserted.pk == saved.pk + 1
    assert not inserted._state.adding and inserted._state.db == "default"
    names = [f.attname for f in Ticket._meta.concrete_fields]
    expected = list(_stored(Ticket, saved.pk))
    expected[names.index("id")] = inserted.pk
    assert list(_stored(Ticket, inserted.pk)) == expected
    assert core._INSERTS[("default", Ticket)] is not None  # composed once, then reused
    again = _ticket(personas, subject="Another", application=None)
    core.insert(again)
    assert Ticket.objects.get(pk=again.pk).subject == "Another"
    assert Ticket.objects.get(pk=again.pk).application_id is None


def test_insert_sends_the_signals_save_sends(personas):
    from django.db.models import signals

    from osit.core import queries as core

    seen = []

    def pre(sender, instance, **kwargs):
        seen.append(("pre", instance.pk, kwargs["raw"], kwargs["update_fields"]))

    def post(sender, instance, created, **kwargs):
        seen.append(("post", instance.pk, created))

    signals.pre_save.connect(pre, sender=Ticket)
    signals.post_save.connect(post, sender=Ticket)
    try:
        ticket = _ticket(personas)
        core.insert(ticket)
    finally:
        signals.pre_save.disconnect(pre, sender=Ticket)
        signals.post_save.disconnect(post, sender=Ticket)
    assert seen == [("pre", None, False, None), ("post", ticket.pk, True)]


def test_insert_refuses_an_unsaved_relation_and_saves_an_expression(personas):
    from django.db.models.functions import Now

    from osit.core import queries as core
    from osit.directory.models import Service

    with pytest.raises(ValueError, match="unsaved related object"):
        core.insert(_ticket(personas, service=Service(slug="new", name="New")))
    ticket = _ticket(personas, updated_at=Now())  # an expression: Django's own save writes it
    core.insert(ticket)
    assert Ticket.objects.get(pk=ticket.pk).updated_at is not None
