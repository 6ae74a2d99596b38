"""Query shapes shared by the domain's lists and the API's pages, and queries composed once."""

from __future__ import annotations

import copy
import functools
import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, NamedTuple

from django.core.exceptions import EmptyResultSet
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import CharField, Count, Model, QuerySet, Value, signals
from django.db.models.expressions import RawSQL
from django.db.models.sql import InsertQuery, Query
from django.db.models.sql.constants import MULTI, SINGLE

# --- statements sent together ------------------------------------------------------------------


class Statement(NamedTuple):
    """A statement composed and not yet run, and what its rows become.

    ``read(rows)`` turns the rows the database returned into the caller's result; ``read(None)``
    runs the statement itself (where it was not sent with others). ``sql`` is None when no
    statement is needed (``read(None)`` then answers without one). ``rebind(sql, params)``, when
    given, is the same statement with other parameters (``Composed``).
    """

    sql: str | None
    params: Sequence[Any]
    read: Callable[[list[tuple[Any, ...]] | None], Any]
    rebind: Callable[[str, Sequence[Any]], Statement] | None = None


def together(statements: Sequence[Statement], using: str = DEFAULT_DB_ALIAS) -> list[Any]:
    """The results of ``statements``, sent to the database in one round trip where it can.

    On PostgreSQL the statements go out in psycopg's pipeline mode: each is still prepared,
    run and logged as a query of its own (Django's execute wrappers, query counts and errors see
    every one), but the page waits for the server once instead of once per statement (issue 5:
    a ticket page's seven reads after the ticket took seven round trips). Elsewhere (SQLite,
    which has no round trip) each runs in turn.
    """
    sent = [s for s in statements if s.sql is not None]
    fetched = _send_together(using, [(s.sql, s.params) for s in sent]) if len(sent) > 1 else None
    if fetched is None:
        return [s.read(None) for s in statements]
    rows = dict(zip((id(s) for s in sent), fetched, strict=True))
    return [s.read(rows.get(id(s))) for s in statements]


