"""Operating the channel: the quarantine and the outbox in the admin site and on the command
line, and the jobs that deliver mail and purge old idempotency keys."""

from __future__ import annotations

import pytest

from osit.cli.main import main
from osit.jobs.registry import JOBS
from osit.mail import pipeline
from osit.mail.models import InboundMessage, OutboundMail
from tests.mail.conftest import make_mail

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _initialised(monkeypatch):
    # The commands check that `osit init` ran; the test database is migrated already.
    monkeypatch.setenv("OSIT_SECRET_KEY", "test-" * 10)


@pytest.fixture
def quarantined(personas):
    from unittest import mock

    failing = mock.patch.object(
        pipeline.actions, "create_ticket", side_effect=RuntimeError("disk full")
    )
    with failing:
        return pipeline.ingest(make_mail(), source="mailgate")


def test_the_quarantine_on_the_command_line(quarantined, capsys):
    assert main(["mail", "quarantine"]) == 0
    out = capsys.readouterr().out
    assert f"{quarantined.pk}\t" in out and "Payroll is down" in out and "disk full" in out
    assert main(["mail", "retry", str(quarantined.pk)]) == 0
    assert capsys.readouterr().out.startswith("applied #")
    assert main(["mail", "quarantine"]) == 0
    assert "The quarantine is empty." in capsys.readouterr().out
    assert main(["mail", "retry", "999999"]) == 1
    assert "There is no received message 999999." in capsys.readouterr().err


def test_the_quarantine_and_the_outbox_in_the_admin_site(quarantined, client, personas):
    personas.ada.is_superuser = True
    personas.ada.save()
    client.force_login(personas.ada)
    page = client.get("/admin/mail/inboundmessage/?status__exact=quarantined").content.decode()
    assert "Payroll is down" in page
    response = client.post(
        "/admin/mail/inboundmessage/",
        {"action": "retry", "_selected_action": [quarantined.pk]},
        follow=True,
    )
    assert "1 message(s) applied." in response.content.decode()
    assert InboundMessage.objects.get(pk=quarantined.pk).status == "applied"
    outbox = client.get("/admin/mail/outboundmail/").content.decode()
    assert "acknowledgement" in outbox


def test_the_outbox_on_the_command_line_and_the_delivery_job(
    personas, make_ticket, capsys, smtp_sink
):
    make_ticket()
    assert main(["mail", "outbox"]) == 0
    assert "acknowledgement\talice@osit.test" in capsys.readouterr().out
    assert JOBS["deliver_outbox"].run() == "sent 1 mail(s)"
    assert OutboundMail.objects.get().status == "sent"
    assert main(["mail", "outbox"]) == 0
    assert "The outbox is empty." in capsys.readouterr().out


def test_old_idempotency_keys_are_purged(api_as, personas):
    from datetime import timedelta

    from django.utils import timezone

    from osit.api.models import IdempotencyKey

    api_as("olivia").post(
        "/tickets",
        {"subject": "x", "service": "appdev", "requester": "alice"},
        headers={"Idempotency-Key": "k"},
    )
    assert JOBS["purge_idempotency_keys"].run() == ""
    IdempotencyKey.objects.update(created_at=timezone.now() - timedelta(hours=25))
    assert JOBS["purge_idempotency_keys"].run() == "purged 1 idempotency key(s)"
