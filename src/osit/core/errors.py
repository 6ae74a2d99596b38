"""Domain errors: raised by actions and the policy, mapped to a response once per interface.

Each carries a message a person can act on. The web UI shows it next to the field (``field``), the
API maps it to a status code (SPEC §11), the CLI prints it on stderr and exits 1.
"""

from __future__ import annotations


class DomainError(Exception):
    """Base class. ``field`` names the input at fault, when there is one."""

    status_code = 400

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(DomainError):
    """The object does not exist, or the caller may not see it (the two look the same)."""

    status_code = 404


class Forbidden(DomainError):
    """The caller sees the object but may not do this to it."""

    status_code = 403


class InvalidInput(DomainError):
    """The input is malformed or breaks a rule; ``field`` names it."""

    status_code = 422


class Conflict(DomainError):
    """The object's state does not allow this now (a transition, a stale update)."""

    status_code = 409
