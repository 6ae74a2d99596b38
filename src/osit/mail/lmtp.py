"""The LMTP listener (aiosmtpd): an MTA (Postfix ``virtual_transport = lmtp:…``) delivers each
message here; each recipient gets its own answer — 250 once the raw message is stored, 451 if it
could not be (the MTA keeps it and retries). Started by ``osit serve`` when ``OSIT_LMTP_PORT``
is set, or alone by ``osit lmtp``.
"""

from __future__ import annotations

import logging

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP
from asgiref.sync import sync_to_async

log = logging.getLogger("osit.mail")


class Handler:
    async def handle_DATA(self, server, session, envelope) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        answers = []
        for recipient in envelope.rcpt_tos:
            try:
                await sync_to_async(_deliver, thread_sensitive=False)(raw, recipient)
                answers.append("250 2.0.0 stored")
            except Exception as exc:
                log.exception("LMTP delivery to %s failed", recipient)
                answers.append(f"451 4.3.0 temporary failure: {type(exc).__name__}")
        return "\r\n".join(answers)


def _deliver(raw: bytes, recipient: str) -> None:
    from django.db import close_old_connections

    from osit.mail import pipeline

    close_old_connections()
    try:
        message = pipeline.store(raw, source="lmtp", recipient=recipient)
    finally:
        close_old_connections()
    # Stored: whatever processing does now, the message is safe (quarantined on failure).
    pipeline.process(message)
    close_old_connections()


class LMTPController(Controller):
    def factory(self):
        return LMTP(self.handler, enable_SMTPUTF8=True, decode_data=False)


def start(host: str, port: int) -> LMTPController:
    controller = LMTPController(Handler(), hostname=host, port=port)
    controller.start()
    log.info("LMTP listener on %s:%s", host, port)
    return controller
