"""osit.core.queries: statements sent together (one round trip on PostgreSQL), read ahead, and
a list's page read with its count (tickets.queries.table_page)."""

from __future__ import annotations

import pytest
from django.core.paginator import Paginator
from django.db import DatabaseError, connection, transaction
from django.db.models import Count
from django.test.utils import CaptureQueriesContext

from osit.core import queries as core
from osit.core.queries import Reusable, Statement, count_statement, read_ahead, together
from osit.tickets import actions, queries
from osit.tickets.models import Comment, Ticket

pytestmark = pytest.mark.django_db


def _comments(ticket_id: int):
    return Comment.objects.filter(ticket_id=ticket_id).select_related("author").order_by("id")


COMMENTS = Reusable(_comments, int)
SUBJECTS = Reusable(lambda: Ticket.objects.order_by("id").values_list("subject", flat=True))


def _raw(sql: str) -> Statement:
    def read(rows):
        if rows is None:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return cursor.fetchall()
        return rows

    return Statement(sql, (), read)


def _tickets(personas, make_ticket):
    first, second = make_ticket(subject="first"), make_ticket(subject="second")
    for n in range(3):
        actions.add_comment(first, actor=personas.tom, channel="web", body=f"one {n}")
    actions.add_comment(second, actor=personas.nina, channel="web", body="two")
    return first, second


def test_statements_sent_together_give_what_each_gives_alone(personas, make_ticket, pipelines):
    first, second = _tickets(personas, make_ticket)
    alone = [COMMENTS.list(first.pk), COMMENTS.list(second.pk), SUBJECTS.list()]
    with CaptureQueriesContext(connection) as ctx:
        sent = together(
            [COMMENTS.statement(first.pk), COMMENTS.statement(second.pk), SUBJECTS.statement()]
        )
    assert [[c.body for c in r] for r in sent[:2]] == [[c.body for c in r] for r in alone[:2]]
    assert [c.author.username for c in sent[0]] == ["tom", "tom", "tom"]
    assert sent[2] == alone[2] == ["first", "second"]
    assert len(ctx) == 3  # each is still a statement of its own, counted and logged
    assert pipelines == ([1] if connection.vendor == "postgresql" else [])


def test_a_statement_that_needs_no_sql_and_a_single_one(personas, make_ticket, pipelines):
    first, _second = _tickets(personas, make_ticket)
    nothing = Statement(None, (), lambda rows: ("no statement", rows))
    with CaptureQueriesContext(connection) as ctx:
        got = together([nothing, COMMENTS.statement(first.pk)])
    assert got[0] == ("no statement", None)
    assert [c.body for c in got[1]] == ["one 0", "one 1", "one 2"]
    assert len(ctx) == 1
    assert pipelines == []  # one statement: sent as usual


def test_a_failing_statement_is_a_database_error_and_the_connection_goes_on(personas, make_ticket):
    first, _second = _tickets(personas, make_ticket)
    broken = _raw("SELECT no_such_column FROM tickets_ticket")
    with pytest.raises(DatabaseError, match="no_such_column"), transaction.atomic():
        together([COMMENTS.statement(first.pk), broken])
    assert len(COMMENTS.list(first.pk)) == 3


def test_read_ahead_answers_the_named_reads_without_a_query(personas, make_ticket, pipelines):
    first, second = _tickets(personas, make_ticket)
    with CaptureQueriesContext(connection) as ctx:
        with read_ahead(COMMENTS.ahead(first.pk), SUBJECTS.ahead()):
            read = len(ctx)
            inside = [c.body for c in COMMENTS.list(first.pk)]
            subjects = SUBJECTS.list()
            assert len(ctx) == read  # answered from what was read ahead
            other = [c.body for c in COMMENTS.list(second.pk)]  # not named: its own query
            assert len(ctx) == read + 1
        after = COMMENTS.list(first.pk)  # outside the block: read again
    assert read == 2
    assert inside == ["one 0", "one 1", "one 2"] and other == ["two"]
    assert subjects == ["first", "second"]
    assert len(after) == 3 and len(ctx) == 4
    assert pipelines == ([1] if connection.vendor == "postgresql" else [])


def _subject_read(pk: int, *, using: str) -> Statement:
    sql = "SELECT subject FROM tickets_ticket WHERE id = %s"

    def read(rows):
        if rows is None:
            with connection.cursor() as cursor:
                cursor.execute(sql, [pk])
                rows = cursor.fetchall()
        return [subject for (subject,) in rows]

    return Statement(sql, [pk], read)


