"""Links, merges, splits, dependencies and masters (SPEC §2), through the actions."""

from __future__ import annotations

import pytest

from osit.audit.chain import verify
from osit.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from osit.tickets import actions, links
from osit.tickets.models import Comment, Ticket, TicketLink, Watcher
from osit.tickets.policy import get_ticket_for

pytestmark = pytest.mark.django_db


def status(ticket, actor, new, comment="Done.", **kw):
    return actions.change_status(
        ticket, actor=actor, channel="web", status=new, comment=comment, **kw
    )


def test_a_link_reads_both_ways(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    [from_a] = links.links_of(a)
    [from_b] = links.links_of(b)
    assert (from_a.label, from_a.other.pk, from_a.outgoing) == ("depends on", b.pk, True)
    assert (from_b.label, from_b.other.pk, from_b.outgoing) == ("blocks", a.pk, False)
    assert (
        a.events.filter(kind="link_added").exists() and b.events.filter(kind="link_added").exists()
    )


@pytest.mark.parametrize(
    ("kind", "target", "error", "words"),
    [
        ("depends_on", "self", InvalidInput, "itself"),
        ("friend_of", "other", InvalidInput, "not a kind of link"),
        ("depends_on", 999999, NotFound, "does not exist"),
        ("depends_on", "abc", InvalidInput, "number"),
    ],
)
def test_bad_links_are_refused(personas, make_ticket, kind, target, error, words):
    a, b = make_ticket(), make_ticket()
    value = {"self": a.pk, "other": b.pk}.get(target, target)
    with pytest.raises(error) as exc:
        links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=value)
    assert words in exc.value.message
    assert not TicketLink.objects.exists()


def test_no_duplicate_and_no_cycle(personas, make_ticket):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    links.add_link(b, actor=personas.tom, channel="web", kind="depends_on", target=c.pk)
    with pytest.raises(Conflict):
        links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    with pytest.raises(InvalidInput) as exc:
        links.add_link(c, actor=personas.tom, channel="web", kind="depends_on", target=a.pk)
    assert "loop" in exc.value.message
    # refers_to may go both ways.
    links.add_link(c, actor=personas.tom, channel="web", kind="refers_to", target=a.pk)


def test_a_target_the_actor_cannot_see_looks_missing(personas, make_ticket):
    mine = make_ticket()
    theirs = make_ticket(service=personas.network, application=None)
    with pytest.raises(NotFound) as exc:
        links.add_link(mine, actor=personas.tom, channel="web", kind="refers_to", target=theirs.pk)
    assert exc.value.message == f"Ticket #{theirs.pk} does not exist."


