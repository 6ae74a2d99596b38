"""Priority 1 (most urgent) … 5 from severity × criticality (SPEC §2).

The default matrix is documented in docs/tickets.md; a service may override any cell in
``Service.priority_matrix`` (same shape).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from osit.core.errors import InvalidInput
from osit.tickets.choices import Criticality, Severity

DEFAULT_MATRIX: dict[str, dict[str, int]] = {
    Severity.MAJOR: {
        Criticality.BLOCKING: 1,
        Criticality.NON_BLOCKING: 2,
        Criticality.ENHANCEMENT: 4,
    },
    Severity.MODERATE: {
        Criticality.BLOCKING: 2,
        Criticality.NON_BLOCKING: 3,
        Criticality.ENHANCEMENT: 5,
    },
    Severity.MINOR: {
        Criticality.BLOCKING: 3,
        Criticality.NON_BLOCKING: 4,
        Criticality.ENHANCEMENT: 5,
    },
}

PRIORITIES = (1, 2, 3, 4, 5)


def compute_priority(
    severity: str, criticality: str, override: dict[str, Any] | None = None
) -> int:
    row = (override or {}).get(severity) or {}
    value = row.get(criticality) if isinstance(row, dict) else None
    if value is None:
        value = DEFAULT_MATRIX[Severity(severity)][Criticality(criticality)]
    return int(value)


def validate_matrix(matrix: dict[str, Any]) -> None:
    """Raise InvalidInput naming the bad cell of a per-service override."""
    for severity, row in matrix.items():
        if severity not in Severity.values:
            raise InvalidInput(
                _("unknown severity %(severity)r in the priority matrix") % {"severity": severity},
                field="priority_matrix",
            )
        if not isinstance(row, dict):
            raise InvalidInput(
                _("the row for %(severity)r must map criticality to priority")
                % {"severity": severity},
                field="priority_matrix",
            )
        for criticality, value in row.items():
            if criticality not in Criticality.values:
                raise InvalidInput(
                    _("unknown criticality %(criticality)r in the priority matrix")
                    % {"criticality": criticality},
                    field="priority_matrix",
                )
            # bool is an int (True == 1): a JSON true is not a priority.
            if isinstance(value, bool) or value not in PRIORITIES:
                raise InvalidInput(
                    _("priority for %(severity)s/%(criticality)s must be 1 to 5, not %(value)r")
                    % {"severity": severity, "criticality": criticality, "value": value},
                    field="priority_matrix",
                )
