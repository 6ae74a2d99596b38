"""Read-only ticket lists for the agent pages (SPEC §3, §9).

Every list starts from ``policy.visible_tickets(user)`` and is then narrowed; nothing here widens
what a user may see. ``for_table`` loads exactly the columns a list shows, in one query per page
whatever the number of rows.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.paginator import Page, Paginator
from django.db import DEFAULT_DB_ALIAS
from django.db.models import QuerySet

from osit.core.queries import (
    Ahead,
    Composed,
    Read,
    Reusable,
    Statement,
    count_statement,
    deferred_rows,
    deferred_rows_statement,
    together,
)
from osit.directory.choices import Role
from osit.directory.models import NAME_FIELDS, Service, display_name
from osit.tickets.choices import UNOWNED_STATUSES, Status
from osit.tickets.models import Ticket, Watcher
from osit.tickets.policy import active_slice, sees_whole_slice, visible_active, visible_tickets

if TYPE_CHECKING:
    from osit.directory.models import User


# ?sort= key → ordering. Every ordering ends on the number so that paging is stable.
SORTS: dict[str, tuple[str, ...]] = {
    "number": ("id",),
    "subject": ("subject", "id"),
    "priority": ("priority", "created_at", "id"),
    "status": ("status", "priority", "id"),
    "service": ("service__name", "priority", "id"),
    "owner": ("owner__username", "priority", "id"),
    "created": ("created_at", "id"),
    "updated": ("updated_at", "id"),
    "closed": ("closed_at", "id"),
}
DEFAULT_SORT = "priority"

_USER_COLUMNS = NAME_FIELDS
# The columns of a table row, in TableRow's order (requester and owner as their three names).
ROW_FIELDS = (
    "id",
    "subject",
    "priority",
    "status",
    "created_at",
    "updated_at",
    "closed_at",
    *(f"requester__{f}" for f in _USER_COLUMNS),
    *(f"owner__{f}" for f in _USER_COLUMNS),
    "service__slug",
    "service__name",
    "application__name",
)
TABLE_FIELDS = (*ROW_FIELDS, "application__slug")


@dataclass(frozen=True)
class Sort:
    """A validated ``?sort=`` value: the key shown in links and whether it is descending."""

    key: str
    descending: bool = False

    @property
    def param(self) -> str:
        return f"-{self.key}" if self.descending else self.key

    @property
    def ordering(self) -> list[str]:
        prefix = "-" if self.descending else ""
        return [prefix + field for field in SORTS[self.key]]


def parse_sort(value: str | None, default: str = DEFAULT_SORT) -> Sort:
    """The sort asked for, or ``default`` when the value is missing or not whitelisted."""
    for candidate in (value or "", default):
        key = candidate.removeprefix("-")
        if key in SORTS:
            return Sort(key, candidate.startswith("-"))
    return Sort(DEFAULT_SORT)


def for_table(queryset: QuerySet[Ticket], sort: Sort) -> QuerySet[Ticket]:
    """``queryset`` with what a ticket table shows joined in, ordered by ``sort``."""
    return (
        queryset.select_related("requester", "owner", "service", "application")
        .only(*TABLE_FIELDS)
        .order_by(*sort.ordering)
    )


@dataclass(frozen=True, slots=True)
class TableRow:
    """One line of a ticket table: plain values, no model instances (issue 5)."""

    pk: int
    subject: str
    priority: int
    status: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    requester_name: str
    owner_name: str | None
    service_slug: str | None
    service_name: str | None
    application_name: str | None


def _table_row(r: tuple[Any, ...]) -> TableRow:
    # ROW_FIELDS: 7 ticket columns, the requester's 3 and the owner's 3 names, 3 more.
    return TableRow(
        r[0],
        r[1],
        r[2],
        r[3],
        r[4],
        r[5],
        r[6],
        display_name(r[7], r[8], r[9]),
        display_name(r[10], r[11], r[12]) if r[10] is not None else None,
        r[13],
        r[14],
        r[15],
    )


def table_rows(queryset: QuerySet[Ticket]) -> list[TableRow]:
    """The rows of ``queryset`` (a page of ``for_table``) as :class:`TableRow`, in one query
    (a deferred join: ``osit.core.queries.deferred_rows``)."""
    return [_table_row(r) for r in deferred_rows(queryset, *ROW_FIELDS)]


@dataclass(frozen=True, slots=True)
class Slice:
    """A list that, for the user asking, is every active ticket of a slice named by ``kind``
    and ``args`` (``policy.sees_whole_slice``): what its rows are depends on those alone, so its
    count and pages are composed once per sort and page (``osit.core.queries.Composed``)."""

    kind: str
    args: tuple[int, ...] = ()


# The slices, built as the list functions below build them for such a user (the same
# ``policy.active_slice``; a test holds them to the same rows for every persona).
_SLICES: dict[str, Callable[..., QuerySet[Ticket]]] = {
    "queue": lambda service_id: active_slice(service_ids=[service_id]),
    "mine": lambda owner_id: active_slice(owner_id=owner_id),
    "unowned": lambda: _without_owner(active_slice(statuses=UNOWNED_STATUSES)),
    "unowned_service": lambda service_id: _without_owner(
        active_slice(service_ids=[service_id], statuses=UNOWNED_STATUSES)
    ),
}
_COMPOSED: dict[tuple[Any, ...], Composed] = {}


def _composed(key: tuple[Any, ...], make: Callable[..., Statement], arity: int) -> Composed:
    found = _COMPOSED.get(key)
    if found is None:
        if len(_COMPOSED) > 2000:  # kinds × sorts × pages visited: bounded all the same
            _COMPOSED.clear()
        found = _COMPOSED[key] = Composed(make, *([int] * arity))
    return found


def _page_start(number: str | None, per_page: int) -> tuple[int, int]:
    """(the page number asked for, or 1; the offset of its first row)."""
    try:
        wanted = int(str(number)) if number not in (None, "") else 1
    except ValueError:
        wanted = 1
    guess = max(wanted, 1)
    return guess, (guess - 1) * per_page


def _slice_statements(
    slice_: Slice, sort: Sort, bottom: int, per_page: int
) -> tuple[Statement, Statement]:
    """The count of ``slice_`` and its rows from ``bottom``, composed once (``Composed``)."""
    build, arity = _SLICES[slice_.kind], len(slice_.args)
    count = _composed(
        ("count", slice_.kind), lambda *a: count_statement(build(*a)), arity
    ).statement(*slice_.args)
    rows = _composed(
        ("page", slice_.kind, sort.param, bottom, per_page),
        lambda *a: deferred_rows_statement(
            for_table(build(*a), sort)[bottom : bottom + per_page], *ROW_FIELDS
        ),
        arity,
    ).statement(*slice_.args)
    return count, rows


def _slice_page_statement(
    part: str,
    kind: str,
    args: tuple[int, ...],
    sort: Sort,
    bottom: int,
    per_page: int,
    *,
    using: str,
) -> Statement:
    count, rows = _slice_statements(Slice(kind, args), sort, bottom, per_page)
    return count if part == "count" else rows


_SLICE_PAGE = Read(_slice_page_statement)


def slice_page_reads(slice_: Slice, sort: Sort, number: str | None, per_page: int) -> list[Ahead]:
    """The count and rows :func:`table_page` reads for page ``number`` of ``slice_``, for
    ``osit.core.queries.read_ahead``: a page that can name its slice before its visitor is
    known sends them with the session. ``table_page`` uses them only when it is given that
    very slice — when the policy says the visitor sees it whole (``queue_slice``)."""
    _guess, bottom = _page_start(number, per_page)
    key = (slice_.kind, slice_.args, sort, bottom, per_page)
    return [_SLICE_PAGE.ahead("count", *key), _SLICE_PAGE.ahead("rows", *key)]


def table_page(
    queryset: QuerySet[Ticket] | Callable[[], QuerySet[Ticket]],
    number: str | None,
    per_page: int,
    *,
    also: Sequence[Statement] = (),
    slice_: Slice | None = None,
    sort: Sort | None = None,
) -> tuple[Page, list[TableRow], list[Any]]:
    """Page ``number`` of ``queryset`` (ordered: ``for_table``), as ``Paginator.get_page`` gives
    it, with its :class:`TableRow` rows and the results of the statements ``also``.

    The count, the page's rows and ``also`` are sent together (one round trip on PostgreSQL,
    ``osit.core.queries.together``): the rows are those of the page asked for, read before the
    count says whether it exists; a number past the last page (or not a page number) reads the
    page ``get_page`` falls back to afterwards. With ``slice_`` (and ``sort``), the count and
    the page are the slice's, composed once; ``queryset`` (which may then be a function giving
    it) is made only for a page past the last.
    """
    guess, bottom = _page_start(number, per_page)
    made: list[QuerySet[Ticket]] = []

    def tickets() -> QuerySet[Ticket]:
        if not made:
            made.append(queryset() if callable(queryset) else queryset)
        return made[0]

    results: list[Any] | None = None
    if slice_ is not None and sort is not None:
        # Read already, with the visitor's session (slice_page_reads), or read now.
        key = (slice_.kind, slice_.args, sort, bottom, per_page)
        had_count, counted = _SLICE_PAGE.read_already("count", *key)
        had_rows, read = _SLICE_PAGE.read_already("rows", *key)
        if had_count and had_rows:
            results = [counted, read, *together(list(also))]
        count, rows = _slice_statements(slice_, sort, bottom, per_page)
        alias = DEFAULT_DB_ALIAS
    else:
        count = count_statement(tickets())
        rows = deferred_rows_statement(tickets()[bottom : bottom + per_page], *ROW_FIELDS)
        alias = tickets().db
    if results is None:
        results = together([count, rows, *also], alias)
    paginator = Paginator(made[0] if made else (), per_page)
    paginator.__dict__["count"] = results[0]  # Paginator.count is a cached property
    page = paginator.get_page(number)
    if page.number == guess:
        table = [_table_row(r) for r in results[1]]
    else:
        first = (page.number - 1) * per_page
        table = table_rows(tickets()[first : first + per_page])
    return page, table, results[2:]


def sees_all_services(user: User) -> bool:
    """First level, managers and admins dispatch for every service."""
    return bool(user.role_names & {Role.OPERATOR, Role.MANAGER, Role.ADMIN})


def active(user: User) -> QuerySet[Ticket]:
    return visible_active(user)


def queue(user: User, service: Service) -> QuerySet[Ticket]:
    """Active tickets of ``service`` that ``user`` may see."""
    return visible_active(user, service_ids=[service.pk])


def mine(user: User) -> QuerySet[Ticket]:
    """Active tickets owned by ``user``."""
    return visible_active(user, owner_id=user.pk)


def unowned(user: User) -> QuerySet[Ticket]:
    """Tickets waiting for someone to take them, in the user's services.

    Operators, managers and admins see every service's, including tickets not yet routed to any
    service (portal tickets waiting for first level).
    """
    services = None if sees_all_services(user) else user.service_ids
    return _without_owner(visible_active(user, service_ids=services, statuses=UNOWNED_STATUSES))


def _without_owner(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.filter(owner__isnull=True)


def queue_slice(user: User, service: Service) -> Slice | None:
    """The :class:`Slice` :func:`queue` is for ``user``, if it is one."""
    return (
        Slice("queue", (service.pk,)) if sees_whole_slice(user, service_ids=[service.pk]) else None
    )


def mine_slice(user: User) -> Slice | None:
    """The :class:`Slice` :func:`mine` is for ``user``, if it is one."""
    return Slice("mine", (user.pk,)) if sees_whole_slice(user, owner_id=user.pk) else None


def unowned_slice(user: User) -> Slice | None:
    """The :class:`Slice` :func:`unowned` is for ``user``, if it is one."""
    if sees_all_services(user):
        return Slice("unowned")
    services = sorted(user.service_ids)
    if len(services) == 1 and sees_whole_slice(user, service_ids=services):
        return Slice("unowned_service", (services[0],))
    return None


def enhancements(user: User) -> QuerySet[Ticket]:
    """Enhancement requests waiting for a decision."""
    return visible_tickets(user).filter(status=Status.PENDING_DECISION)


def closed(user: User) -> QuerySet[Ticket]:
    return visible_tickets(user).filter(status=Status.CLOSED)


_QUEUE_SERVICES = Reusable(
    lambda: Service.objects.filter(is_active=True).only("slug", "name").order_by("name")
)
_SERVICE = Reusable(lambda slug: Service.objects.filter(slug=slug)[:1], str)


def queue_services() -> list[Service]:
    """The services shown in the queue picker, by name."""
    return _QUEUE_SERVICES.list()


def queue_services_statement() -> Statement:
    """:func:`queue_services` as a statement, to send with a page's others."""
    return _QUEUE_SERVICES.statement()


