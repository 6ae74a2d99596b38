"""The default life cycle (SPEC §2) as a table, and the message naming the allowed moves."""

from __future__ import annotations

from osit.tickets.choices import Status

TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {
            Status.OPEN,
            Status.PENDING_CUSTOMER,
            Status.PENDING_DECISION,
            Status.RESOLVED,
            Status.CLOSED,
        }
    ),
    Status.OPEN: frozenset(
        {Status.PENDING_CUSTOMER, Status.PENDING_DECISION, Status.RESOLVED, Status.CLOSED}
    ),
    Status.PENDING_CUSTOMER: frozenset({Status.OPEN, Status.RESOLVED, Status.CLOSED}),
    # An enhancement request is decided by a manager: accepted (open) or rejected (closed).
    Status.PENDING_DECISION: frozenset({Status.OPEN, Status.CLOSED}),
    Status.RESOLVED: frozenset({Status.OPEN, Status.CLOSED}),
    Status.CLOSED: frozenset({Status.OPEN}),
}

ORDER = [s.value for s in Status]


def allowed_from(status: str) -> list[str]:
    """Statuses reachable from ``status``, in life-cycle order."""
    targets = TRANSITIONS.get(status, frozenset())
    return [s for s in ORDER if s in targets]


def is_allowed(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status
