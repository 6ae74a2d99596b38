"""Links, merges, splits, dependencies and masters (SPEC §2), through the actions.

Each rule is checked with the message a person sees when it refuses, and the history chain is
verified after the changes that write to several tickets at once.
"""

from __future__ import annotations

import pytest

from osit.audit.chain import verify
from osit.audit.models import Event
from osit.core.errors import Conflict, Forbidden, InvalidInput, NotFound
from osit.tickets import actions, links
from osit.tickets.models import Attachment, Comment, Ticket, TicketLink, TimeEntry, Watcher
from osit.tickets.policy import get_ticket_for
from osit.tickets.timeline import build_timeline
from tests.tickets.util import kinds, refresh, snapshot

pytestmark = pytest.mark.django_db


def status(ticket, actor, new, comment="Done.", **kw):
    return actions.change_status(
        ticket, actor=actor, channel="web", status=new, comment=comment, **kw
    )


def summaries(ticket, *, include_internal=True):
    return [e.summary for e in build_timeline(refresh(ticket), include_internal=include_internal)]


def assert_chain_verifies():
    checked, problems = verify()
    assert problems == [] and checked > 0


# --- links ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "forward", "backward"),
    [
        ("depends_on", "depends on", "blocks"),
        ("parent_of", "parent of", "child of"),
        ("refers_to", "refers to", "referred to by"),
        ("duplicate_of", "duplicate of", "duplicated by"),
        ("master_of", "master of", "slave of"),
    ],
)
def test_a_link_reads_both_ways(personas, make_ticket, kind, forward, backward):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=b.pk)
    [from_a] = links.links_of(a)
    [from_b] = links.links_of(b)
    assert (from_a.label, from_a.other.pk, from_a.outgoing, from_a.kind) == (
        forward,
        b.pk,
        True,
        kind,
    )
    assert (from_b.label, from_b.other.pk, from_b.outgoing, from_b.kind) == (
        backward,
        a.pk,
        False,
        kind,
    )
    # One event on each ticket, each told from its own side.
    assert f"linked: {forward} #{b.pk}" in summaries(a)
    assert f"linked: {backward} #{a.pk}" in summaries(b)


def test_linking_bumps_both_versions(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.olivia, channel="web", kind="refers_to", target=b.pk)
    assert (refresh(a).version, refresh(b).version) == (a.version + 1, b.version + 1)


@pytest.mark.parametrize(
    ("kind", "target", "error", "message"),
    [
        ("depends_on", "self", InvalidInput, "A ticket cannot be linked to itself."),
        (
            "friend_of",
            "other",
            InvalidInput,
            "'friend_of' is not a kind of link; use one of: depends_on, parent_of, refers_to, "
            "duplicate_of, master_of.",
        ),
        ("depends_on", 999999, NotFound, "Ticket #999999 does not exist."),
        ("depends_on", "abc", InvalidInput, "Give the number of the other ticket."),
    ],
)
def test_bad_links_are_refused(personas, make_ticket, kind, target, error, message):
    a, b = make_ticket(), make_ticket()
    before = snapshot(a)
    value = {"self": a.pk, "other": b.pk}.get(target, target)
    with pytest.raises(error) as exc:
        links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=value)
    assert exc.value.message == message
    assert exc.value.field in ("kind", "target")
    assert not TicketLink.objects.exists()
    assert snapshot(a) == before


def test_the_same_link_twice_is_refused(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    with pytest.raises(Conflict) as exc:
        links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=f"#{b.pk}")
    assert exc.value.message == f"#{a.pk} already depends on #{b.pk}."
    # Another kind between the same two tickets is a different link.
    links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=b.pk)
    assert TicketLink.objects.count() == 2


@pytest.mark.parametrize("kind", ["depends_on", "parent_of", "master_of"])
def test_no_loop_of_dependencies_parents_or_masters(personas, make_ticket, kind):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=b.pk)
    links.add_link(b, actor=personas.tom, channel="web", kind=kind, target=c.pk)
    for start, end in ((b, a), (c, a)):
        with pytest.raises(InvalidInput) as exc:
            links.add_link(start, actor=personas.tom, channel="web", kind=kind, target=end.pk)
        assert exc.value.message == (
            f"#{end.pk} already leads back to #{start.pk}: this link would make a loop."
        )
        assert exc.value.field == "target"
    assert TicketLink.objects.count() == 2