SUBJECT_OF = core.Read(_subject_read)


def test_a_read_written_by_hand_is_read_ahead_with_the_others(personas, make_ticket, pipelines):
    first, second = _tickets(personas, make_ticket)
    with CaptureQueriesContext(connection) as ctx:
        with read_ahead(SUBJECT_OF.ahead(first.pk), COMMENTS.ahead(first.pk)):
            read = len(ctx)
            assert SUBJECT_OF.result(first.pk) == ["first"]
            assert len(COMMENTS.list(first.pk)) == 3
            assert len(ctx) == read  # both answered from what was read ahead
            assert SUBJECT_OF.result(second.pk) == ["second"]  # not named: its own query
            assert len(ctx) == read + 1
        assert SUBJECT_OF.result(first.pk) == ["first"]  # outside the block: read again
    assert read == 2 and len(ctx) == 4
    assert pipelines == ([1] if connection.vendor == "postgresql" else [])


def test_a_read_ahead_list_is_the_callers_own(personas, make_ticket):
    first, _second = _tickets(personas, make_ticket)
    with read_ahead(COMMENTS.ahead(first.pk)):
        COMMENTS.list(first.pk).clear()
        assert len(COMMENTS.list(first.pk)) == 3


@pytest.mark.parametrize(
    "shape",
    [
        lambda t: t.filter(subject__startswith="s"),
        lambda t: t.none(),
        lambda t: t.filter(pk__in=[]),
        lambda t: t.order_by("id")[1:],
        lambda t: t.values("status").distinct(),
        lambda t: t.annotate(n=Count("comments")).filter(n__gte=1),
    ],
    ids=["filter", "none", "empty-in", "sliced", "distinct", "aggregate"],
)
def test_count_statement_counts_what_count_counts(personas, make_ticket, shape):
    _tickets(personas, make_ticket)
    make_ticket(subject="spare")
    queryset = shape(Ticket.objects.all())
    expected = queryset.count()
    statement = count_statement(queryset)
    (got,) = together([statement])
    assert got == expected
    both = together([statement, SUBJECTS.statement()])
    assert both[0] == expected


def test_count_statement_is_djangos_own_count(personas, make_ticket):
    _tickets(personas, make_ticket)
    queryset = Ticket.objects.filter(owner__isnull=True)  # no parameter: the logged text is the SQL
    with CaptureQueriesContext(connection) as ctx:
        expected = queryset.count()
    statement = count_statement(queryset)
    assert statement.sql == ctx.captured_queries[0]["sql"]
    assert together([statement, SUBJECTS.statement()])[0] == expected == 2


def test_count_of_an_evaluated_queryset_needs_no_statement(personas, make_ticket):
    _tickets(personas, make_ticket)
    queryset = Ticket.objects.all()
    list(queryset)
    statement = count_statement(queryset)
    assert statement.sql is None and statement.read(None) == 2


@pytest.mark.parametrize(
    "number", [None, "", "1", "2", "3", "4", "99", "0", "-1", "abc", "2.0", "1e3"]
)
def test_table_page_is_the_paginators_page(personas, make_ticket, number, settings):
    for n in range(7):
        make_ticket(subject=f"ticket {n}")
    tickets = queries.for_table(
        queries.active(personas.tom), queries.parse_sort("number", "priority")
    )
    page, rows, also = queries.table_page(tickets, number, 3, also=[SUBJECTS.statement()])
    expected = Paginator(tickets, 3).get_page(number)
    assert page.number == expected.number
    assert page.paginator.count == expected.paginator.count
    assert [r.pk for r in rows] == [t.pk for t in expected.object_list]
    assert [r.subject for r in rows] == [t.subject for t in expected.object_list]
    assert also == [SUBJECTS.list()]


def test_table_page_reads_in_one_round_trip(personas, make_ticket, pipelines):
    for n in range(4):
        make_ticket(subject=f"ticket {n}")
    tickets = queries.for_table(queries.active(personas.tom), queries.parse_sort(None, "priority"))
    with CaptureQueriesContext(connection) as ctx:
        page, rows, _also = queries.table_page(tickets, "2", 3)
    assert len(ctx) == 2  # the count and the rows
    assert page.paginator.count == 4 and len(rows) == 1
    assert pipelines == ([1] if connection.vendor == "postgresql" else [])


