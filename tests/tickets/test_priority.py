"""Priority 1…5 from severity × criticality, per-service matrices, manual overrides (SPEC §2)."""

from __future__ import annotations

import pytest

from osit.core.errors import InvalidInput
from osit.tickets.actions import classify, set_priority
from osit.tickets.priority import compute_priority, validate_matrix

from .util import last_event, refresh, snapshot

# The default matrix, as documented (docs/tickets.md): 1 is the most urgent.
#
#                blocking  non_blocking  enhancement
#   major            1          2             4
#   moderate         2          3             5
#   minor            3          4             5
DEFAULT_CELLS = [
    ("major", "blocking", 1),
    ("major", "non_blocking", 2),
    ("major", "enhancement", 4),
    ("moderate", "blocking", 2),
    ("moderate", "non_blocking", 3),
    ("moderate", "enhancement", 5),
    ("minor", "blocking", 3),
    ("minor", "non_blocking", 4),
    ("minor", "enhancement", 5),
]


@pytest.mark.parametrize(("severity", "criticality", "priority"), DEFAULT_CELLS)
def test_the_default_matrix(personas, make_ticket, severity, criticality, priority):
    ticket = make_ticket(severity=severity, criticality=criticality)
    assert ticket.priority == priority
    assert refresh(ticket).priority == priority
    assert compute_priority(severity, criticality) == priority


def test_a_service_matrix_overrides_some_cells_at_creation(personas, make_ticket):
    personas.appdev.priority_matrix = {"minor": {"blocking": 1}, "moderate": {"enhancement": 3}}
    personas.appdev.save()

    assert make_ticket(severity="minor", criticality="blocking").priority == 1
    assert make_ticket(severity="moderate", criticality="enhancement").priority == 3
    # Cells it does not name keep the default.
    assert make_ticket(severity="minor", criticality="non_blocking").priority == 4
    # Another service is not affected.
    assert (
        make_ticket(
            severity="minor",
            criticality="blocking",
            service=personas.network,
            application=personas.router,
        ).priority
        == 3
    )


def test_a_manual_override_needs_a_reason(personas, make_ticket):
    ticket = make_ticket(severity="minor", criticality="non_blocking")
    before = snapshot(ticket)
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as exc:
            set_priority(ticket, actor=personas.tom, channel="web", priority=1, reason=reason)
        assert exc.value.field == "reason"
        assert exc.value.message == "A reason is required to override the priority."
    assert snapshot(ticket) == before


@pytest.mark.parametrize("priority", [0, 6, -1])
def test_a_priority_outside_1_to_5_is_refused(personas, make_ticket, priority):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        set_priority(ticket, actor=personas.tom, channel="web", priority=priority, reason="x")
    assert (exc.value.field, exc.value.message) == (
        "priority",
        "Priority must be 1 (most urgent) to 5.",
    )


def test_override_survives_reclassification_and_reset_goes_back_to_the_matrix(
    personas, make_ticket
):
    ticket = make_ticket(severity="minor", criticality="non_blocking")
    assert ticket.priority == 4

    set_priority(
        ticket, actor=personas.tom, channel="web", priority=1, reason=" Payday is tomorrow. "
    )
    ticket = refresh(ticket)
    assert (ticket.priority, ticket.priority_reason) == (1, "Payday is tomorrow.")
    event = last_event(ticket)
    assert (event.kind, event.data) == (
        "priority_overridden",
        {"old": 4, "new": 1, "reason": "Payday is tomorrow."},
    )

    classify(ticket, actor=personas.tom, channel="web", severity="moderate")
    assert refresh(ticket).priority == 1  # an agent's decision is not undone by the matrix

    set_priority(ticket, actor=personas.tom, channel="web", priority=None)
    ticket = refresh(ticket)
    assert (ticket.priority, ticket.priority_reason) == (3, "")  # moderate × non_blocking
    assert last_event(ticket).kind == "priority_reset"


def test_reclassifying_recomputes_the_priority(personas, make_ticket):
    ticket = make_ticket(severity="minor", criticality="non_blocking")
    classify(
        ticket, actor=personas.olivia, channel="phone", severity="major", criticality="blocking"
    )
    ticket = refresh(ticket)
    assert (ticket.severity, ticket.criticality, ticket.priority) == ("major", "blocking", 1)
    assert last_event(ticket).data == {"field": "priority", "old": 4, "new": 1}


def test_a_requester_cannot_change_the_priority(personas, make_ticket):
    from osit.core.errors import Forbidden

    ticket = make_ticket()
    with pytest.raises(Forbidden) as exc:
        set_priority(ticket, actor=personas.alice, channel="web", priority=1, reason="Urgent!")
    assert exc.value.message == "Only agents may change this ticket."


# --- validate_matrix -------------------------------------------------------------------------


def test_a_valid_matrix_passes():
    validate_matrix({})
    validate_matrix({"major": {"blocking": 1, "non_blocking": 1, "enhancement": 3}})


@pytest.mark.parametrize(
    ("matrix", "message"),
    [
        ({"huge": {"blocking": 1}}, "unknown severity 'huge' in the priority matrix"),
        ({"major": 1}, "the row for 'major' must map criticality to priority"),
        ({"major": {"urgent": 1}}, "unknown criticality 'urgent' in the priority matrix"),
        ({"major": {"blocking": 0}}, "priority for major/blocking must be 1 to 5, not 0"),
        ({"minor": {"enhancement": 6}}, "priority for minor/enhancement must be 1 to 5, not 6"),
        ({"major": {"blocking": "1"}}, "priority for major/blocking must be 1 to 5, not '1'"),
        ({"major": {"blocking": None}}, "priority for major/blocking must be 1 to 5, not None"),
        ({"major": {"blocking": True}}, "priority for major/blocking must be 1 to 5, not True"),
    ],
)
def test_validate_matrix_names_the_bad_cell(matrix, message):
    with pytest.raises(InvalidInput) as exc:
        validate_matrix(matrix)
    assert (exc.value.field, exc.value.message) == ("priority_matrix", message)