@pytest.mark.parametrize("kind", ["refers_to", "duplicate_of"])
def test_references_and_duplicates_may_go_both_ways(personas, make_ticket, kind):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=b.pk)
    links.add_link(b, actor=personas.tom, channel="web", kind=kind, target=a.pk)
    assert len(links.links_of(a)) == 2


def test_a_target_the_actor_cannot_see_looks_missing(personas, make_ticket):
    mine = make_ticket()
    theirs = make_ticket(service=personas.network, application=None)
    with pytest.raises(NotFound) as hidden:
        links.add_link(mine, actor=personas.tom, channel="web", kind="refers_to", target=theirs.pk)
    with pytest.raises(NotFound) as missing:
        links.add_link(mine, actor=personas.tom, channel="web", kind="refers_to", target=999999)
    assert hidden.value.message == f"Ticket #{theirs.pk} does not exist."
    assert missing.value.message == "Ticket #999999 does not exist."
    assert hidden.value.field == missing.value.field == "target"


def test_links_of_leaves_out_tickets_the_reader_cannot_see(personas, make_ticket):
    mine = make_ticket()
    theirs = make_ticket(service=personas.network, application=None)
    links.add_link(mine, actor=personas.max, channel="web", kind="refers_to", target=theirs.pk)
    assert [v.other.pk for v in links.links_of(mine, visible_to=personas.max)] == [theirs.pk]
    assert links.links_of(mine, visible_to=personas.tom) == []
    assert len(links.links_of(mine)) == 1


def test_requesters_may_not_link_merge_or_split(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    before = snapshot(a)
    with pytest.raises(Forbidden) as linking:
        links.add_link(a, actor=personas.alice, channel="web", kind="refers_to", target=b.pk)
    assert linking.value.message == "Only agents may link tickets."
    with pytest.raises(Forbidden) as merging:
        links.merge(a, actor=personas.alice, channel="web", into=b.pk)
    assert merging.value.message == "Only agents may merge an open ticket."
    comment = actions.add_comment(a, actor=personas.alice, channel="web", body="Also my printer")
    before = snapshot(a)
    with pytest.raises(Forbidden) as splitting:
        links.split(a, actor=personas.alice, channel="web", comment_id=comment.pk)
    assert splitting.value.message == "Only agents may split an open ticket."
    assert snapshot(a) == before
    assert not TicketLink.objects.exists()


def test_an_operator_may_link_merge_and_split(personas, make_ticket):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    links.add_link(a, actor=personas.olivia, channel="phone", kind="refers_to", target=b.pk)
    comment = actions.add_comment(a, actor=personas.alice, channel="web", body="And the VPN")
    links.split(a, actor=personas.olivia, channel="phone", comment_id=comment.pk)
    links.merge(c, actor=personas.olivia, channel="phone", into=b.pk)
    assert refresh(c).merged_into_id == b.pk


def test_removing_a_link_from_either_end(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    made = links.add_link(a, actor=personas.tom, channel="web", kind="parent_of", target=b.pk)
    links.remove_link(b, actor=personas.tom, channel="web", link_id=made.pk)
    assert links.links_of(a) == [] and links.links_of(b) == []
    assert f"removed the link: parent of #{b.pk}" in summaries(a)
    assert f"removed the link: child of #{a.pk}" in summaries(b)
    with pytest.raises(NotFound) as exc:
        links.remove_link(a, actor=personas.tom, channel="web", link_id=made.pk)
    assert (exc.value.message, exc.value.field) == ("This ticket has no such link.", "link")


def test_a_link_cannot_be_removed_through_an_unrelated_ticket(personas, make_ticket):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    made = links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=b.pk)
    with pytest.raises(NotFound):
        links.remove_link(c, actor=personas.tom, channel="web", link_id=made.pk)
    with pytest.raises(Forbidden):
        links.remove_link(a, actor=personas.alice, channel="web", link_id=made.pk)
    assert TicketLink.objects.filter(pk=made.pk).exists()


# --- dependencies -----------------------------------------------------------------------------


@pytest.mark.parametrize("new", ["resolved", "closed"])
def test_an_open_dependency_blocks_resolving_and_closing(personas, make_ticket, new):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=c.pk)
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    before = snapshot(a)
    with pytest.raises(Conflict) as exc:
        status(a, personas.tom, new)
    assert exc.value.message == (
        f"This ticket depends on #{b.pk}, #{c.pk}, not resolved yet; resolve them first or "
        "override the dependencies."
    )
    assert exc.value.field == "status"
    assert snapshot(a) == before


