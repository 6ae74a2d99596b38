"""The ticket query language (SPEC §11 ``q``), one function for every interface.

``search(queryset, q)`` narrows a queryset that already went through the policy: it never widens
what a user may see. The language, for now:

- ``field:value`` terms — ``status``, ``service``, ``application``, ``owner``, ``requester``,
  ``severity``, ``criticality``, ``priority``, ``channel``, ``type``, ``tag``, ``number``; a value
  may be quoted (``owner:"jean.dupont"``); ``owner:none`` finds unowned tickets; several values of
  one field are OR-ed (``status:open status:new``), different fields AND-ed;
- ``-field:value`` excludes;
- any other word (or ``"a quoted phrase"``) must appear in the subject or the description;
  ``#123`` or a bare number also matches that ticket number.

A malformed query raises ``InvalidInput`` naming ``q`` and the bad term.
"""

from __future__ import annotations

import shlex
from collections import defaultdict
from typing import TYPE_CHECKING

from django.db.models import Q
from django.utils.translation import gettext as _

from osit.core.errors import InvalidInput
from osit.tickets.choices import Channel, Criticality, Severity, Status, TicketType

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from osit.tickets.models import Ticket

MAX_TERMS = 20

_CHOICES = {
    "status": Status,
    "severity": Severity,
    "criticality": Criticality,
    "channel": Channel,
    "type": TicketType,
}
_SLUGS = {
    "service": "service__slug",
    "application": "application__slug",
    "owner": "owner__username",
    "requester": "requester__username",
}
FIELDS = sorted([*_CHOICES, *_SLUGS, "priority", "tag", "number"])


def _bad(message: str) -> InvalidInput:
    return InvalidInput(message, field="q")


def _term_q(name: str, value: str) -> Q:
    if name in _CHOICES:
        choices = _CHOICES[name]
        if value not in choices.values:
            raise _bad(
                _("%(value)r is not a %(field)s; use one of: %(allowed)s.")
                % {"value": value, "field": name, "allowed": ", ".join(choices.values)}
            )
        return Q(**{name: value})
    if name in _SLUGS:
        if name == "owner" and value.lower() in ("none", "nobody"):
            return Q(owner__isnull=True)
        if name == "service" and value.lower() == "none":
            return Q(service__isnull=True)
        return Q(**{f"{_SLUGS[name]}__iexact": value})
    if name in ("priority", "number"):
        try:
            number = int(value.lstrip("#"))
        except ValueError:
            raise _bad(
                _("%(field)s needs a number, not %(value)r.") % {"field": name, "value": value}
            ) from None
        if name == "priority" and not 1 <= number <= 5:
            raise _bad(_("priority is 1 (most urgent) to 5."))
        return Q(priority=number) if name == "priority" else Q(pk=number)
    if name == "tag":
        # Tags are stored lower-cased in a JSON list; match the quoted element.
        return Q(tags__icontains=f'"{value.lower()}"')
    raise _bad(
        _("Unknown search field %(field)r; use one of: %(allowed)s.")
        % {"field": name, "allowed": ", ".join(FIELDS)}
    )


def _word_q(word: str) -> Q:
    condition = Q(subject__icontains=word) | Q(description__icontains=word)
    digits = word.lstrip("#")
    if digits.isdigit() and len(digits) < 12:
        condition |= Q(pk=int(digits))
    return condition


def parse(q: str) -> Q:
    """The condition ``q`` stands for (``Q()`` for a blank query)."""
    try:
        parts = shlex.split(q or "")
    except ValueError:
        raise _bad(_("The search has an unclosed quote.")) from None
    if len(parts) > MAX_TERMS:
        raise _bad(_("The search has more than %(n)d terms.") % {"n": MAX_TERMS})
    include: dict[str, list[Q]] = defaultdict(list)
    condition = Q()
    for part in parts:
        negate = part.startswith("-") and ":" in part
        body = part[1:] if negate else part
        name, sep, value = body.partition(":")
        if sep and name.isidentifier():
            if not value:
                raise _bad(_("%(field)s: needs a value.") % {"field": name})
            term = _term_q(name.lower(), value)
            if negate:
                condition &= ~term
            else:
                include[name.lower()].append(term)
        else:
            condition &= _word_q(part)
    for terms in include.values():
        any_of = Q()
        for term in terms:
            any_of |= term
        condition &= any_of
    return condition


def search(queryset: QuerySet[Ticket], q: str | None) -> QuerySet[Ticket]:
    """``queryset`` narrowed to the tickets matching ``q``."""
    if not q or not q.strip():
        return queryset
    return queryset.filter(parse(q))
