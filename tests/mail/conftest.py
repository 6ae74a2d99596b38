"""Mail test helpers: a real SMTP sink (aiosmtpd) on a free port, and message builders."""

from __future__ import annotations

import email
import logging
import os
import socket
from email import policy
from pathlib import Path

import pytest

from tests.api.conftest import api_as  # noqa: F401 — fixtures of other areas
from tests.web.conftest import login_as  # noqa: F401


def _corpus() -> Path:
    """``OSIT_TEST_CORPUS``, else ``../shared/corpus`` beside the checkout, else the workplace's
    ``/work/shared/corpus`` (a clean clone elsewhere still finds it)."""
    explicit = os.environ.get("OSIT_TEST_CORPUS")
    if explicit:
        return Path(explicit)
    beside = Path(__file__).resolve().parents[2].parent / "shared" / "corpus"
    if beside.is_dir():
        return beside
    return Path("/work/shared/corpus")


CORPUS = _corpus()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Sink:
    """Collects what an SMTP client sends it: ``messages`` are parsed EmailMessage objects."""

    def __init__(self) -> None:
        self.messages: list = []
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


@pytest.fixture
def smtp_sink(settings):
    from aiosmtpd.controller import Controller

    # aiosmtpd's thread logs each connection's end at INFO, sometimes after pytest has closed
    # the test's log capture ("--- Logging error ---" in the output): only its warnings matter.
    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = Sink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    settings.OSIT_SMTP_HOST, settings.OSIT_SMTP_PORT = "127.0.0.1", port
    yield sink
    controller.stop()


@pytest.fixture
def corpus():
    if not CORPUS.is_dir():
        if os.environ.get("OSIT_REQUIRE_CORPUS"):
            pytest.fail(f"the shared corpus is absent ({CORPUS}); set OSIT_TEST_CORPUS")
        pytest.skip(f"the shared corpus is absent ({CORPUS}); CI has it")
    return CORPUS


def make_mail(
    sender="alice@osit.test",
    to="appdev@osit.test",
    subject="Payroll is down",
    body="Since 9:00 every login fails.",
    extra="",
    message_id="m1@client.test",
) -> bytes:
    return (
        f"From: Alice Test <{sender}>\r\nTo: {to}\r\nSubject: {subject}\r\n"
        f"Message-ID: <{message_id}>\r\nDate: Mon, 23 Nov 2026 09:00:00 +0100\r\n{extra}"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n"
    ).encode()
