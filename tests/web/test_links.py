"""The ticket page's links panel, link/merge/split forms, the dependency override and merged
numbers redirecting to the survivor."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from osit.audit.chain import verify
from osit.tickets import actions, links
from osit.tickets.models import Ticket, TicketLink
from tests.web.conftest import assert_same_query_count, count_queries, login

pytestmark = pytest.mark.django_db


def text_of(response) -> str:
    """The page's text with entities decoded and whitespace collapsed."""
    return " ".join(unescape(response.content.decode()).split())


def page(client, number) -> str:
    response = client.get(reverse("web:ticket", args=[number]))
    assert response.status_code == 200
    return text_of(response)


def test_add_a_link_and_see_it_both_ways(login_as, make_ticket):
    a, b = make_ticket(subject="Payroll down"), make_ticket(subject="DB cluster down")
    client = login_as("tom")
    response = client.post(
        reverse("web:ticket_link", args=[a.pk]), {"kind": "depends_on", "target": b.pk}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("web:ticket", args=[a.pk])
    text = page(client, a.pk)
    assert "The link was added." in text
    assert f'depends on <a href="/tickets/{b.pk}/">#{b.pk}</a> DB cluster down' in text
    assert f"linked: depends on #{b.pk}" in text  # the timeline
    other = page(client, b.pk)
    assert f'blocks <a href="/tickets/{a.pk}/">#{a.pk}</a> Payroll down' in other
    assert "new" in other and f"linked: blocks #{a.pk}" in other


@pytest.mark.parametrize(
    ("post", "status", "message"),
    [
        ({"kind": "depends_on", "target": "self"}, 400, "A ticket cannot be linked to itself."),
        ({"kind": "depends_on", "target": 999999}, 400, "Ticket #999999 does not exist."),
        ({"kind": "depends_on", "target": "hidden"}, 400, "Ticket #{hidden} does not exist."),
        ({"kind": "depends_on", "target": "x"}, 400, "Enter a whole number."),
        ({"kind": "likes", "target": "self"}, 400, "Select a valid choice."),
    ],
)
def test_a_bad_link_shows_the_error_next_to_the_field(
    login_as, make_ticket, personas, post, status, message
):
    a = make_ticket()
    hidden = make_ticket(service=personas.network, application=None)
    values = {"self": a.pk, "hidden": hidden.pk}
    data = {k: values.get(v, v) for k, v in post.items()}
    response = login_as("tom").post(reverse("web:ticket_link", args=[a.pk]), data)
    assert response.status_code == status
    text = text_of(response)
    assert message.format(hidden=hidden.pk) in text
    assert 'id="panel-link" open' in text and "field-error" in text
    assert not TicketLink.objects.exists()


def test_remove_a_link(login_as, make_ticket, personas):
    a, b = make_ticket(), make_ticket()
    made = links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=b.pk)
    client = login_as("tom")
    remove = reverse("web:ticket_unlink", args=[b.pk, made.pk])
    assert remove in page(client, b.pk)
    response = client.post(remove)
    assert response["Location"] == reverse("web:ticket", args=[b.pk])
    assert "The link was removed." in page(client, b.pk)
    assert not TicketLink.objects.exists()
    again = client.post(remove)
    assert again.status_code == 404
    assert "This ticket has no such link." in text_of(again)


def test_links_to_tickets_the_reader_cannot_see_are_not_shown(login_as, make_ticket, personas):
    mine = make_ticket()
    theirs = make_ticket(subject="Secret network plan", service=personas.network, application=None)
    links.add_link(mine, actor=personas.max, channel="web", kind="refers_to", target=theirs.pk)
    assert "Secret network plan" not in page(login_as("tom"), mine.pk)
    assert "Secret network plan" in page(login_as("max"), mine.pk)