def test_rows_read_ahead_are_gone_after_the_block_even_when_it_fails(personas, make_ticket):
    first, _second = _tickets(personas, make_ticket)
    with pytest.raises(RuntimeError), read_ahead(COMMENTS.ahead(first.pk)):
        raise RuntimeError("the page failed")
    assert core._AHEAD.get() is None
    actions.add_comment(first, actor=personas.tom, channel="web", body="after")
    with CaptureQueriesContext(connection) as ctx:
        assert [c.body for c in COMMENTS.list(first.pk)][-1] == "after"  # read again, fresh
    assert len(ctx) == 1


def _lists(personas):
    """(name, user, queryset function, slice) of every list that may be a slice."""
    out = []
    for who in ("tom", "nina", "olivia", "max", "ada"):
        user = getattr(personas, who)
        for service in (personas.appdev, personas.network):
            out.append(
                (
                    f"queue-{service.slug}-{who}",
                    user,
                    lambda u=user, s=service: queries.queue(u, s),
                    queries.queue_slice(user, service),
                )
            )
        out.append((f"mine-{who}", user, lambda u=user: queries.mine(u), queries.mine_slice(user)))
        out.append(
            (f"unowned-{who}", user, lambda u=user: queries.unowned(u), queries.unowned_slice(user))
        )
    return out


@pytest.mark.parametrize("sort", ["priority", "-updated", "owner", "number"])
def test_a_slice_read_by_composed_statements_is_the_list_itself(personas, make_ticket, sort):
    made = []
    for n in range(9):
        service = personas.network if n % 3 == 0 else personas.appdev
        application = personas.router if service == personas.network else personas.payroll
        made.append(make_ticket(subject=f"slice {n}", service=service, application=application))
    for ticket in made[::4]:
        actions.take(
            ticket,
            actor=personas.tom if ticket.service == personas.appdev else personas.nina,
            channel="web",
        )
    order = queries.parse_sort(sort)
    slices = 0
    for name, _user, tickets, slice_ in _lists(personas):
        for number in ("1", "2", "3", "9"):
            plain = queries.table_page(queries.for_table(tickets(), order), number, 2)
            fast = queries.table_page(
                lambda t=tickets: queries.for_table(t(), order),
                number,
                2,
                slice_=slice_,
                sort=order,
            )
            assert fast[0].number == plain[0].number, name
            assert fast[0].paginator.count == plain[0].paginator.count, name
            assert fast[1] == plain[1], (name, number)
        slices += slice_ is not None
    assert slices >= 8  # most lists of most roles are slices


def test_a_slice_is_what_the_role_sees_whole(personas):
    tom, olivia, alice = personas.tom, personas.olivia, personas.alice
    assert queries.queue_slice(tom, personas.appdev) == queries.Slice(
        "queue", (personas.appdev.pk,)
    )
    assert queries.queue_slice(tom, personas.network) is None  # watched tickets only
    assert queries.queue_slice(olivia, personas.network) is not None
    assert queries.mine_slice(tom) == queries.Slice("mine", (tom.pk,))
    assert queries.unowned_slice(olivia) == queries.Slice("unowned")
    assert queries.unowned_slice(tom) == queries.Slice("unowned_service", (personas.appdev.pk,))
    assert queries.queue_slice(alice, personas.appdev) is None


def test_a_slices_statements_are_composed_once_as_django_composes_them(
    personas, make_ticket, monkeypatch
):
    from django.db.models.sql import compiler

    make_ticket(subject="one")
    order = queries.parse_sort("priority")
    slice_ = queries.mine_slice(personas.tom)
    queries.table_page(lambda: None, "1", 5, slice_=slice_, sort=order)  # composed here
    composed = []
    real = compiler.SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        composed.append(1)
        return real(self, *args, **kwargs)

    nina = queries.mine_slice(personas.nina)  # reads nina's roles (a query of its own)
    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", counting)
    with CaptureQueriesContext(connection) as fast:
        queries.table_page(lambda: None, "1", 5, slice_=nina, sort=order)
    assert composed == []  # nothing composed: the same statements, nina's number in them
    monkeypatch.setattr(compiler.SQLCompiler, "as_sql", real)
    with CaptureQueriesContext(connection) as plain:
        queries.table_page(queries.for_table(queries.mine(personas.nina), order), "1", 5)
    assert [q["sql"] for q in fast.captured_queries] == [q["sql"] for q in plain.captured_queries]