def test_the_override_lets_it_through(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    status(a, personas.tom, "resolved", override_dependencies=True)
    assert refresh(a).status == "resolved"
    assert refresh(b).status == "new"


def test_other_moves_are_not_blocked(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    status(a, personas.tom, "open")
    status(a, personas.tom, "pending_customer")
    # The blocked side only: b, which a depends on, resolves freely.
    status(b, personas.tom, "resolved")


@pytest.mark.parametrize("done", ["resolved", "closed"])
def test_a_resolved_or_closed_dependency_no_longer_blocks(personas, make_ticket, done):
    a, b = make_ticket(), make_ticket()
    links.add_link(a, actor=personas.tom, channel="web", kind="depends_on", target=b.pk)
    status(b, personas.tom, done)
    status(a, personas.tom, "closed")
    assert refresh(a).status == "closed"


def test_other_kinds_of_link_do_not_block(personas, make_ticket):
    a, b = make_ticket(), make_ticket()
    for kind in ("parent_of", "refers_to", "duplicate_of"):
        links.add_link(a, actor=personas.tom, channel="web", kind=kind, target=b.pk)
    status(a, personas.tom, "resolved")


# --- masters and slaves -----------------------------------------------------------------------


@pytest.mark.parametrize("new", ["resolved", "closed"])
def test_a_master_carries_its_slaves_with_its_comment(personas, make_ticket, new):
    master, slave, done = make_ticket(), make_ticket(), make_ticket()
    for s in (slave, done):
        links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=s.pk)
    status(done, personas.tom, "closed", comment="Already closed.")
    done_before = refresh(done).version, kinds(done)
    status(master, personas.tom, new, comment="Core switch replaced.")

    slave = refresh(slave)
    assert slave.status == new
    assert slave.comments.filter(body="Core switch replaced.").exists()
    assert kinds(slave)[-2:] == ["status_changed", "followed_master"]
    assert f"set to {slave.get_status_display()} with its master #{master.pk}" in summaries(slave)
    assert (refresh(done).version, kinds(done)) == done_before
    assert_chain_verifies()


def test_slaves_of_slaves_follow_too(personas, make_ticket):
    top, middle, bottom = make_ticket(), make_ticket(), make_ticket()
    links.add_link(top, actor=personas.tom, channel="web", kind="master_of", target=middle.pk)
    links.add_link(middle, actor=personas.tom, channel="web", kind="master_of", target=bottom.pk)
    status(top, personas.tom, "resolved", comment="Fixed upstream.")
    assert [refresh(t).status for t in (middle, bottom)] == ["resolved", "resolved"]
    assert Event.objects.get(ticket_id=bottom.pk, kind="followed_master").data["master"] == (
        middle.pk
    )


def test_reopening_a_master_leaves_its_slaves(personas, make_ticket):
    master, slave = make_ticket(), make_ticket()
    links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=slave.pk)
    status(master, personas.tom, "resolved")
    status(master, personas.tom, "open", comment="Not fixed after all.")
    assert refresh(slave).status == "resolved"
    status(master, personas.tom, "pending_customer")
    assert refresh(slave).status == "resolved"


def test_a_slave_is_never_carried_the_other_way(personas, make_ticket):
    master, slave = make_ticket(), make_ticket()
    links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=slave.pk)
    status(slave, personas.tom, "resolved")
    assert refresh(master).status == "new"


