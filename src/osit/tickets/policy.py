"""Who may see and do what (SPEC §1) — the one place every interface asks.

``visible_tickets(user)`` is the queryset that every list, count, search, export and download
starts from; ``get_ticket_for(user, number)`` fetches and authorises in one call and raises
``NotFound`` for a ticket the user may not see, exactly as for one that does not exist.
``can(user, action, ticket)`` answers for a visible ticket; ``require`` raises ``Forbidden``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection, Sequence
from datetime import datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from osit.core.errors import Forbidden, NotFound
from osit.core.queries import Ahead, Literal, Reusable
from osit.directory.choices import Role
from osit.tickets.choices import Status
from osit.tickets.models import Attachment, Ticket, Watcher

if TYPE_CHECKING:
    from osit.directory.models import User


class Action(StrEnum):
    VIEW = "view"
    REPLY = "reply"  # public reply
    NOTE = "note"  # internal note
    READ_INTERNAL = "read_internal"
    CHANGE_STATUS = "change_status"
    CLOSE = "close"
    REOPEN = "reopen"  # a closed ticket, by an agent
    REROUTE = "reroute"
    TAKE = "take"
    ASSIGN = "assign"
    EDIT = "edit"  # subject, application, severity, criticality, priority, tags
    WATCHERS = "watchers"
    LOG_TIME = "log_time"
    ATTACH = "attach"
    DECIDE = "decide"  # accept or reject an enhancement request
    CONFIRM = "confirm"  # the requester confirms a resolved ticket is fixed
    REQUESTER_REOPEN = "requester_reopen"  # the requester says a resolved ticket is not fixed
    LINK = "link"  # link to another ticket, or remove a link
    MERGE = "merge"  # merge into another ticket
    SPLIT = "split"  # a comment becomes a new ticket


def _roles(user: User) -> frozenset[str]:
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    return user.role_names


def sees_everything(user: User) -> bool:
    return bool(_roles(user) & {Role.MANAGER, Role.ADMIN})


def is_agent(user: User) -> bool:
    return bool(_roles(user) & {Role.OPERATOR, Role.TECHNICIAN, Role.MANAGER, Role.ADMIN})


def can_create_for_others(user: User) -> bool:
    """Operators (and above) create tickets on behalf of any requester."""
    return is_agent(user)


# Up to this many linked tickets are inlined as a list of numbers, which the database combines
# with the other conditions through its indexes; beyond it, a subquery (correct, but it makes
# PostgreSQL scan). People are co-requesters or watchers of a handful of tickets.
INLINE_IDS = 500


def _linked_ticket_ids(user: User) -> tuple[Any, Any]:
    """(tickets ``user`` co-requests, tickets ``user`` watches): lists, or subqueries when long.

    One query per user object (cached on it, like its roles), whatever the page.
    """
    cached = getattr(user, "_osit_linked_tickets", None)
    if cached is not None:
        return cached
    co = Ticket.extra_requesters.through.objects.filter(user_id=user.pk)
    watching = Watcher.objects.filter(user_id=user.pk)
    rows = list(
        co.annotate(link=Value("r"))
        .values_list("ticket_id", "link")
        .union(
            watching.annotate(link=Value("w")).values_list("ticket_id", "link"),
            all=True,
        )
    )
    co_ids = sorted({t for t, kind in rows if kind == "r"})
    watched_ids = sorted({t for t, kind in rows if kind == "w"})
    result = (
        co_ids if len(co_ids) <= INLINE_IDS else co.values("ticket_id"),
        watched_ids if len(watched_ids) <= INLINE_IDS else watching.values("ticket_id"),
    )
    user._osit_linked_tickets = result  # type: ignore[attr-defined]
    return result


def forget_linked_tickets(user: User) -> None:
    """Drop the cached lists after ``user`` started or stopped watching or co-requesting."""
    user.__dict__.pop("_osit_linked_tickets", None)


def visible_tickets(user: User) -> QuerySet[Ticket]:
    """Every ticket ``user`` may see, and no other."""
    roles = _roles(user)
    qs = Ticket.objects.all()
    if not roles and not (user.is_authenticated and user.is_active):
        return qs.none()
    if roles & {Role.MANAGER, Role.ADMIN}:
        return qs
    # Everyone sees the tickets they requested (an agent may call the desk too).
    co_requested, watched = _linked_ticket_ids(user)
    condition = Q(requester_id=user.pk) | Q(id__in=co_requested)
    if Role.OPERATOR in roles:
        # First level sees every active ticket, to find one when the same person calls again.
        condition |= ~Q(status=Status.CLOSED) | Q(created_by_id=user.pk)
    if Role.TECHNICIAN in roles:
        condition |= (
            Q(service_id__in=sorted(user.service_ids)) | Q(owner_id=user.pk) | Q(id__in=watched)
        )
    org_id = getattr(user, "organisation_id", None)
    if org_id and user.organisation is not None and user.organisation.share_tickets:
        condition |= Q(organisation_id=org_id)
    return qs.filter(condition)


def visible_active(
    user: User,
    *,
    service_ids: Collection[int] | None = None,
    owner_id: int | None = None,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Ticket]:
    """The active (not closed) tickets ``user`` may see, narrowed to services and/or an owner.

    The same rows as ``visible_tickets(user)`` with those filters. Where the role sees the whole
    slice — managers and admins everything, operators every active ticket, technicians their
    services' tickets and their own — the visibility condition is left out, so the database
    walks one index in page order instead of merging the condition's branches (issue 5: a
    queue page at a million tickets, 17 ms of SQL to under 1 ms). ``status <> closed`` is
    written as the partial indexes' condition is, with the statuses as literals (``Literal``:
    SQLite matches a partial index only so); ``statuses`` (active ones only) replaces it, as
    written in the unowned indexes' condition.
    """
    qs = active_slice(service_ids=service_ids, owner_id=owner_id, statuses=statuses)
    if sees_whole_slice(user, service_ids=service_ids, owner_id=owner_id):
        return qs
    return qs & visible_tickets(user)


def active_slice(
    *,
    service_ids: Collection[int] | None = None,
    owner_id: int | None = None,
    statuses: Sequence[str] | None = None,
) -> QuerySet[Ticket]:
    """Every active ticket of those services and/or that owner, whoever asks: what
    ``visible_active`` gives a user who :func:`sees_whole_slice` (and nobody else)."""
    if statuses is not None:
        if Status.CLOSED in statuses:
            raise ValueError("visible_active is about active statuses")
        qs = Ticket.objects.filter(status__in=[Literal(s) for s in statuses])
    else:
        qs = Ticket.objects.exclude(status=Literal(Status.CLOSED))
    if service_ids is not None:
        ids = sorted(set(service_ids))
        qs = qs.filter(service_id=ids[0]) if len(ids) == 1 else qs.filter(service_id__in=ids)
    if owner_id is not None:
        qs = qs.filter(owner_id=owner_id)
    return qs


def sees_whole_slice(
    user: User, *, service_ids: Collection[int] | None = None, owner_id: int | None = None
) -> bool:
    """Whether ``user`` sees every active ticket of those services and/or that owner: managers
    and admins everything, operators every active ticket, technicians their services' tickets
    and their own."""
    roles = _roles(user)
    if roles & {Role.MANAGER, Role.ADMIN, Role.OPERATOR}:
        return True
    return Role.TECHNICIAN in roles and (
        (service_ids is not None and set(service_ids) <= user.service_ids)
        or (owner_id is not None and owner_id == user.pk)
    )


def sees_by_role(user: User, ticket: Ticket) -> bool:
    """Whether ``user``'s roles, services or own part in ``ticket`` make it visible.

    The conditions of ``visible_tickets`` that need no query, checked on a ticket in hand (issue
    5: a ticket page no longer reads the user's watched and co-requested tickets to show a
    ticket of their own service). False is not a refusal: the ticket may still be visible
    through a link (co-requester, watcher) or the organisation's sharing — ask
    ``visible_tickets``.
    """
    roles = _roles(user)
    if roles & {Role.MANAGER, Role.ADMIN}:
        return True
    if not user.is_authenticated or not user.is_active:
        return False
    if ticket.requester_id == user.pk:
        return True
    if Role.OPERATOR in roles and (
        ticket.status != Status.CLOSED or ticket.created_by_id == user.pk
    ):
        return True
    return Role.TECHNICIAN in roles and (
        ticket.service_id in user.service_ids or ticket.owner_id == user.pk
    )


# A merged number leads to its survivor; merging re-points earlier merges, so one hop is the
# rule and a few are a safety margin, not a loop.
MERGE_HOPS = 5


def get_ticket_for(
    user: User,
    number: int | str,
    *,
    queryset: QuerySet[Ticket] | None = None,
    shape: Callable[[QuerySet[Ticket]], QuerySet[Ticket]] | None = None,
) -> Ticket:
    """The ticket ``number`` if ``user`` may see it; ``NotFound`` otherwise (same message).

    The number of a merged ticket answers with the ticket it was merged into, when ``user`` may
    see that one (the merged ticket itself is closed and empty: whether it is visible does not
    matter). Callers compare ``ticket.pk`` with the number they asked for to notice.

    ``shape`` adds what the caller reads (``select_related``…) to the query; pass a function
    defined once (a module's), not a lambda made per call: the SQL of each shape is composed
    once (``Reusable``). Without ``queryset``, the ticket is read first and ``sees_by_role``
    decides when it can; only a ticket it cannot vouch for is checked against
    ``visible_tickets``.
    """
    if queryset is None:
        pk = _number(number)
        shaped = shape or _as_is
        found = _reader(shaped).list(pk)
        if not found:
            raise _missing(pk)
        ticket = found[0]
        if ticket.merged_into_id is None:
            if sees_by_role(user, ticket) or visible_tickets(user).filter(pk=pk).exists():
                return ticket
            raise _missing(pk)
        queryset = shaped(visible_tickets(user))
    elif shape is not None:
        queryset = shape(queryset)
    return _get_visible(number, queryset)


def ticket_reads(
    number: int | str, *, shape: Callable[[QuerySet[Ticket]], QuerySet[Ticket]] | None = None
) -> list[Ahead]:
    """The read :func:`get_ticket_for` makes first (the ticket by its number, whoever asks),
    for ``osit.core.queries.read_ahead``: a page may send it with reads of its own. Whether the
    user may see the ticket is still decided by ``get_ticket_for``, after it."""
    try:
        pk = _number(number)
    except NotFound:
        return []
    return [_reader(shape or _as_is).ahead(pk)]


def _as_is(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets


@lru_cache(maxsize=32)
def _reader(shape: Callable[[QuerySet[Ticket]], QuerySet[Ticket]]) -> Reusable:
    return Reusable(lambda pk: shape(Ticket.objects.all()).filter(pk=pk)[:1], int)


def _number(number: int | str) -> int:
    try:
        pk = int(str(number).lstrip("#"))
    except ValueError:
        raise NotFound(_("Ticket %(number)s does not exist.") % {"number": number}) from None
    if not 0 < pk < 2**62:
        raise _missing(pk)
    return pk


def _missing(pk: int) -> NotFound:
    return NotFound(_("Ticket #%(number)s does not exist.") % {"number": pk})


def _get_visible(number: int | str, base: QuerySet[Ticket]) -> Ticket:
    pk = _number(number)
    missing = _missing(pk)
    ticket = base.filter(pk=pk).first()
    if ticket is not None and ticket.merged_into_id is None:
        return ticket
    # Merged (or not visible, or missing): follow merged_into outside the user's view.
    survivor = ticket.merged_into_id if ticket is not None else _merged_into(pk)
    for _hop in range(MERGE_HOPS):
        if survivor is None:
            break
        further = _merged_into(survivor)
        if further is None:
            found = base.filter(pk=survivor).first()
            if found is not None:
                return found
            break
        survivor = further
    raise missing


def _merged_into(pk: int) -> int | None:
    return Ticket.objects.filter(pk=pk).values_list("merged_into_id", flat=True).first()


def _is_requester(user: User, ticket: Ticket) -> bool:
    return ticket.requester_id == user.pk


def reopen_window_open(ticket: Ticket, now: datetime | None = None) -> bool:
    if ticket.status != Status.RESOLVED or ticket.resolved_at is None:
        return False
    now = now or timezone.now()
    return now <= ticket.resolved_at + timedelta(days=settings.OSIT_REOPEN_WINDOW_DAYS)


# Actions whose answer depends on the user's roles alone, whatever the ticket (see ``can``).
_ROLE_ONLY = frozenset({Action.READ_INTERNAL, Action.LOG_TIME})


def role_may(user: User, action: Action | str) -> bool:
    """``can(user, action, ticket)`` for any ticket, for an action that depends on the roles
    alone (reading internal entries, logging time): what a page may read before its ticket is
    in hand. Any other action raises ``ValueError``."""
    action = Action(action)
    if action not in _ROLE_ONLY:
        raise ValueError(f"{action} depends on the ticket: ask can()")
    return can(user, action, _any_ticket())


@functools.cache
def _any_ticket() -> Ticket:
    # A blank ticket, built once: a model instance costs sixty field defaults (issue 5).
    return Ticket()


def can(user: User, action: Action | str, ticket: Ticket) -> bool:
    """May ``user``, who sees ``ticket``, do ``action`` to it? (Visibility is not re-checked.)"""
    roles = _roles(user)
    if not roles:
        return False
    action = Action(action)
    manager = bool(roles & {Role.MANAGER, Role.ADMIN})
    technician = Role.TECHNICIAN in roles
    operator = Role.OPERATOR in roles
    agent = manager or technician or operator
    closed = ticket.status == Status.CLOSED
    match action:
        case Action.VIEW:
            return True
        case Action.REPLY:
            return agent or (_is_requester(user, ticket) and not closed)
        case Action.NOTE | Action.READ_INTERNAL | Action.WATCHERS | Action.ATTACH:
            if action == Action.ATTACH and _is_requester(user, ticket) and not closed:
                return True
            return agent
        case Action.CHANGE_STATUS | Action.CLOSE | Action.REOPEN | Action.LOG_TIME:
            return manager or technician
        case Action.REROUTE:
            return (manager or technician or operator) and not closed
        case Action.TAKE:
            return (manager or (technician and ticket.service_id in user.service_ids)) and (
                ticket.owner_id != user.pk
            )
        case Action.ASSIGN:
            return manager or (technician and ticket.service_id in user.service_ids)
        case Action.EDIT | Action.LINK:
            return agent
        case Action.MERGE | Action.SPLIT:
            return (manager or technician or operator) and not closed
        case Action.DECIDE:
            return manager and ticket.status == Status.PENDING_DECISION
        case Action.CONFIRM:
            return _is_requester(user, ticket) and ticket.status == Status.RESOLVED
        case Action.REQUESTER_REOPEN:
            return _is_requester(user, ticket) and reopen_window_open(ticket)
    return False


_MESSAGES = {
    Action.REPLY: gettext_lazy("You may not reply to this ticket."),
    Action.NOTE: gettext_lazy("Only agents may add internal notes."),
    Action.READ_INTERNAL: gettext_lazy("Only agents may read internal notes."),
    Action.CHANGE_STATUS: gettext_lazy(
        "Only technicians and managers may change the status of a ticket."
    ),
    Action.CLOSE: gettext_lazy("Only technicians and managers may close a ticket."),
    Action.REOPEN: gettext_lazy("Only technicians and managers may reopen a closed ticket."),
    Action.REROUTE: gettext_lazy("You may not re-route this ticket."),
    Action.TAKE: gettext_lazy("Only a technician of this ticket's service may take it."),
    Action.ASSIGN: gettext_lazy("Only a technician of this ticket's service may assign it."),
    Action.EDIT: gettext_lazy("Only agents may change this ticket."),
    Action.WATCHERS: gettext_lazy("Only agents may change the watchers."),
    Action.LOG_TIME: gettext_lazy("Only technicians and managers may report interventions."),
    Action.ATTACH: gettext_lazy("You may not attach files to this ticket."),
    Action.DECIDE: gettext_lazy("Only a manager may accept or reject an enhancement request."),
    Action.LINK: gettext_lazy("Only agents may link tickets."),
    Action.MERGE: gettext_lazy("Only agents may merge an open ticket."),
    Action.SPLIT: gettext_lazy("Only agents may split an open ticket."),
    Action.CONFIRM: gettext_lazy("Only the requester may confirm that a resolved ticket is fixed."),
    Action.REQUESTER_REOPEN: gettext_lazy(
        "Only the requester may reopen a resolved ticket, within the reopening window."
    ),
}


def forbidden_message(action: Action | str) -> str:
    return str(_MESSAGES.get(Action(action), gettext_lazy("You may not do this.")))


def require(user: User, action: Action | str, ticket: Ticket) -> None:
    if not can(user, action, ticket):
        raise Forbidden(forbidden_message(action))


def can_download(user: User, attachment: Attachment) -> bool:
    """``attachment``'s ticket must already be visible (fetch it through visible_tickets)."""
    return not attachment.internal or can(user, Action.READ_INTERNAL, attachment.ticket)


def get_attachment_for(user: User, attachment_id: int) -> Attachment:
    visible = visible_tickets(user).values("id")
    attachment = (
        Attachment.objects.select_related("ticket")
        .filter(pk=attachment_id, ticket_id__in=visible)
        .first()
    )
    if attachment is None or not can_download(user, attachment):
        raise NotFound(_("Attachment %(id)s does not exist.") % {"id": attachment_id})
    return attachment