def test_merge_redirects_to_the_survivor_and_the_old_number_follows(login_as, make_ticket):
    old, survivor = make_ticket(), make_ticket()
    client = login_as("tom")
    response = client.post(
        reverse("web:ticket_merge", args=[old.pk]), {"into": survivor.pk, "comment": "Same outage"}
    )
    assert response["Location"] == reverse("web:ticket", args=[survivor.pk])
    text = page(client, survivor.pk)
    assert f"#{old.pk} was merged into this ticket." in text
    assert f"Merged here: #{old.pk}" in text
    assert f"merged #{old.pk} into this ticket" in text and "Same outage" in text

    followed = client.get(reverse("web:ticket", args=[old.pk]))
    assert followed.status_code == 302
    assert followed["Location"] == reverse("web:ticket", args=[survivor.pk])
    assert f"Ticket #{old.pk} was merged into #{survivor.pk}." in page(client, survivor.pk)
    assert Ticket.objects.get(pk=old.pk).merged_into_id == survivor.pk
    assert verify()[1] == []


def test_merges_of_merges_are_all_listed_on_the_last_survivor(login_as, make_ticket, personas):
    first, second, last, other = make_ticket(), make_ticket(), make_ticket(), make_ticket()
    links.merge(first, actor=personas.tom, channel="web", into=second.pk)
    links.merge(second, actor=personas.tom, channel="web", into=last.pk)
    client = login_as("tom")
    assert f"Merged here: #{first.pk}, #{second.pk}" in page(client, last.pk)
    assert "Merged here" not in page(client, other.pk)


def test_a_requester_following_a_merged_number_reaches_the_survivor_in_the_portal(
    client, make_ticket, personas
):
    old = make_ticket(requester=personas.bob)
    survivor = make_ticket()
    links.merge(old, actor=personas.tom, channel="web", into=survivor.pk)
    login(client, personas.bob)
    response = client.get(reverse("web:ticket", args=[old.pk]))
    assert response["Location"] == reverse("web:portal_ticket", args=[survivor.pk])


@pytest.mark.parametrize(
    ("into", "status", "message"),
    [
        ("self", 400, "A ticket cannot be merged into itself."),
        (999999, 400, "Ticket #999999 does not exist."),
        ("closed", 409, "#{closed} is closed; reopen it before merging into it."),
    ],
)
def test_merge_errors_show_next_to_the_field(
    login_as, make_ticket, personas, into, status, message
):
    ticket, closed = make_ticket(), make_ticket()
    actions.change_status(closed, actor=personas.tom, channel="web", status="closed", comment="x")
    target = {"self": ticket.pk, "closed": closed.pk}.get(into, into)
    response = login_as("tom").post(reverse("web:ticket_merge", args=[ticket.pk]), {"into": target})
    assert response.status_code == status
    text = text_of(response)
    assert message.format(closed=closed.pk) in text
    assert 'id="panel-merge" open' in text
    assert Ticket.objects.get(pk=ticket.pk).merged_into_id is None


def test_split_button_on_a_comment(login_as, make_ticket, personas):
    ticket = make_ticket()
    comment = actions.add_comment(
        ticket, actor=personas.alice, channel="web", body="My badge too\nsince Monday"
    )
    client = login_as("tom")
    split_url = reverse("web:ticket_split", args=[ticket.pk, comment.pk])
    text = page(client, ticket.pk)
    assert split_url in text and "Split into a new ticket" in text
    response = client.post(split_url)
    new = Ticket.objects.order_by("-pk").first()
    assert new is not None and new.pk != ticket.pk
    assert response["Location"] == reverse("web:ticket", args=[new.pk])
    new_page = page(client, new.pk)
    assert f"Ticket #{new.pk} was created from that comment." in new_page
    assert f'refers to <a href="/tickets/{ticket.pk}/">#{ticket.pk}</a>' in new_page
    assert f"created this ticket from a comment of #{ticket.pk}" in new_page
    assert (new.subject, new.description) == ("My badge too", "My badge too\nsince Monday")
    assert f"split a comment into the new ticket #{new.pk}" in page(client, ticket.pk)


def test_split_of_a_comment_of_another_ticket_is_404(login_as, make_ticket, personas):
    ticket, other = make_ticket(), make_ticket()
    comment = actions.add_comment(other, actor=personas.alice, channel="web", body="Elsewhere")
    response = login_as("tom").post(reverse("web:ticket_split", args=[ticket.pk, comment.pk]))
    assert response.status_code == 404
    assert f"This ticket has no comment {comment.pk}." in text_of(response)


