"""Finding people (SPEC §3 Phone): requester look-up by name, e-mail or phone number.

Phone numbers are stored as people typed them (``+33 1 23 45 67 89``, ``0123456789``…). Rather
than normalising the column on every row at query time (a full scan), a number is turned into the
handful of spellings it is commonly written in, and the indexed ``phone`` column is compared with
that list (``IN`` for a whole number, a few ``LIKE 'prefix%'`` while typing). Every function runs
one query whatever the number of users.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from osit.core.errors import InvalidInput
from osit.directory.models import User

LOOKUP_LIMIT = 10
# A look-up term shorter than this matches too many people to be useful.
MIN_TERM = 2
# Fewer digits than this is not yet a phone number worth a look-up.
MIN_PHONE_DIGITS = 3
DEFAULT_COUNTRY_CODE = "33"

_PHONE_CHARS = re.compile(r"^\+?[\d\s().\-/]+$")
_USER_FIELDS = ("id", "username", "first_name", "last_name", "email", "phone")


def _country_code() -> str:
    return str(getattr(settings, "OSIT_PHONE_COUNTRY_CODE", DEFAULT_COUNTRY_CODE))


def looks_like_phone(text: str) -> bool:
    """Digits with the usual separators (``+33 1 23``, ``01.23``) and at least a few digits."""
    text = text.strip()
    return bool(_PHONE_CHARS.match(text)) and sum(c.isdigit() for c in text) >= MIN_PHONE_DIGITS


@dataclass(frozen=True)
class PhoneNumber:
    """A number as dialled: its national digits (``0123456789``) or, for a foreign number, its
    international digits with the country code (``4420…``, ``national`` empty)."""

    national: str = ""
    international: str = ""

    @classmethod
    def parse(cls, raw: str) -> PhoneNumber:
        text = raw.strip()
        digits = re.sub(r"\D", "", text)
        if text.startswith("+"):
            international = digits
        elif digits.startswith("00"):
            international = digits[2:]
        else:
            return cls(national=digits)
        code = _country_code()
        if international.startswith(code):
            rest = international[len(code) :]
            # "+33 (0)1 23 45 67 89": the trunk 0 written in brackets is not dialled twice.
            return cls(national=rest if rest.startswith("0") else "0" + rest)
        return cls(international=international)

    def spellings(self) -> list[str]:
        """The ways this number (or this beginning of a number) is commonly written."""
        if not self.national:
            return _unique(
                ["+" + self.international, "00" + self.international, self.international]
            )
        national = self.national
        significant = national[1:] if national.startswith("0") else national
        code = _country_code()
        pairs = _pairs(national)
        grouped = _group_international(significant)
        return _unique(
            [
                national,
                " ".join(pairs),
                ".".join(pairs),
                "-".join(pairs),
                f"+{code}{significant}",
                f"+{code} {grouped}".rstrip(),
                f"+{code} {significant}".rstrip(),
                f"+{code} (0){grouped}".rstrip() if significant else "",
                f"+{code}(0){significant}" if significant else "",
                f"00{code}{significant}",
                f"00{code} {grouped}".rstrip(),
                f"{code}{significant}",
            ]
        )


def _pairs(digits: str) -> list[str]:
    return [digits[i : i + 2] for i in range(0, len(digits), 2)]


def _group_international(significant: str) -> str:
    """``123456789`` → ``1 23 45 67 89`` (the French way of writing the significant number)."""
    if not significant:
        return ""
    return " ".join([significant[0], *_pairs(significant[1:])])


def _unique(values: list[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def _base() -> QuerySet[User]:
    return User.objects.filter(is_active=True).only(*_USER_FIELDS)


def _ordered(qs: QuerySet[User]) -> QuerySet[User]:
    return qs.order_by("last_name", "first_name", "username", "id")


def by_phone(raw: str) -> QuerySet[User]:
    """Active users whose stored number is ``raw`` in any common spelling (one query)."""
    if not looks_like_phone(raw):
        return User.objects.none()
    return _ordered(_base().filter(phone__in=PhoneNumber.parse(raw).spellings()))


def _phone_prefix_condition(term: str) -> Q:
    condition = Q()
    for spelling in PhoneNumber.parse(term).spellings():
        condition |= Q(phone__startswith=spelling)
    return condition | Q(phone__startswith=term.strip())


def name_condition(term: str) -> Q:
    condition = (
        Q(username__istartswith=term)
        | Q(first_name__istartswith=term)
        | Q(last_name__istartswith=term)
        | Q(email__istartswith=term)
    )
    words = term.split()
    if len(words) >= 2:
        first, last = words[0], " ".join(words[1:])
        condition |= Q(first_name__istartswith=first, last_name__istartswith=last)
        condition |= Q(last_name__istartswith=first, first_name__istartswith=last)
    return condition


def search_requesters(term: str, *, limit: int = LOOKUP_LIMIT) -> list[User]:
    """At most ``limit`` active people whose name, user name, e-mail or phone starts with
    ``term``, in one query; nothing for a term shorter than ``MIN_TERM`` characters."""
    term = " ".join(term.split())
    if len(term) < MIN_TERM:
        return []
    condition = name_condition(term)
    if looks_like_phone(term):
        condition |= _phone_prefix_condition(term)
    return list(_ordered(_base().filter(condition))[:limit])


def resolve_requester(text: str) -> User:
    """The one active person ``text`` names in full: user name, e-mail address or phone number.

    Raises ``InvalidInput`` on the ``requester`` field when nobody or several people match, with
    a message that says what to type instead.
    """
    value = text.strip()
    if not value:
        raise InvalidInput(
            _("Say who is calling: a user name, e-mail or phone number."), field="requester"
        )
    condition = Q(username=value)
    if "@" in value:
        condition |= Q(email__iexact=value)
    if looks_like_phone(value):
        condition |= Q(phone__in=PhoneNumber.parse(value).spellings())
    # Two rows are enough to know the answer is ambiguous.
    found = list(_ordered(_base().filter(condition))[:2])
    exact = [u for u in found if u.username == value]
    if len(exact) == 1:
        return exact[0]
    if not found:
        raise InvalidInput(
            _(
                "Nobody is known as %(value)s. Check the spelling, or type a user name, e-mail "
                "or phone number."
            )
            % {"value": value},
            field="requester",
        )
    if len(found) > 1:
        raise InvalidInput(
            _("Several people match %(value)s; type their user name instead.") % {"value": value},
            field="requester",
        )
    return found[0]
