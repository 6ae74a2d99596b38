"""The French interface uses the vocabulary of the OSIT brief (SPEC §13)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from osit.tickets import actions

pytestmark = pytest.mark.django_db


@pytest.fixture
def french(client):
    client.cookies["django_language"] = "fr"
    return client


def test_the_agent_navigation_speaks_french(french, login_as, make_ticket):
    make_ticket(criticality="enhancement")
    page = unescape(login_as("max").get(reverse("web:home")).content.decode())
    for words in ("Demandes d'évolution", "Tickets clôturés", "Mes tickets", "Se déconnecter"):
        assert words in page
    assert "Enhancement requests" not in page


def test_the_ticket_page_uses_the_glossary(french, login_as, make_ticket, personas):
    ticket = make_ticket(severity="major", criticality="blocking")
    actions.add_comment(ticket, actor=personas.tom, channel="web", body="x", visibility="internal")
    client = login_as("tom")
    page = unescape(client.get(reverse("web:ticket", args=[ticket.pk])).content.decode())
    page += unescape(
        client.get(reverse("web:ticket_panel", args=[ticket.pk, "status"])).content.decode()
    )
    for words in (
        "grave",
        "bloquant",
        "nouveau",
        "Commentaire d'observation",
        "Re-router",
        "Observateurs",
        "note interne",
    ):
        assert words in page, words


def test_errors_are_translated(french, login_as, make_ticket):
    ticket = make_ticket()
    response = login_as("tom").post(
        reverse("web:ticket_status", args=[ticket.pk]),
        {"status": "open", "comment": "  ", "visibility": "public"},
    )
    assert "Un commentaire d'observation est obligatoire" in unescape(response.content.decode())