def test_an_open_dependency_blocks_resolving_and_the_override_lets_it_through(
    login_as, make_ticket, personas
):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    client = login_as("tom")
    text = text_of(client.get(reverse("web:ticket_panel", args=[a.pk, "status"])))
    assert "Depends on tickets not resolved yet:" in text
    assert "Resolve or close it even though the tickets it depends on are still open" in text

    url = reverse("web:ticket_status", args=[a.pk])
    form = {"status": "resolved", "comment": "Fixed", "visibility": "public"}
    refused = client.post(url, form)
    assert refused.status_code == 409
    assert (
        f"This ticket depends on #{b.pk}, not resolved yet; resolve them first or override the "
        "dependencies." in text_of(refused)
    )
    assert Ticket.objects.get(pk=a.pk).status == "new"

    forced = client.post(url, {**form, "override_dependencies": "on"})
    assert forced.status_code == 302
    assert Ticket.objects.get(pk=a.pk).status == "resolved"


def test_no_override_offered_without_open_dependencies(login_as, make_ticket):
    ticket = make_ticket()
    assert "still open" not in page(login_as("tom"), ticket.pk)


def test_resolving_a_master_from_the_page_carries_its_slaves(login_as, make_ticket, personas):
    master, slave = make_ticket(), make_ticket()
    links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=slave.pk)
    client = login_as("tom")
    client.post(
        reverse("web:ticket_status", args=[master.pk]),
        {"status": "resolved", "comment": "Switch replaced", "visibility": "public"},
    )
    assert Ticket.objects.get(pk=slave.pk).status == "resolved"
    text = page(client, slave.pk)
    assert f"set to resolved with its master #{master.pk}" in text
    assert "Switch replaced" in text


def test_requesters_get_no_link_panel_or_split_button(client, make_ticket, personas):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=b.pk)
    actions.add_comment(a, actor=personas.alice, channel="web", body="Also my printer")
    login(client, personas.alice)
    portal = text_of(client.get(reverse("web:portal_ticket", args=[a.pk])))
    for words in ("Link to another ticket", "Merge into another ticket", "Split into a new"):
        assert words not in portal


# Who may link, merge and split through the page: the ticket is alice's, in appdev.
# 403: sees the ticket but may not; 404: may not see it (it answers like a missing one).
@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("alice", 403),
        ("bob", 404),
        ("olivia", 302),
        ("tom", 302),
        ("nina", 404),
        ("max", 302),
        ("ada", 302),
    ],
)
@pytest.mark.parametrize("action", ["link", "merge", "split"])
def test_who_may_link_merge_and_split(client, make_ticket, personas, persona, expected, action):
    ticket, other = make_ticket(), make_ticket(requester=personas.bob)
    comment = actions.add_comment(ticket, actor=personas.alice, channel="web", body="And the VPN")
    url, data = {
        "link": (reverse("web:ticket_link", args=[ticket.pk]), {"kind": "refers_to"}),
        "merge": (reverse("web:ticket_merge", args=[ticket.pk]), {}),
        "split": (reverse("web:ticket_split", args=[ticket.pk, comment.pk]), {}),
    }[action]
    data = {**data, "target": other.pk, "into": other.pk}
    tickets_before = Ticket.objects.count()
    login(client, personas.by_role(persona))
    response = client.post(url, data)
    assert response.status_code == expected
    changed = (
        TicketLink.objects.exists()
        or Ticket.objects.get(pk=ticket.pk).merged_into_id is not None
        or Ticket.objects.count() != tickets_before
    )
    assert changed == (expected == 302)


def test_the_page_costs_the_same_with_more_links(login_as, make_ticket, personas):
    ticket = make_ticket()
    client = login_as("tom")

    def add_links(n):
        for _ in range(n):
            other = make_ticket()
            links.add_link(
                ticket, actor=personas.tom, channel="web", kind="refers_to", target=other.pk
            )

    add_links(1)
    client.get(reverse("web:ticket", args=[ticket.pk]))  # warm the session
    with count_queries() as first:
        page(client, ticket.pk)
    add_links(5)
    with count_queries() as second:
        page(client, ticket.pk)
    assert_same_query_count(first, second)
