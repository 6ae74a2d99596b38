"""The ticket page's links panel, merge and split forms, and merged numbers redirecting."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from osit.tickets import actions, links
from osit.tickets.models import Ticket

pytestmark = pytest.mark.django_db


def page(client, number):
    return unescape(client.get(reverse("web:ticket", args=[number])).content.decode())


def test_add_a_link_and_see_it_both_ways(login_as, make_ticket):
    a, b = make_ticket(subject="Payroll down"), make_ticket(subject="DB cluster down")
    client = login_as("tom")
    response = client.post(
        reverse("web:ticket_link", args=[a.pk]), {"kind": "depends_on", "target": b.pk}
    )
    assert response.status_code == 302
    text = " ".join(page(client, a.pk).split())
    assert f'depends on <a href="/tickets/{b.pk}/">#{b.pk}</a> DB cluster down' in text
    assert "blocks" in page(client, b.pk)


def test_a_bad_link_shows_the_error_next_to_the_field(login_as, make_ticket):
    a = make_ticket()
    response = login_as("tom").post(
        reverse("web:ticket_link", args=[a.pk]), {"kind": "depends_on", "target": a.pk}
    )
    assert response.status_code == 400
    assert "A ticket cannot be linked to itself." in unescape(response.content.decode())


def test_merge_redirects_to_the_survivor_and_the_old_number_follows(login_as, make_ticket):
    old, survivor = make_ticket(), make_ticket()
    client = login_as("tom")
    response = client.post(
        reverse("web:ticket_merge", args=[old.pk]), {"into": survivor.pk, "comment": "Same outage"}
    )
    assert response["Location"] == reverse("web:ticket", args=[survivor.pk])
    followed = client.get(reverse("web:ticket", args=[old.pk]))
    assert followed["Location"] == reverse("web:ticket", args=[survivor.pk])
    assert f"Merged here: #{old.pk}" in page(client, survivor.pk)


def test_split_button_on_a_comment(login_as, make_ticket, personas):
    ticket = make_ticket()
    comment = actions.add_comment(ticket, actor=personas.alice, channel="web", body="My badge too")
    client = login_as("tom")
    assert reverse("web:ticket_split", args=[ticket.pk, comment.pk]) in page(client, ticket.pk)
    response = client.post(reverse("web:ticket_split", args=[ticket.pk, comment.pk]))
    new = Ticket.objects.order_by("-pk").first()
    assert response["Location"] == reverse("web:ticket", args=[new.pk])
    assert new.description == "My badge too"


def test_requesters_get_no_link_panel_and_may_not_post(login_as, make_ticket, personas):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=b.pk)
    client = login_as("alice")
    portal = unescape(client.get(reverse("web:portal_ticket", args=[a.pk])).content.decode())
    assert "Link to another ticket" not in portal
    assert (
        client.post(
            reverse("web:ticket_link", args=[a.pk]), {"kind": "refers_to", "target": b.pk}
        ).status_code
        == 403
    )
