"""Opaque keyset cursors: a page ends on a row; the next page starts strictly after it.

Rows inserted between two requests never shift a page (no OFFSET): a client walking the list sees
each ticket at most once, and the query reads only the rows of the page through an index.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from osit.core.errors import InvalidInput
from osit.core.queries import deferred_join


@dataclass(frozen=True)
class Ordering:
    """An ordering by integer ``fields`` (each ascending unless prefixed by ``-``), unique
    because the last field is the primary key."""

    name: str
    fields: tuple[str, ...]

    def apply(self, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset.order_by(*self.fields)

    def after(self, values: Sequence[Any]) -> Q:
        """Rows strictly after the row whose ordering values are ``values``."""
        condition = Q()
        for i in range(len(self.fields) - 1, -1, -1):
            field = self.fields[i]
            name = field.lstrip("-")
            op = "lt" if field.startswith("-") else "gt"
            step = Q(**{f"{name}__{op}": values[i]})
            for prior, value in zip(self.fields[:i], values[:i], strict=False):
                step &= Q(**{prior.lstrip("-"): value})
            condition = step if i == len(self.fields) - 1 else step | condition
        return condition

    def values_of(self, row: Any) -> list[Any]:
        return [getattr(row, "pk" if f.lstrip("-") == "id" else f.lstrip("-")) for f in self.fields]


def encode(ordering: Ordering, row: Any) -> str:
    raw = json.dumps([ordering.name, ordering.values_of(row)], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode(ordering: Ordering, cursor: str) -> list[Any]:
    """The values a cursor carries; InvalidInput (field ``cursor``) if it is not ours."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        name, values = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise InvalidInput(_("This cursor is not valid."), field="cursor") from None
    if name != ordering.name or not isinstance(values, list) or len(values) != len(ordering.fields):
        raise InvalidInput(
            _("This cursor belongs to another list; start again without it."), field="cursor"
        )
    # Orderings are on integer columns only (priority, number): nothing else is accepted.
    if not all(isinstance(v, int) and not isinstance(v, bool) and abs(v) < 2**62 for v in values):
        raise InvalidInput(_("This cursor is not valid."), field="cursor")
    return values


def page(
    queryset: QuerySet[Any], ordering: Ordering, *, cursor: str | None, limit: int
) -> tuple[list[Any], str | None]:
    """One page of ``queryset`` and the cursor of the next (None on the last page)."""
    qs = ordering.apply(queryset)
    if cursor:
        qs = qs.filter(ordering.after(decode(ordering, cursor)))
    # Read as a deferred join: joined first, PostgreSQL hashed every user to sort the API's
    # active list it then cut to one page (26.5 ms of SQL at 100k tickets; 1.6 ms this way).
    rows = list(deferred_join(qs[: limit + 1]))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(ordering, rows[-1]) if more and rows else None)
