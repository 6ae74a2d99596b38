"""`osit demo`: every status and role, a verifying history, idempotent."""

from __future__ import annotations

from django.contrib.auth.models import Group

from osit.audit.chain import verify
from osit.audit.models import Event
from osit.cli.main import main
from osit.demo import load
from osit.directory.choices import Role
from osit.tickets.choices import Status
from osit.tickets.models import Attachment, Ticket


def test_demo_covers_every_status_and_role_with_a_sound_history(db):
    result = load(tickets=120)

    assert result.created and result.tickets == 120
    statuses = set(Ticket.objects.values_list("status", flat=True))
    assert statuses == {s.value for s in Status}
    for role in Role:
        assert Group.objects.get(name=role.value).user_set.exists(), role
    assert Event.objects.filter(kind="rerouted").exists()
    assert Event.objects.filter(kind="time_logged").exists()
    assert Attachment.objects.exists()
    assert set(Ticket.objects.values_list("channel", flat=True)) >= {"phone", "email", "web"}
    checked, problems = verify()
    assert checked > 500 and problems == []


def test_demo_twice_changes_nothing(db):
    load(tickets=20)
    counts = (Ticket.objects.count(), Event.objects.count())
    again = load(tickets=20)
    assert not again.created
    assert (Ticket.objects.count(), Event.objects.count()) == counts


def test_demo_command_prints_how_to_log_in(db, capsys, monkeypatch):
    monkeypatch.setattr("osit.cli.demo.require_initialised", lambda: None)
    assert main(["demo", "--tickets", "5"]) == 0
    out = capsys.readouterr().out
    assert "Demo data loaded: 5 tickets" in out
    assert "operator       call-centre operator" in out
    assert main(["demo", "--tickets", "5"]) == 0
    assert "Demo data already loaded" in capsys.readouterr().out