def _send_together(
    alias: str, statements: list[tuple[Any, Sequence[Any]]]
) -> list[list[tuple[Any, ...]]] | None:
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return None
    cursors = [connection.cursor() for _ in statements]  # connects, checks the connection
    raw = connection.connection
    try:
        if raw.pgconn.pipeline_status:  # already in a pipeline: one at a time
            return None
        with connection.wrap_database_errors:
            with raw.pipeline():
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, params)
            return [cursor.fetchall() for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


def count_statement(queryset: QuerySet[Any]) -> Statement:
    """``queryset.count()`` as a :class:`Statement`: Django's own COUNT, composed now.

    Django's ``count()`` composes it and is stopped where it would run the statement. A count
    Django makes some other way (through a subquery of its own) simply runs now, and its result
    is the statement's.
    """
    if queryset._result_cache is not None:  # type: ignore[attr-defined]
        n = len(queryset)
        return Statement(None, (), lambda _rows: n)
    query = queryset.query.clone()
    query.__class__ = _counting(type(query))
    query._osit_count_of = query  # type: ignore[attr-defined]  # not its clones
    query._osit_caught = caught = []  # type: ignore[attr-defined]
    value = query.get_aggregation(queryset.db, {"__count": Count("*")})["__count"]
    if not caught:
        return Statement(None, (), lambda _rows: value)
    sql, params = caught[0]
    return _count(sql, params, queryset.db)


def _count(sql: str, params: Sequence[Any], alias: str) -> Statement:
    def read(rows: list[tuple[Any, ...]] | None) -> int:
        if rows is None:
            with connections[alias].cursor() as cursor:
                cursor.execute(sql, params)
                rows = cursor.fetchall()
        return int(rows[0][0] or 0)

    return Statement(sql, params, read, lambda sql, params: _count(sql, params, alias))


@functools.cache
def _counting(query_class: type[Query]) -> type[Query]:
    class CountingQuery(query_class):  # type: ignore[valid-type,misc]
        """A query whose own aggregate statement is composed and kept, not run."""

        def get_compiler(self, *args: Any, **kwargs: Any) -> Any:
            compiler = super().get_compiler(*args, **kwargs)
            if self.__dict__.get("_osit_count_of") is not self:
                return compiler  # a clone (an inner query): composed as usual
            caught = self._osit_caught

            def execute_sql(result_type: Any = MULTI, *_a: Any, **_k: Any) -> Any:
                if result_type != SINGLE:
                    raise TypeError("a count runs one statement for one row")
                try:
                    caught.append(compiler.as_sql())
                except EmptyResultSet:
                    return None  # Django's answer for a count that needs no statement: 0
                return (0,)

            compiler.execute_sql = execute_sql
            return compiler

    return CountingQuery


def deferred_join(page: QuerySet[Any]) -> QuerySet[Any]:
    """The rows of ``page`` (a sliced, ordered queryset) read as a deferred join (issue 5).

    The page's primary keys are chosen in a subquery that needs no join but its ordering's (an
    index walk in page order); only those rows are then read with ``page``'s joins, prefetches
    and deferred fields, in the same order, and none of its filters, which the subquery has
    applied. Joined first, PostgreSQL hashes all 20,000 requesters to sort a list it then cuts to
    one page: 10.6 ms of SQL for the 6th page of a queue at 100k tickets, 1.0 ms this way.
    """
    query = page.query
    if not (query.is_sliced and query.order_by):
        return page
    rows = page.model._default_manager.filter(pk__in=page.values("pk")).order_by(*query.order_by)
    rows.query.select_related = query.select_related
    rows.query.deferred_loading = query.deferred_loading
    rows._prefetch_related_lookups = page._prefetch_related_lookups
    return rows


# Where a page's subquery goes in a deferred join's outer statement while it is composed.
_PAGE_MARK = "OSIT_DEFERRED_JOIN_PAGE"


def deferred_rows(page: QuerySet[Any], *fields: str) -> list[tuple[Any, ...]]:
    """``deferred_join(page).values_list(*fields)``, with the outer statement composed once.

    The outer statement of a deferred join — the joins, the columns, the ordering — is the same
    for every page of every list that shows ``fields`` in the same order; only the subquery
    choosing the page's keys differs (the user's visibility, the list's filters, the page). The
    outer part is composed once per database, model, ordering and fields, with a mark where the
    subquery goes, and carries no condition and no parameter of its own (else it is composed on
    every call as usual); each call composes only the subquery, exactly as Django nests it, and
    reads the rows through the ORM's own row code (converters included). At 100k tickets it
    takes a queue page's rows from 1.36 ms to 0.9 ms. ``tests/test_queries.py`` holds the text
    to the one Django composes.
    """
    statement = deferred_rows_statement(page, *fields)
    return statement.read(None)  # type: ignore[no-any-return]


def deferred_rows_statement(page: QuerySet[Any], *fields: str) -> Statement:
    """:func:`deferred_rows` as a :class:`Statement`, to send with others (:func:`together`)."""
    query = page.query
    if not (query.is_sliced and query.order_by):
        return Statement(None, (), lambda _rows: list(page.values_list(*fields)))
    alias = page.db
    key = (alias, page.model, tuple(query.order_by), fields)
    try:
        outer = _OUTERS[key]
    except KeyError:
        outer = _OUTERS[key] = _compose_outer(page, fields)
    if outer is None:
        return Statement(None, (), lambda _rows: list(deferred_join(page).values_list(*fields)))
    connection = connections[alias]
    # As ``filter(pk__in=page.values("pk"))`` nests it: resolved against a fresh outer query
    # (its aliases renamed away from the outer one's), then compiled as a subquery.
    inner = page.values("pk").query.resolve_expression(Query(page.model))
    try:
        inner_sql, inner_params = inner.as_sql(None, connection)
    except EmptyResultSet:
        return Statement(None, (), lambda _rows: [])
    return _outer_rows(outer, outer.head + inner_sql + outer.tail, inner_params, alias)


def _outer_rows(outer: _Outer, sql: str, params: Sequence[Any], alias: str) -> Statement:
    return Statement(
        sql,
        params,
        lambda rows: list(_run(outer.queryset, outer.compiler, sql, params, alias, rows)),
        lambda sql, params: _outer_rows(outer, sql, params, alias),
    )


def _compose_outer(page: QuerySet[Any], fields: tuple[str, ...]) -> _Outer | None:
    rows = (
        page.model._default_manager.using(page.db)
        .filter(pk__in=RawSQL(_PAGE_MARK, []))  # noqa: S611 — a constant, replaced before use
        .order_by(*page.query.order_by)
        .values_list(*fields)
    )
    compiler = rows.query.get_compiler(page.db)
    sql, params = compiler.as_sql()
    mark = f"({_PAGE_MARK})"
    if params or sql.count(mark) != 1:
        return None
    head, tail = sql.split(mark)
    return _Outer(head, tail, compiler, rows)


class _Outer(NamedTuple):
    head: str
    tail: str
    compiler: Any
    queryset: QuerySet[Any]


# Composed once per process; only read afterwards (copied per call), so threads may share it.
_OUTERS: dict[tuple[Any, ...], _Outer | None] = {}


def _run(
    queryset: QuerySet[Any],
    compiler: Any,
    sql: str,
    params: Sequence[Any],
    alias: str,
    rows: list[tuple[Any, ...]] | None = None,
) -> QuerySet[Any]:
    """``queryset`` running ``sql`` with ``params`` through ``compiler`` (composed earlier for
    the same shape of statement): the ORM's own rows, models and prefetches, no composing.
    With ``rows`` (read already, :func:`together`), nothing runs: they are the result.

    The columns' converters (what the ORM applies to each value it reads) are looked up once
    per composed statement too: Django looks them up per column on every run, a tenth of the
    ticket page's eight fixed queries. They depend on the columns and the database's backend,
    not on the connection (each is called with the running one)."""
    converters = compiler.__dict__.get("_osit_converters")
    if converters is None:
        columns = [s[0] for s in compiler.select[0 : compiler.col_count]]
        converters = compiler._osit_converters = compiler.get_converters(columns)
    compiler = copy.copy(compiler)
    compiler.get_converters = lambda _expressions: converters
    compiler.connection = connections[alias]  # this thread's
    compiler.as_sql = lambda *_a, **_k: (sql, params)
    if rows is not None:
        read = rows if not compiler.has_extra_select else [r[: compiler.col_count] for r in rows]
        compiler.execute_sql = lambda *_a, **_k: [read]
    query = copy.copy(queryset.query)
    query.get_compiler = lambda *_a, **_k: compiler  # type: ignore[method-assign]
    rows: QuerySet[Any] = QuerySet.__new__(type(queryset))
    rows.__dict__.update(queryset.__dict__)
    rows._query = query  # type: ignore[attr-defined]
    rows._result_cache = None
    rows._prefetch_done = False
    return rows


class Composed:
    """Statements of one shape, composed once (issue 5): ``make(*args)`` gives a
    :class:`Statement` (a count, a table's page) that only ``args`` vary.

    As :class:`Reusable` does for a queryset, it is composed twice with probe values to find
    where each argument lands among the parameters and to check that nothing else varies (else
    ``make`` runs on every call, as usual); each call then substitutes its values into the
    composed SQL (``Statement.rebind``). ``types`` are the arguments' types (``int`` or
    ``str``).
    """

    def __init__(self, make: Callable[..., Statement], *types: type) -> None:
        if any(t not in _PROBES for t in types):
            raise TypeError("Composed arguments are int or str")
        self.make = make
        self.types = types
        self._composed: dict[str, tuple[Statement, tuple[tuple[int, int], ...]] | None] = {}

    def statement(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Statement:
        _check_arguments(self.types, args)
        try:
            entry = self._composed[using]
        except KeyError:
            entry = self._composed[using] = self._compose()
        if entry is None:
            return self.make(*args)
        composed, positions = entry
        if composed.sql is None or composed.rebind is None:  # _compose keeps no other
            raise TypeError("a composed statement without SQL")
        return composed.rebind(composed.sql, _bound(composed.params, positions, args))

    def is_reused(self, alias: str = DEFAULT_DB_ALIAS) -> bool:
        if alias not in self._composed:
            self._composed[alias] = self._compose()
        return self._composed[alias] is not None

    def _compose(self) -> tuple[Statement, tuple[tuple[int, int], ...]] | None:
        def make(probes: list[Any]) -> tuple[str, Sequence[Any], Statement] | None:
            statement = self.make(*probes)
            if statement.sql is None or statement.rebind is None:
                return None
            return statement.sql, statement.params, statement

        found = _probed(self.types, make)
        return None if found is None else (found[0], found[1])


def _check_arguments(types: tuple[type, ...], args: tuple[Any, ...]) -> None:
    if len(args) != len(types) or any(type(a) is not t for a, t in zip(args, types, strict=True)):
        raise TypeError(f"expected arguments of types {types}, got {args!r}")


def _bound(
    params: Sequence[Any], positions: tuple[tuple[int, int], ...], args: tuple[Any, ...]
) -> list[Any]:
    """The composed statement's parameters with the caller's arguments in their places."""
    bound = list(params)
    for index, position in positions:
        bound[index] = args[position]
    return bound


def _probed(
    types: tuple[type, ...],
    make: Callable[[list[Any]], tuple[str, Sequence[Any], Any] | None],
) -> tuple[Any, tuple[tuple[int, int], ...], str, tuple[Any, ...]] | None:
    """Compose twice with probe values in place of the arguments (``make(probes)`` gives the
    SQL, its parameters and what the caller keeps): where each argument lands among the
    parameters, or None when the statement depends on more than the arguments' values (or on
    none of them, or transforms one)."""
    seen = []
    for round_ in (1, 2):
        probes = [_PROBES[t](round_, i) for i, t in enumerate(types)]
        made = make(probes)
        if made is None:
            return None
        sql, params, kept = made
        positions, others = _places(list(params), probes)
        if positions is None:
            return None  # an argument was transformed, or is not in the SQL
        seen.append((sql, positions, others, kept, tuple(params)))
    (sql, positions, others, kept, params), second = seen
    if (sql, positions, others) != second[:3]:
        return None  # the SQL depends on more than the arguments' values
    return kept, positions, sql, params


def _places(
    params: list[Any], probes: list[Any]
) -> tuple[tuple[tuple[int, int], ...] | None, tuple[tuple[int, Any], ...]]:
    """Where each probe lands among ``params`` (None if one is missing), and the other values."""
    positions, others = [], []
    for index, value in enumerate(params):
        found = [i for i, p in enumerate(probes) if type(value) is type(p) and value == p]
        if found:
            positions.append((index, found[0]))
        else:
            others.append((index, value))
    if {p for _i, p in positions} != set(range(len(probes))):
        return None, tuple(others)
    return tuple(positions), tuple(others)


class Literal(Value):
    """A constant of the code (a status, a kind) written into the SQL as a literal instead of
    bound as a parameter (issue 5). SQLite uses a partial index as such only when the query
    states the index's condition itself; with ``status <> ?`` it reads every row's status from
    the table. At a million tickets: a queue's count 2.4 ms → 0.1 ms, New and unowned's page
    8.6 ms → 0.01 ms. Only plain words are accepted, so nothing can be injected."""

    _PLAIN = re.compile(r"[a-z0-9_]+")

    def __init__(self, value: str) -> None:
        if not isinstance(value, str) or not self._PLAIN.fullmatch(value):
            raise ValueError(f"not a plain constant: {value!r}")
        super().__init__(str(value), output_field=CharField())

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        return f"'{self.value}'", []


class Reusable:
    """A query whose SQL Django composes once per process and database (issue 5).

    ``build(*args)`` returns the queryset; Django spends more time composing its SQL (joins,
    select_related, ordering) than the database spends running it — a quarter of the ticket
    page. ``Reusable`` composes it once with probe values in place of the arguments, records
    where each lands among the SQL's parameters, and from then on runs that SQL with the caller's
    values through the ORM's own row-to-object code (``select_related``, ``only``,
    ``values_list`` and ``prefetch_related`` work as usual).

    ``types`` are the arguments' types (``int`` or ``str``). ``build`` must use its arguments as
    plain values (``field=arg``, not ``field__in=[…]`` or ``if arg:``) and nothing else that
    varies (the time, settings): composed twice with different probes, the SQL and the other
    parameters must come out the same, or the query is composed on every call as usual
    (:meth:`is_reused` tells; a test holds every ``Reusable`` of OSIT to it).
    """

    def __init__(self, build: Callable[..., QuerySet[Any]], *types: type) -> None:
        if any(t not in _PROBES for t in types):
            raise TypeError("Reusable arguments are int or str")
        self.build = build
        self.types = types
        # Composed once per database alias and process; only read afterwards (each view copies
        # the compiler and gives it its own thread's connection), so threads may share it.
        self._composed: dict[str, _Composed | None] = {}

    def list(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> list[Any]:
        """The rows of ``build(*args)`` on database ``using`` (read already when a
        :func:`read_ahead` block around the call read them)."""
        ahead = _AHEAD.get()
        if ahead is not None:
            key = (id(self), args, using)
            if key in ahead:
                return list(ahead[key])
        return self.statement(*args, using=using).read(None)  # type: ignore[no-any-return]

    def statement(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Statement:
        """``list(*args)`` as a :class:`Statement`, to send with others (:func:`together`)."""
        _check_arguments(self.types, args)
        entry = self._entry(using)
        if entry is None:
            return Statement(None, (), lambda _rows: list(self.build(*args).using(using)))
        params = _bound(entry.params, entry.positions, args)
        return Statement(
            entry.sql,
            params,
            lambda rows: list(_run(entry.queryset, entry.compiler, entry.sql, params, using, rows)),
        )

    def ahead(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Ahead:
        """A read of ``list(*args)`` for :func:`read_ahead`."""
        return Ahead(self, args, using)

    def is_reused(self, alias: str = DEFAULT_DB_ALIAS) -> bool:
        return self._entry(alias) is not None

    def _entry(self, alias: str) -> _Composed | None:
        # Once per process, not per connection: each of a worker's threads has its own, and a
        # first view per thread paying for composing was the ticket page's p95.
        try:
            return self._composed[alias]
        except KeyError:
            entry = self._composed[alias] = self._compose(alias)
            return entry

    def _compose(self, alias: str) -> _Composed | None:
        def make(probes: list[Any]) -> tuple[str, Sequence[Any], Any] | None:
            queryset = self.build(*probes).using(alias)
            compiler = queryset.query.get_compiler(alias)
            try:
                sql, params = compiler.as_sql()
            except EmptyResultSet:
                return None  # a query that needs no SQL for these values
            return sql, params, (compiler, queryset)

        found = _probed(self.types, make)
        if found is None:
            return None
        (compiler, queryset), positions, sql, params = found
        return _Composed(sql, positions, params, compiler, queryset)


class Read:
    """A read written by hand rather than a queryset, for :func:`read_ahead`.

    ``compose(*args, using=alias)`` returns its :class:`Statement`, whose ``read(rows)`` gives
    the result (and whose ``read(None)`` runs it). The visitor's session is one (the session
    store's statement, ``osit.web.sessions``): a page sends it with the reads it will make once
    it knows who asks, so the two go to the database in one round trip.
    """

    def __init__(self, compose: Callable[..., Statement]) -> None:
        self.compose = compose

    def statement(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Statement:
        return self.compose(*args, using=using)

    def ahead(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Ahead:
        """A read of ``result(*args)`` for :func:`read_ahead`."""
        return Ahead(self, args, using)

    def read_already(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> tuple[bool, Any]:
        """(True, the result) when a :func:`read_ahead` block around the call read it, else
        (False, None): nothing is read here."""
        ahead = _AHEAD.get()
        key = (id(self), args, using)
        if ahead is not None and key in ahead:
            return True, ahead[key]
        return False, None

    def result(self, *args: Any, using: str = DEFAULT_DB_ALIAS) -> Any:
        """The result, read already when a :func:`read_ahead` block around the call read it,
        else read now."""
        ahead = _AHEAD.get()
        if ahead is not None:
            key = (id(self), args, using)
            if key in ahead:
                return ahead[key]
        return self.statement(*args, using=using).read(None)


class Ahead(NamedTuple):
    reusable: Reusable | Read
    args: tuple[Any, ...]
    using: str


# The rows read ahead for the current block, by (Reusable, arguments, database).
_AHEAD: ContextVar[dict[tuple[int, tuple[Any, ...], str], list[Any]] | None] = ContextVar(
    "osit_read_ahead", default=None
)


@contextmanager
def read_ahead(*reads: Ahead) -> Iterator[None]:
    """Read ``reads`` now, together (:func:`together`: one round trip on PostgreSQL); inside the
    block, each ``reusable.list(*args)`` they name answers with those rows instead of a query.

    For a page whose reads do not depend on each other but are made by separate functions (the
    ticket page's links, timeline, watchers and menus): the view names them up front, and the
    functions stay as they are. A read named here and not made costs its statement only.
    """
    store = dict(_AHEAD.get() or {})
    by_alias: dict[str, list[Ahead]] = {}
    for read in reads:
        if (id(read.reusable), read.args, read.using) not in store:  # read by an outer block
            by_alias.setdefault(read.using, []).append(read)
    for alias, group in by_alias.items():
        results = together([r.reusable.statement(*r.args, using=alias) for r in group], alias)
        for read, result in zip(group, results, strict=True):
            store[(id(read.reusable), read.args, alias)] = result
    token = _AHEAD.set(store)
    try:
        yield
    finally:
        _AHEAD.reset(token)


class _Composed(NamedTuple):
    sql: str
    positions: tuple[tuple[int, int], ...]
    params: tuple[Any, ...]
    compiler: Any
    queryset: QuerySet[Any]


# Values no caller passes: composing with them shows where each argument lands.
_PROBES: dict[type, Callable[[int, int], Any]] = {
    int: lambda round_, i: -(7_000_000_000_000 + round_ * 1_000 + i),
    str: lambda round_, i: f"\x1fosit-probe-{round_}-{i}\x1f",
}


# --- inserting ----------------------------------------------------------------------------------


class _Insert(NamedTuple):
    sql: str
    fields: tuple[Any, ...]
    returning: tuple[Any, ...]
    returning_params: tuple[Any, ...]
    converters: Any  # the compiler's converters of the returned columns


# Composed once per process, model and database; only read afterwards.
_INSERTS: dict[tuple[str, type[Model]], _Insert | None] = {}


def insert(instance: Model, using: str = DEFAULT_DB_ALIAS) -> None:
    """``instance.save(force_insert=True)`` for a new row, its INSERT composed once (issue 5).

    Django composes the statement on every save: for a ticket's thirty columns that was a fifth
    of an API create. Here it is composed by Django the first time, for a model without parents
    whose fields all take a plain placeholder; each save then prepares the values as Django
    does (each field's ``pre_save``, then ``get_db_prep_save``), and the columns the database
    returns (the primary key) are set on the instance. The ``pre_save`` and ``post_save``
    signals are sent as ``save`` sends them. Anything else (an expression or a database default
    as a value, a model this does not cover) is saved by ``save(force_insert=True)``.
    """
    model = type(instance)
    connection = connections[using]
    key = (using, model)
    if key not in _INSERTS:
        _INSERTS[key] = _compose_insert(model, connection)
    entry = _INSERTS[key]
    instance._prepare_related_fields_for_save(operation_name="save")  # as save() checks
    values = [field.pre_save(instance, True) for field in entry.fields] if entry else []
    if entry is None or any(hasattr(v, "resolve_expression") for v in values):
        instance.save(force_insert=True, using=using)
        return
    if signals.pre_save.has_listeners(model):
        signals.pre_save.send(
            sender=model, instance=instance, raw=False, using=using, update_fields=None
        )
    params = [f.get_db_prep_save(v, connection) for f, v in zip(entry.fields, values, strict=True)]
    with connection.cursor() as cursor:
        cursor.execute(entry.sql, params)
        if entry.returning:
            row = connection.ops.fetch_returned_insert_columns(cursor, entry.returning_params)
            row = list(row)
            for position, (converters, expression) in entry.converters.items():
                for converter in converters:  # as the compiler applies them
                    row[position] = converter(row[position], expression, connection)
            for field, value in zip(entry.returning, row, strict=True):
                setattr(instance, field.attname, value)
    instance._state.adding = False
    instance._state.db = using
    if signals.post_save.has_listeners(model):
        signals.post_save.send(
            sender=model,
            instance=instance,
            created=True,
            update_fields=None,
            raw=False,
            using=using,
        )


def _compose_insert(model: type[Model], connection: Any) -> _Insert | None:
    meta = model._meta
    if meta.parents or not connection.features.can_return_columns_from_insert:
        return None
    fields = tuple(
        f
        for f in meta.local_concrete_fields
        if f is not meta.auto_field and not getattr(f, "generated", False)
    )
    if any(hasattr(f, "get_placeholder") for f in fields):
        return None
    returning = tuple(meta.db_returning_fields)
    query = InsertQuery(model)
    query.insert_values(fields, [model()], raw=True)  # raw: the values are not needed here
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = list(returning)
    statements = compiler.as_sql()
    if len(statements) != 1:
        return None
    sql, params = statements[0]
    values = f"VALUES ({', '.join(['%s'] * len(fields))})"
    if values not in sql or len(params) != len(fields) + len(compiler.returning_params):
        return None
    converters = compiler.get_converters([f.get_col(meta.db_table) for f in returning])
    return _Insert(sql, fields, returning, tuple(compiler.returning_params), converters)