def test_the_master_and_its_slaves_change_in_one_transaction(personas, make_ticket, monkeypatch):
    master, slave = make_ticket(), make_ticket()
    links.add_link(master, actor=personas.tom, channel="web", kind="master_of", target=slave.pk)
    before = snapshot(master), snapshot(slave)
    real = actions._apply_status

    def failing(ticket, *args, **kwargs):
        if ticket.pk == slave.pk:
            raise RuntimeError("disk full")
        return real(ticket, *args, **kwargs)

    monkeypatch.setattr(actions, "_apply_status", failing)
    with pytest.raises(RuntimeError):
        status(master, personas.tom, "resolved")
    assert (snapshot(master), snapshot(slave)) == before


# --- merge ------------------------------------------------------------------------------------


def test_merge_moves_everything_to_the_survivor(personas, make_ticket):
    old = make_ticket(requester=personas.bob, subject="Payroll down again")
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
    actions.add_comment(old, actor=personas.bob, channel="email", body="Still down")
    actions.add_comment(
        survivor, actor=personas.tom, channel="web", body="Looking", time_spent_minutes=10
    )
    # max watches both (kept once), nina only the old one.
    for ticket in (old, survivor):
        actions.add_watcher(
            ticket, actor=personas.tom, channel="web", user=personas.max, kind="admincc"
        )
    actions.add_watcher(old, actor=personas.tom, channel="web", user=personas.nina, kind="cc")
    other, blocker = make_ticket(), make_ticket()
    links.add_link(old, actor=personas.tom, channel="web", kind="refers_to", target=other.pk)
    links.add_link(blocker, actor=personas.tom, channel="web", kind="depends_on", target=old.pk)
    comments_before = refresh(old).comment_count + refresh(survivor).comment_count

    result = links.merge(
        old, actor=personas.tom, channel="web", into=survivor.pk, comment="Same outage"
    )

    assert result.pk == survivor.pk
    old, survivor = refresh(old), refresh(survivor)
    assert (old.status, old.merged_into_id, old.comment_count, old.time_spent_minutes) == (
        "closed",
        survivor.pk,
        0,
        0,
    )
    assert old.closed_at is not None
    assert not Comment.objects.filter(ticket=old).exists()
    assert set(Comment.objects.filter(ticket=survivor).values_list("body", flat=True)) >= {
        "Seen twice",
        "Still down",
        "Looking",
        "Same outage",
    }
    assert survivor.comment_count == survivor.comments.count() == comments_before + 1
    assert survivor.comments.get(body="Same outage").visibility == "internal"
    assert Attachment.objects.get(filename="trace.txt").ticket_id == survivor.pk
    assert TimeEntry.objects.filter(ticket=survivor).count() == 2
    assert survivor.time_spent_minutes == 25
    assert sorted(
        Watcher.objects.filter(ticket=survivor).values_list("user__username", "kind")
    ) == [("max", "admincc"), ("nina", "cc")]
    assert not Watcher.objects.filter(ticket=old).exists()
    assert list(survivor.extra_requesters.all()) == [personas.bob]
    assert TicketLink.objects.filter(source=survivor, target=other, kind="refers_to").exists()
    assert TicketLink.objects.filter(source=blocker, target=survivor, kind="depends_on").exists()
    assert not TicketLink.objects.filter(source=old).exists()
    assert not TicketLink.objects.filter(target=old).exists()

    # A "merged" event on both tickets, told from each side.
    assert kinds(old)[-1] == kinds(survivor)[-1] == "merged"
    assert f"merged this ticket into #{survivor.pk}" in summaries(old)
    entry = next(
        e for e in build_timeline(survivor, include_internal=True) if e.summary.startswith("merged")
    )
    assert entry.summary == f"merged #{old.pk} into this ticket"
    assert entry.detail == "Moved here: 2 comments, 1 file, 1 intervention, 1 watcher, 2 links."
    assert entry.comment is not None and entry.comment.body == "Same outage"
    # What came with the old ticket appears in the survivor's timeline.
    survivor_timeline = build_timeline(survivor, include_internal=True)
    assert {e.comment.body for e in survivor_timeline if e.comment} >= {"Seen twice", "Still down"}
    assert any(e.attachment and e.attachment.filename == "trace.txt" for e in survivor_timeline)
    assert sum(1 for e in survivor_timeline if e.time_entry) == 2
    assert_chain_verifies()


