"""IMAP polling (imap-tools): each configured mailbox is read, each message goes through the
pipeline, then is moved to a folder (``OSIT-processed`` by default) so it is never read twice.

``OSIT_IMAP_MAILBOXES``: one or more URLs separated by spaces,
``imap[s]://USER:PASSWORD@HOST[:PORT]/FOLDER?service=SLUG&action=comment&done=FOLDER``.
"""

from __future__ import annotations

import logging
import urllib.parse
from dataclasses import dataclass
from email.policy import compat32

from django.conf import settings

log = logging.getLogger("osit.mail")


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    ssl: bool
    user: str
    password: str
    folder: str
    service: str
    action: str
    done: str


def mailboxes() -> list[Mailbox]:
    out = []
    for url in (settings.OSIT_IMAP_MAILBOXES or "").split():
        parts = urllib.parse.urlsplit(url)
        query = dict(urllib.parse.parse_qsl(parts.query))
        ssl = parts.scheme == "imaps"
        out.append(
            Mailbox(
                host=parts.hostname or "localhost",
                port=parts.port or (993 if ssl else 143),
                ssl=ssl,
                user=urllib.parse.unquote(parts.username or ""),
                password=urllib.parse.unquote(parts.password or ""),
                folder=urllib.parse.unquote(parts.path.lstrip("/")) or "INBOX",
                service=query.get("service", ""),
                action=query.get("action", "correspond"),
                done=query.get("done", "OSIT-processed"),
            )
        )
    return out


def poll(box: Mailbox) -> int:
    from imap_tools import MailBox, MailBoxUnencrypted

    from osit.directory.models import Service
    from osit.mail import pipeline

    service = Service.objects.filter(slug=box.service).first() if box.service else None
    cls = MailBox if box.ssl else MailBoxUnencrypted
    fetched = 0
    with cls(box.host, port=box.port).login(
        box.user, box.password, initial_folder=box.folder
    ) as mb:
        if not mb.folder.exists(box.done):
            mb.folder.create(box.done)
        for message in mb.fetch(mark_seen=False, bulk=20):
            # Stored first; only then is it moved out of the folder.
            stored = pipeline.store(
                message.obj.as_bytes(policy=compat32),
                source="imap",
                recipient=box.user,
                service=service,
                action=box.action,
            )
            mb.move(message.uid, box.done)
            pipeline.process(stored)
            fetched += 1
    return fetched


def poll_all() -> int:
    total = 0
    for box in mailboxes():
        try:
            total += poll(box)
        except Exception:
            log.exception("IMAP polling of %s@%s failed", box.user, box.host)
    return total
