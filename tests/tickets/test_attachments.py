"""Attachments: stored on disk with their digest, all-or-nothing, internal with internal notes, and
fetched only through the policy."""

from __future__ import annotations

import hashlib
import io
from pathlib import Path

import pytest

from osit.audit.models import Event
from osit.core.errors import Forbidden, InvalidInput, NotFound
from osit.tickets.actions import Upload, add_attachments, add_comment, create_ticket
from osit.tickets.models import Attachment, Comment, Ticket
from osit.tickets.policy import get_attachment_for

from .util import last_event, move, snapshot

MB = 1024 * 1024


def _files(settings) -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_attachment_is_stored_under_media_root_with_its_digest(personas, make_ticket, settings):
    content = b"2024-03-04 08:12:01 ERROR pool exhausted\n" * 10
    ticket = make_ticket(uploads=[Upload(name="server-log.txt", content=content)])

    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "server-log.txt"
    assert attachment.size == len(content)
    assert attachment.sha256 == hashlib.sha256(content).hexdigest()
    assert attachment.content_type == "text/plain"  # guessed from the name
    assert (attachment.uploaded_by, attachment.internal, attachment.comment) == (
        personas.olivia,
        False,
        None,
    )
    path = Path(attachment.file.path)
    assert path.is_relative_to(Path(settings.MEDIA_ROOT))
    assert path.read_bytes() == content
    assert _files(settings) == [path]
    event = last_event(ticket)
    assert (event.kind, event.data["filename"], event.data["sha256"], event.data["size"]) == (
        "attachment_added",
        "server-log.txt",
        attachment.sha256,
        len(content),
    )


def test_a_file_object_upload_and_a_hostile_name(personas, make_ticket, settings):
    ticket = make_ticket()
    add_attachments(
        ticket,
        actor=personas.alice,
        channel="web",
        uploads=[Upload(name="../../etc/passwd", content=io.BytesIO(b"root:x:0:0"))],
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert attachment.filename == "passwd"
    assert attachment.content_type == "application/octet-stream"
    assert Path(attachment.file.path).is_relative_to(Path(settings.MEDIA_ROOT))
    assert Path(attachment.file.path).read_bytes() == b"root:x:0:0"


def test_the_same_file_twice_keeps_two_copies(personas, make_ticket, settings):
    ticket = make_ticket()
    for _ in range(2):
        add_attachments(
            ticket, actor=personas.tom, channel="web", uploads=[Upload("a.txt", b"same")]
        )
    paths = {Path(a.file.path) for a in Attachment.objects.filter(ticket=ticket)}
    assert len(paths) == 2
    assert all(p.read_bytes() == b"same" for p in paths)


@pytest.mark.parametrize("as_file", [False, True], ids=["bytes", "file"])
def test_an_oversized_attachment_at_creation_leaves_nothing_behind(personas, settings, as_file):
    settings.OSIT_MAX_ATTACHMENT_BYTES = MB
    big = b"x" * (MB + 1)
    events = Event.objects.count()

    with pytest.raises(InvalidInput) as exc:
        create_ticket(
            actor=personas.olivia,
            channel="phone",
            requester=personas.alice,
            subject="Screenshots",
            service=personas.appdev,
            uploads=[
                Upload("small.png", b"\x89PNG small"),
                Upload("big.bin", io.BytesIO(big) if as_file else big),
            ],
        )

    assert exc.value.field == "attachment"
    assert exc.value.message == "big.bin is larger than the 1 MB limit for attachments."
    assert Ticket.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert Event.objects.count() == events
    assert _files(settings) == []  # the small file written first is gone too


def test_an_oversized_attachment_on_a_comment_leaves_nothing_behind(
    personas, make_ticket, settings
):
    settings.OSIT_MAX_ATTACHMENT_BYTES = MB
    ticket = make_ticket()
    before = snapshot(ticket)

    with pytest.raises(InvalidInput) as exc:
        add_comment(
            ticket,
            actor=personas.tom,
            channel="web",
            body="Here is the dump.",
            time_spent_minutes=20,
            uploads=[Upload("ok.txt", b"ok"), Upload("core.dump", b"\0" * (MB + 1))],
        )

    assert exc.value.field == "attachment"
    assert snapshot(ticket) == before
    assert Comment.objects.count() == 0
    assert _files(settings) == []


def test_a_file_exactly_at_the_limit_is_accepted(personas, make_ticket, settings):
    settings.OSIT_MAX_ATTACHMENT_BYTES = MB
    ticket = make_ticket(uploads=[Upload("limit.bin", b"y" * MB)])
    assert Attachment.objects.get(ticket=ticket).size == MB


def test_an_internal_notes_attachment_is_internal(personas, make_ticket):
    ticket = make_ticket()
    note = add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Credentials dump, do not share.",
        visibility="internal",
        uploads=[Upload("creds.txt", b"secret")],
    )
    attachment = Attachment.objects.get(ticket=ticket)
    assert (attachment.internal, attachment.comment) == (True, note)
    assert last_event(ticket).internal is True


def test_who_may_fetch_which_attachment(personas, make_ticket, fresh_user):
    ticket = make_ticket(uploads=[Upload("screenshot.png", b"png")])
    public = Attachment.objects.get(ticket=ticket)
    add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="internal",
        visibility="internal",
        uploads=[Upload("creds.txt", b"secret")],
    )
    internal = Attachment.objects.get(ticket=ticket, internal=True)

    assert get_attachment_for(personas.alice, public.pk) == public
    for agent in ("olivia", "tom", "max", "ada"):
        assert get_attachment_for(personas.by_role(agent), internal.pk) == internal

    with pytest.raises(NotFound) as exc:
        get_attachment_for(personas.alice, internal.pk)
    assert exc.value.message == f"Attachment {internal.pk} does not exist."
    for attachment in (public, internal):
        with pytest.raises(NotFound) as exc2:
            get_attachment_for(personas.bob, attachment.pk)
        assert exc2.value.message == f"Attachment {attachment.pk} does not exist."
        with pytest.raises(NotFound):
            get_attachment_for(personas.nina, attachment.pk)  # not her service
    with pytest.raises(NotFound) as exc3:
        get_attachment_for(personas.max, 999999)
    assert exc3.value.message == "Attachment 999999 does not exist."


def test_a_requester_attaches_to_an_open_ticket_but_not_a_closed_one(personas, make_ticket):
    ticket = make_ticket()
    add_attachments(ticket, actor=personas.alice, channel="web", uploads=[Upload("a.txt", b"a")])
    move(ticket, "closed", actor=personas.tom)
    with pytest.raises(Forbidden) as exc:
        add_attachments(
            ticket, actor=personas.alice, channel="web", uploads=[Upload("b.txt", b"b")]
        )
    assert exc.value.message == "You may not attach files to this ticket."
    assert Attachment.objects.filter(ticket=ticket).count() == 1


def test_attaching_nothing_is_refused(personas, make_ticket):
    ticket = make_ticket()
    with pytest.raises(InvalidInput) as exc:
        add_attachments(ticket, actor=personas.tom, channel="web", uploads=[])
    assert (exc.value.field, exc.value.message) == ("attachment", "Choose a file to attach.")