def test_the_old_number_leads_to_the_survivor(personas, make_ticket):
    old = make_ticket(requester=personas.bob, actor=personas.tom)
    survivor = make_ticket()
    links.merge(old, actor=personas.tom, channel="web", into=survivor.pk)
    for user in (personas.tom, personas.max, personas.bob, personas.olivia):
        # olivia, an operator, no longer sees the old ticket itself (closed, not created by
        # her), but sees the survivor: the old number still leads there.
        assert get_ticket_for(user, old.pk).pk == survivor.pk, user
        assert get_ticket_for(user, f"#{old.pk}").pk == survivor.pk, user


def test_the_survivor_must_still_be_visible(personas, make_ticket):
    old = make_ticket(service=personas.network, application=None)
    survivor = make_ticket()
    links.merge(old, actor=personas.max, channel="web", into=survivor.pk)
    # nina sees network tickets, and the old one was; the survivor is appdev's.
    with pytest.raises(NotFound) as exc:
        get_ticket_for(personas.nina, old.pk)
    assert exc.value.message == f"Ticket #{old.pk} does not exist."
    with pytest.raises(NotFound):
        get_ticket_for(personas.alice, 999999)


def test_merging_a_survivor_again_leads_every_old_number_to_the_last_one(personas, make_ticket):
    first, second, last = make_ticket(), make_ticket(), make_ticket()
    links.merge(first, actor=personas.tom, channel="web", into=second.pk)
    links.merge(second, actor=personas.tom, channel="web", into=last.pk)
    assert refresh(first).merged_into_id == last.pk
    assert get_ticket_for(personas.tom, first.pk).pk == last.pk
    assert set(refresh(last).merged_from.values_list("id", flat=True)) == {first.pk, second.pk}


def test_a_link_to_a_merged_number_goes_to_the_survivor(personas, make_ticket):
    old, survivor, a = make_ticket(), make_ticket(), make_ticket()
    links.merge(old, actor=personas.tom, channel="web", into=survivor.pk)
    made = links.add_link(a, actor=personas.tom, channel="web", kind="refers_to", target=old.pk)
    assert made.target_id == survivor.pk


def test_links_that_would_loop_through_the_survivor_are_dropped(personas, make_ticket):
    old, survivor, x = make_ticket(), make_ticket(), make_ticket()
    links.add_link(survivor, actor=personas.tom, channel="web", kind="depends_on", target=x.pk)
    links.add_link(x, actor=personas.tom, channel="web", kind="depends_on", target=old.pk)
    links.add_link(old, actor=personas.tom, channel="web", kind="parent_of", target=survivor.pk)
    links.merge(old, actor=personas.tom, channel="web", into=survivor.pk)
    assert list(TicketLink.objects.values_list("source_id", "target_id", "kind")) == [
        (survivor.pk, x.pk, "depends_on")
    ]
    event = Event.objects.get(ticket_id=survivor.pk, kind="merged")
    assert (event.data["links"], event.data["links_dropped"]) == (0, 2)


@pytest.mark.parametrize(
    ("case", "error", "message"),
    [
        ("self", InvalidInput, "A ticket cannot be merged into itself."),
        ("merged", InvalidInput, "#{b} was itself merged into #{c}; merge into that one."),
        ("closed", Conflict, "#{b} is closed; reopen it before merging into it."),
        ("hidden", NotFound, "Ticket #{h} does not exist."),
        ("missing", NotFound, "Ticket #999999 does not exist."),
        ("not a number", InvalidInput, "Give the number of the other ticket."),
    ],
)
def test_bad_merges_are_refused(personas, make_ticket, case, error, message):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    hidden = make_ticket(service=personas.network, application=None)
    if case == "merged":
        links.merge(b, actor=personas.tom, channel="web", into=c.pk)
    if case == "closed":
        status(b, personas.tom, "closed")
    into = {
        "self": a.pk,
        "hidden": hidden.pk,
        "missing": 999999,
        "not a number": "next one",
    }.get(case, b.pk)
    before = snapshot(a)
    with pytest.raises(error) as exc:
        links.merge(a, actor=personas.tom, channel="web", into=into)
    assert exc.value.message == message.format(b=b.pk, c=c.pk, h=hidden.pk)
    assert exc.value.field == "into"
    assert refresh(a).merged_into_id is None
    assert snapshot(a) == before


