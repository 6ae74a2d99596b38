"""Who sees which ticket (SPEC §1, seed 001): ``visible_tickets`` for every persona, and
``get_ticket_for`` answering the same for an invisible ticket as for a missing one."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.contrib.auth.models import AnonymousUser

from osit.core.errors import NotFound
from osit.directory import actions as directory
from osit.tickets.actions import add_watcher, create_ticket, take
from osit.tickets.models import Ticket
from osit.tickets.policy import (
    Action,
    can,
    get_ticket_for,
    is_agent,
    role_may,
    visible_tickets,
)

from .util import move


@dataclass
class World:
    alice_app: Ticket  # alice's, appdev
    alice_net: Ticket  # alice's, network
    bob_app: Ticket  # bob's, appdev
    bob_net: Ticket  # bob's, network
    closed_by_olivia: Ticket  # bob's, appdev, created by olivia, closed
    closed_by_max: Ticket  # bob's, network, created by max, closed
    alice_portal: Ticket  # alice's, from the portal, no service yet

    def numbers(self, *names: str) -> set[int]:
        return {getattr(self, n).pk for n in names}


ALL = (
    "alice_app",
    "alice_net",
    "bob_app",
    "bob_net",
    "closed_by_olivia",
    "closed_by_max",
    "alice_portal",
)


@pytest.fixture
def world(personas, make_ticket) -> World:
    p = personas
    net = {"service": p.network, "application": p.router}
    closed_by_olivia = make_ticket(requester=p.bob, subject="closed, by olivia")
    move(closed_by_olivia, "closed", actor=p.tom)
    closed_by_max = make_ticket(actor=p.max, requester=p.bob, subject="closed, by max", **net)
    move(closed_by_max, "closed", actor=p.nina)
    return World(
        alice_app=make_ticket(subject="alice app"),
        alice_net=make_ticket(subject="alice net", **net),
        bob_app=make_ticket(requester=p.bob, subject="bob app"),
        bob_net=make_ticket(requester=p.bob, subject="bob net", **net),
        closed_by_olivia=closed_by_olivia,
        closed_by_max=closed_by_max,
        alice_portal=create_ticket(
            actor=p.alice, channel="web", requester=p.alice, subject="from the portal"
        ),
    )


def _visible(user) -> set[int]:
    return set(visible_tickets(user).values_list("pk", flat=True))


def test_a_requester_sees_only_her_own_tickets(personas, world):
    assert _visible(personas.alice) == world.numbers("alice_app", "alice_net", "alice_portal")


def test_another_requester_sees_none_of_hers(personas, world):
    assert _visible(personas.bob) == world.numbers(
        "bob_app", "bob_net", "closed_by_olivia", "closed_by_max"
    )


def test_an_extra_requester_sees_the_ticket(personas, world):
    world.bob_app.extra_requesters.add(personas.alice)
    assert world.bob_app.pk in _visible(personas.alice)
    assert visible_tickets(personas.alice).filter(pk=world.bob_app.pk).count() == 1


def test_organisation_sharing(personas, world, fresh_user):
    acme = personas.alice.organisation
    colleague = directory.create_user(
        actor=None,
        channel="cli",
        username="carol",
        email="carol@osit.test",
        roles=["requester"],
        organisation=acme,
    )
    assert _visible(colleague) == set()

    acme.share_tickets = True
    acme.save()

    assert _visible(fresh_user(colleague)) == world.numbers(
        "alice_app", "alice_net", "alice_portal"
    )
    # Bob (another organisation) still sees none of them.
    assert _visible(fresh_user(personas.bob)) & world.numbers("alice_app", "alice_net") == set()


def test_the_operator_sees_active_tickets_and_the_closed_ones_she_created(personas, world):
    visible = _visible(personas.olivia)
    assert visible == world.numbers(*[n for n in ALL if n != "closed_by_max"])


def test_a_technician_sees_his_service_and_what_he_watches_or_owns(personas, world, fresh_user):
    tom = personas.tom
    assert _visible(tom) == world.numbers("alice_app", "bob_app", "closed_by_olivia")

    # Watching a network ticket shows it to him.
    add_watcher(world.bob_net, actor=personas.nina, channel="web", user=tom, kind="admincc")
    assert _visible(fresh_user(tom)) == world.numbers(
        "alice_app", "bob_app", "closed_by_olivia", "bob_net"
    )

    # A ticket he owns stays visible after he leaves the service it belongs to.
    personas.network.members.add(tom)
    take(world.alice_net, actor=fresh_user(tom), channel="web")
    personas.network.members.remove(tom)
    assert _visible(fresh_user(tom)) == world.numbers(
        "alice_app", "bob_app", "closed_by_olivia", "bob_net", "alice_net"
    )


def test_the_other_technician_sees_the_reverse(personas, world):
    assert _visible(personas.nina) == world.numbers("alice_net", "bob_net", "closed_by_max")


@pytest.mark.parametrize("who", ["max", "ada"])
def test_managers_and_admins_see_everything(personas, world, who):
    assert _visible(personas.by_role(who)) == world.numbers(*ALL)


@pytest.mark.parametrize("who", ["alice", "olivia", "tom", "max"])
def test_an_inactive_user_sees_nothing(personas, world, who):
    user = personas.by_role(who)
    user.is_active = False
    user.save()
    assert _visible(user) == set()
    assert not is_agent(user)
    assert not can(user, Action.VIEW, world.alice_app)


def test_an_anonymous_visitor_sees_nothing(personas, world):
    assert _visible(AnonymousUser()) == set()


def test_each_visible_ticket_comes_back_once(personas, world, fresh_user):
    # Watched twice (Cc and AdminCc) and in his service: still one row.
    for kind in ("cc", "admincc"):
        add_watcher(
            world.alice_app, actor=personas.tom, channel="web", user=personas.tom, kind=kind
        )
    world.alice_app.extra_requesters.add(personas.tom)
    qs = visible_tickets(fresh_user(personas.tom))
    assert qs.filter(pk=world.alice_app.pk).count() == 1
    assert qs.count() == len(set(qs.values_list("pk", flat=True)))


# --- get_ticket_for --------------------------------------------------------------------------


def test_get_ticket_for_returns_a_visible_ticket_by_number(personas, world):
    number = world.alice_app.pk
    assert get_ticket_for(personas.alice, number) == world.alice_app
    assert get_ticket_for(personas.alice, str(number)) == world.alice_app
    assert get_ticket_for(personas.alice, f"#{number}") == world.alice_app


def test_an_invisible_ticket_answers_like_a_missing_one(personas, world):
    invisible = world.alice_app.pk
    missing = Ticket.objects.order_by("-pk").values_list("pk", flat=True)[0] + 1

    with pytest.raises(NotFound) as hidden:
        get_ticket_for(personas.bob, invisible)
    with pytest.raises(NotFound) as absent:
        get_ticket_for(personas.bob, missing)

    assert hidden.value.message == f"Ticket #{invisible} does not exist."
    assert absent.value.message == f"Ticket #{missing} does not exist."
    assert hidden.value.status_code == absent.value.status_code == 404
    assert hidden.value.field == absent.value.field is None


@pytest.mark.parametrize("number", ["abc", "0", "-3", "", "#", str(2**63), "9" * 30])
def test_a_malformed_number_is_not_found(personas, world, number):
    with pytest.raises(NotFound):
        get_ticket_for(personas.max, number)


@pytest.mark.parametrize(
    ("who", "ticket", "seen"),
    [
        ("tom", "alice_net", False),
        ("nina", "alice_app", False),
        ("olivia", "closed_by_max", False),
        ("olivia", "closed_by_olivia", True),
        ("alice", "bob_app", False),
        ("bob", "closed_by_max", True),
    ],
)
def test_get_ticket_for_follows_visible_tickets(personas, world, who, ticket, seen):
    number = getattr(world, ticket).pk
    if seen:
        assert get_ticket_for(personas.by_role(who), number).pk == number
    else:
        with pytest.raises(NotFound):
            get_ticket_for(personas.by_role(who), number)


# --- can(): what each persona may do to an active ticket of appdev requested by alice --------

ACTIONS = ["reply", "note", "change_status", "close", "reopen", "reroute", "take", "assign",
           "edit", "log_time", "attach", "watchers"]  # fmt: skip
CAN = {
    #          reply note status close reopen reroute take assign edit time attach watchers
    "alice":  (1,    0,   0,     0,    0,     0,      0,   0,     0,   0,   1,     0),
    "bob":    (0,    0,   0,     0,    0,     0,      0,   0,     0,   0,   0,     0),
    "olivia": (1,    1,   0,     0,    0,     1,      0,   0,     1,   0,   1,     1),
    "tom":    (1,    1,   1,     1,    1,     1,      1,   1,     1,   1,   1,     1),
    "nina":   (1,    1,   1,     1,    1,     1,      0,   0,     1,   1,   1,     1),
    "max":    (1,    1,   1,     1,    1,     1,      1,   1,     1,   1,   1,     1),
    "ada":    (1,    1,   1,     1,    1,     1,      1,   1,     1,   1,   1,     1),
}  # fmt: skip


@pytest.mark.parametrize("who", sorted(CAN))
def test_what_a_role_may_whatever_the_ticket_is_what_it_may_on_each(personas, make_ticket, who):
    # role_may answers before the ticket is read (the ticket page's reads ahead).
    user = personas.by_role(who)
    tickets = [make_ticket(), make_ticket(service=personas.network, application=personas.router)]
    for action in (Action.READ_INTERNAL, Action.LOG_TIME):
        assert {can(user, action, t) for t in tickets} == {role_may(user, action)}, action
    with pytest.raises(ValueError, match="depends on the ticket"):
        role_may(user, Action.TAKE)


@pytest.mark.parametrize("who", sorted(CAN))
def test_what_each_persona_may_do(personas, make_ticket, who):
    ticket = make_ticket()
    user = personas.by_role(who)
    allowed = {a: can(user, a, ticket) for a in ACTIONS}
    assert allowed == {a: bool(v) for a, v in zip(ACTIONS, CAN[who], strict=True)}


def test_on_a_closed_ticket_the_requester_may_no_longer_reply_or_attach(personas, make_ticket):
    ticket = make_ticket()
    move(ticket, "closed", actor=personas.tom)
    ticket.refresh_from_db()
    assert not can(personas.alice, Action.REPLY, ticket)
    assert not can(personas.alice, Action.ATTACH, ticket)
    assert not can(personas.tom, Action.REROUTE, ticket)
    assert can(personas.tom, Action.REOPEN, ticket)
    assert not can(personas.olivia, Action.REOPEN, ticket)


@pytest.mark.parametrize("who", ["alice", "bob", "olivia", "tom", "nina", "max", "ada"])
def test_visible_active_is_visible_tickets_narrowed_for_every_slice(personas, world, who):
    # The queue, My tickets and New and unowned skip the visibility condition where the role
    # sees the whole slice; the rows must be exactly those of the full condition.
    from osit.tickets.choices import Status
    from osit.tickets.policy import visible_active

    user = personas.by_role(who)
    take(world.bob_net, actor=personas.nina, channel="web")
    add_watcher(world.alice_net, actor=personas.max, channel="web", user=personas.tom, kind="cc")
    services = [personas.appdev.pk, personas.network.pk]
    slices = [
        {},
        {"service_ids": [services[0]]},
        {"service_ids": [services[1]]},
        {"service_ids": services},
        {"service_ids": []},
        {"owner_id": user.pk},
        {"owner_id": personas.nina.pk},
        {"service_ids": [services[1]], "owner_id": personas.nina.pk},
        {"statuses": ["new", "open"]},
        {"statuses": ["new"], "service_ids": [services[0]]},
    ]
    for narrowing in slices:
        expected = visible_tickets(user).exclude(status=Status.CLOSED)
        if "service_ids" in narrowing:
            expected = expected.filter(service_id__in=narrowing["service_ids"])
        if "owner_id" in narrowing:
            expected = expected.filter(owner_id=narrowing["owner_id"])
        if "statuses" in narrowing:
            expected = expected.filter(status__in=narrowing["statuses"])
        got = visible_active(user, **narrowing)
        assert set(got.values_list("pk", flat=True)) == set(
            expected.values_list("pk", flat=True)
        ), narrowing


@pytest.mark.parametrize("who", ["alice", "bob", "olivia", "tom", "nina", "max", "ada"])
def test_sees_by_role_never_vouches_for_an_invisible_ticket(personas, world, who, fresh_user):
    # get_ticket_for and links_of trust sees_by_role without a query; it must never say yes to
    # a ticket visible_tickets leaves out, and get_ticket_for must answer exactly as
    # visible_tickets does, through links (watcher, co-requester) and sharing too.
    from osit.tickets.policy import sees_by_role

    take(world.bob_net, actor=personas.nina, channel="web")
    add_watcher(world.alice_net, actor=personas.max, channel="web", user=personas.tom, kind="cc")
    world.bob_app.extra_requesters.add(personas.alice)
    personas.bob.organisation.share_tickets = True
    personas.bob.organisation.save()
    user = fresh_user(personas.by_role(who))
    visible = _visible(user)
    vouched = 0
    for name in ALL:
        ticket = Ticket.objects.get(pk=getattr(world, name).pk)
        if sees_by_role(user, ticket):
            vouched += 1
            assert ticket.pk in visible, name
        if ticket.pk in visible:
            assert get_ticket_for(fresh_user(user), ticket.pk).pk == ticket.pk, name
        else:
            with pytest.raises(NotFound):
                get_ticket_for(fresh_user(user), ticket.pk)
    # Each persona sees some tickets by role alone (requesters: their own).
    assert vouched > 0


def test_visible_active_refuses_the_closed_status(personas):
    from osit.tickets.policy import visible_active

    with pytest.raises(ValueError, match="active statuses"):
        visible_active(personas.max, statuses=["closed"])


def test_roles_and_services_of_a_user_cost_one_query(personas, django_assert_num_queries):
    from osit.directory.models import User

    tom = User.objects.get(pk=personas.tom.pk)
    with django_assert_num_queries(1):
        assert "technician" in tom.role_names
        assert tom.service_ids == frozenset({personas.appdev.pk})
    superuser = User.objects.create_superuser("root", "root@example.org", "x" * 12)
    assert "admin" in superuser.role_names and superuser.service_ids == frozenset()