def queue_services_reads() -> list[Ahead]:
    """The read :func:`queue_services` makes, for ``osit.core.queries.read_ahead``."""
    return [_QUEUE_SERVICES.ahead()]


def service_reads(slug: str) -> list[Ahead]:
    """The read :func:`service` makes for ``slug``, for ``osit.core.queries.read_ahead``."""
    return [_SERVICE.ahead(slug)]


def service(slug: str, known: Iterable[Service] = ()) -> Service | None:
    """The service of a queue's address, or None: taken from ``known`` (services the page has
    read already, such as :func:`queue_services`) when it is among them, else read."""
    for candidate in known:
        if candidate.slug == slug:
            _seen_service(candidate)
            return candidate
    found = _SERVICE.list(slug)
    if found:
        _seen_service(found[0])
    return found[0] if found else None


# The id of the service each queue address named when last read in this process: a guess, for
# reading a queue's page ahead with the session (``lists._queue_reads``); the guess is used only
# when the service read in the same round trip has that id.
_SERVICE_IDS: dict[str, int] = {}


def _seen_service(found: Service) -> None:
    if _SERVICE_IDS.get(found.slug) != found.pk:
        if len(_SERVICE_IDS) > 1000:
            _SERVICE_IDS.clear()
        _SERVICE_IDS[found.slug] = found.pk


def guessed_service_id(slug: str) -> int | None:
    """The id the service at ``slug`` had when last read here, or None."""
    return _SERVICE_IDS.get(slug)


_WATCHERS = Reusable(
    lambda ticket_id: (
        Watcher.objects.filter(ticket_id=ticket_id)
        .select_related("user")
        .only("id", "kind", "user__username", "user__first_name", "user__last_name", "user__email")
        .order_by("kind", "user__username")
    ),
    int,
)


def watchers_reads(ticket_id: int) -> list[Ahead]:
    """The read :func:`watchers_of` makes, for ``osit.core.queries.read_ahead``."""
    return [_WATCHERS.ahead(ticket_id)]


def watchers_of(ticket: Ticket) -> list[Watcher]:
    """The watchers of ``ticket`` with their names and addresses, by kind then user name."""
    return _WATCHERS.list(ticket.pk)