def test_a_merged_or_closed_ticket_cannot_be_merged(personas, make_ticket):
    a, b, c = make_ticket(), make_ticket(), make_ticket()
    links.merge(a, actor=personas.tom, channel="web", into=b.pk)
    with pytest.raises(Conflict) as exc:
        links.merge(a, actor=personas.tom, channel="web", into=c.pk)
    assert exc.value.message == f"This ticket was merged into #{b.pk}."
    status(c, personas.tom, "closed")
    with pytest.raises(Forbidden) as closed:
        links.merge(c, actor=personas.tom, channel="web", into=b.pk)
    assert closed.value.message == "Only agents may merge an open ticket."


# --- split ------------------------------------------------------------------------------------


def test_split_makes_a_linked_ticket_from_a_comment(personas, make_ticket):
    ticket = make_ticket(severity="minor", criticality="non_blocking")
    comment = actions.add_comment(
        ticket,
        actor=personas.alice,
        channel="email",
        body="By the way, my badge does not open the door.\nSince Monday.",
    )
    before = refresh(ticket).comment_count

    new = links.split(ticket, actor=personas.tom, channel="web", comment_id=comment.pk)

    assert new.pk != ticket.pk
    assert new.description == "By the way, my badge does not open the door.\nSince Monday."
    assert new.subject == "By the way, my badge does not open the door."
    assert (new.requester, new.service, new.application) == (
        personas.alice,
        ticket.service,
        ticket.application,
    )
    assert (new.severity, new.criticality, new.status) == ("minor", "non_blocking", "new")
    assert TicketLink.objects.filter(source=new, target=ticket, kind="refers_to").exists()
    # The comment stays in the old ticket's history.
    assert Comment.objects.get(pk=comment.pk).ticket_id == ticket.pk
    assert refresh(ticket).comment_count == before
    assert kinds(ticket)[-1] == "split"
    assert kinds(new) == ["created", "split_from"]
    assert f"split a comment into the new ticket #{new.pk}" in summaries(ticket)
    assert f"created this ticket from a comment of #{ticket.pk}" in summaries(new)
    assert f"refers to #{ticket.pk}" in [f"{v.label} #{v.other.pk}" for v in links.links_of(new)]
    # The split event does not show the comment's text a second time.
    shown = [e for e in build_timeline(ticket, include_internal=True) if e.comment == comment]
    assert len(shown) == 1
    assert_chain_verifies()


def test_split_with_a_subject_and_a_long_first_line(personas, make_ticket):
    ticket = make_ticket()
    long = actions.add_comment(ticket, actor=personas.alice, channel="web", body="word " * 60)
    named = links.split(
        ticket, actor=personas.tom, channel="web", comment_id=long.pk, subject="  Badge reader "
    )
    derived = links.split(ticket, actor=personas.tom, channel="web", comment_id=long.pk)
    assert named.subject == "Badge reader"
    assert len(derived.subject) == 100 and derived.subject.endswith("…")


def test_split_refuses_a_comment_of_another_ticket(personas, make_ticket):
    ticket, elsewhere = make_ticket(), make_ticket()
    comment = actions.add_comment(elsewhere, actor=personas.alice, channel="web", body="Mine")
    count = Ticket.objects.count()
    for comment_id in (comment.pk, 999999):
        with pytest.raises(NotFound) as exc:
            links.split(ticket, actor=personas.tom, channel="web", comment_id=comment_id)
        assert exc.value.message == f"This ticket has no comment {comment_id}."
        assert exc.value.field == "event"
    assert Ticket.objects.count() == count


def test_a_closed_ticket_cannot_be_split(personas, make_ticket):
    ticket = make_ticket()
    comment = actions.add_comment(ticket, actor=personas.alice, channel="web", body="Also this")
    status(ticket, personas.tom, "closed")
    with pytest.raises(Forbidden) as exc:
        links.split(ticket, actor=personas.tom, channel="web", comment_id=comment.pk)
    assert exc.value.message == "Only agents may split an open ticket."