def test_requesters_may_not_link_merge_or_split(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    with pytest.raises(Forbidden):
        links.add_link(a, actor=personas.alice, channel="web", kind="refers_to", target=b.pk)
    with pytest.raises(Forbidden):
        links.merge(a, actor=personas.alice, channel="web", into=b.pk)
    comment = actions.add_comment(a, actor=personas.alice, channel="web", body="Also my printer")
    with pytest.raises(Forbidden):
        links.split(a, actor=personas.alice, channel="web", comment_id=comment.pk)


def test_removing_a_link(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    link = links.add_link(a, actor=personas.tom, channel="web", kind="parent_of", target=b.pk)
    links.remove_link(b, actor=personas.tom, channel="web", link_id=link.pk)
    assert links.links_of(a) == []
    with pytest.raises(NotFound):
        links.remove_link(a, actor=personas.tom, channel="web", link_id=link.pk)


def test_an_open_dependency_blocks_resolving_unless_overridden(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    with pytest.raises(Conflict) as exc:
        status(a, personas.tom, "resolved")
    assert exc.value.message == (
        f"This ticket depends on #{b.pk}, not resolved yet; resolve them first or override the "
        "dependencies."
    )
    assert Ticket.objects.get(pk=a.pk).status == "new"
    status(a, personas.tom, "resolved", override_dependencies=True)
    assert Ticket.objects.get(pk=a.pk).status == "resolved"


def test_a_resolved_dependency_no_longer_blocks(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    status(b, personas.tom, "resolved")
    status(a, personas.tom, "closed")
    assert Ticket.objects.get(pk=a.pk).status == "closed"


def test_closing_a_master_closes_its_slaves_with_its_comment(personas, make_ticket):
    master, slave, done = make_ticket(), make_ticket(), make_ticket()
    for s in (slave, done):
        links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=s.pk)
    status(done, personas.tom, "closed", comment="Already closed.")
    status(master, personas.tom, "resolved", comment="Core switch replaced.")
    slave = Ticket.objects.get(pk=slave.pk)
    assert slave.status == "resolved"
    assert slave.comments.filter(body="Core switch replaced.").exists()
    assert slave.events.filter(kind="followed_master").exists()
    assert Ticket.objects.get(pk=done.pk).status == "closed"
    assert verify()[1] == []


def test_merge_moves_everything_and_the_old_number_leads_to_the_survivor(personas, make_ticket):
    old = make_ticket(requester=personas.bob)
    survivor = make_ticket()
    actions.add_comment(
        old,
        actor=personas.tom,
        channel="web",
        body="Seen twice",
        visibility="internal",
        time_spent_minutes=15,
        uploads=[actions.Upload("trace.txt", b"trace")],
    )
    actions.add_watcher(old, actor=personas.tom, channel="web", user=personas.max, kind="admincc")
    other = make_ticket()
    links.add_link(old, actor=personas.tom, channel="web", kind="refers_to", target=other.pk)

    result = links.merge(
        old, actor=personas.tom, channel="web", into=survivor.pk, comment="Same outage"
    )
    assert result.pk == survivor.pk
    old, survivor = Ticket.objects.get(pk=old.pk), Ticket.objects.get(pk=survivor.pk)
    assert (old.status, old.merged_into_id) == ("closed", survivor.pk)
    assert Comment.objects.filter(ticket=survivor, body="Seen twice").exists()
    assert survivor.attachments.filter(filename="trace.txt").exists()
    assert survivor.time_spent_minutes == 15
    assert survivor.comment_count == survivor.comments.count()
    assert Watcher.objects.filter(ticket=survivor, user=personas.max).exists()
    assert personas.bob in survivor.extra_requesters.all()
    assert TicketLink.objects.filter(source=survivor, target=other).exists()
    assert get_ticket_for(personas.tom, old.pk).pk == survivor.pk
    # bob, the merged ticket's requester, still reaches it by his number.
    assert get_ticket_for(personas.bob, old.pk).pk == survivor.pk
    assert old.events.filter(kind="merged").exists()
    assert survivor.events.filter(kind="merged_in").exists()
    assert verify()[1] == []


@pytest.mark.parametrize("case", ["self", "merged", "closed"])
def test_bad_merges_are_refused(personas, make_ticket, case):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    if case == "merged":
        links.merge(b, actor=personas.tom, channel="web", into=c.pk)
    if case == "closed":
        status(b, personas.tom, "closed")
    into = a.pk if case == "self" else b.pk
    with pytest.raises((InvalidInput, Conflict)) as exc:
        links.merge(a, actor=personas.tom, channel="web", into=into)
    assert exc.value.field == "into"
    assert Ticket.objects.get(pk=a.pk).merged_into_id is None


def test_split_makes_a_linked_ticket_from_a_comment(personas, make_ticket):
    ticket = make_ticket()
    comment = actions.add_comment(
        ticket,
        actor=personas.alice,
        channel="email",
        body="By the way, my badge does not open the door.",
    )
    new = links.split(ticket, actor=personas.tom, channel="web", comment_id=comment.pk)
    assert new.description == "By the way, my badge does not open the door."
    assert new.requester == personas.alice and new.service == ticket.service
    assert new.subject.startswith(f"Split from #{ticket.pk}")
    assert TicketLink.objects.filter(source=new, target=ticket, kind="refers_to").exists()
    with pytest.raises(NotFound):
        links.split(ticket, actor=personas.tom, channel="web", comment_id=999999)
