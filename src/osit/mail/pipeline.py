"""Mail in: one pipeline for ``osit mailgate``, the LMTP listener and IMAP polling.

1. ``store`` writes the raw bytes (and nothing else) in their own transaction: once it returns,
   the message cannot be lost. If the database is down it raises, and mailgate exits 75 so the
   MTA keeps the message and retries.
2. ``process`` parses, recognises robots, finds the ticket (subject tag, then In-Reply-To /
   References against the Message-IDs OSIT has seen or sent), checks that the sender takes part
   in it, and calls the ticket actions. Any failure quarantines the message with its error;
   ``retry`` processes it again once fixed. The same Message-ID is never applied twice.
"""

from __future__ import annotations

import hashlib
import logging
import re
import traceback

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from osit.directory.models import Service, User
from osit.mail import outbox
from osit.mail.models import InboundMessage, InboundStatus, MessageRef
from osit.mail.parse import ParsedMessage, parse_message
from osit.mail.robots import Robot, classify
from osit.tickets import actions
from osit.tickets.choices import Channel, Status, Visibility
from osit.tickets.models import Ticket
from osit.tickets.policy import Action, can, is_agent, visible_tickets

log = logging.getLogger("osit.mail")
CORRESPOND, COMMENT = "correspond", "comment"


def store(
    raw: bytes,
    *,
    source: str,
    recipient: str = "",
    service: Service | None = None,
    action: str = CORRESPOND,
) -> InboundMessage:
    """Keep the raw message; returns the row. Nothing is parsed yet beyond two header lines."""
    head = raw[:65536].split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    message_id = ""
    match = re.search(rb"^message-id:\s*<([^>\s]{1,250})>", head, re.I | re.M)
    if match:
        message_id = match.group(1).decode("utf-8", "replace")
    with transaction.atomic():
        return InboundMessage.objects.create(
            received_at=timezone.now(),
            source=source,
            recipient=recipient[:254],
            service=service,
            action=action,
            raw=bytes(raw),
            size=len(raw),
            sha256=hashlib.sha256(raw).hexdigest(),
            message_id=message_id,
        )


def ingest(raw: bytes, **kwargs) -> InboundMessage:
    return process(store(raw, **kwargs))


def retry(message_id: int) -> InboundMessage:
    msg = InboundMessage.objects.get(pk=message_id)
    return process(msg)


# --- processing -----------------------------------------------------------------------------


def process(msg: InboundMessage) -> InboundMessage:
    """Apply ``msg``; never raises (a failure quarantines it)."""
    msg.attempts += 1
    try:
        parsed = parse_message(
            bytes(msg.raw), max_attachment_bytes=settings.OSIT_MAX_ATTACHMENT_BYTES
        )
        msg.sender = parsed.from_email[:254]
        msg.subject = parsed.subject[:250]
        if parsed.message_id:
            msg.message_id = parsed.message_id[:255]
        token = outbox.replying_to.set(parsed.message_id or None)
        try:
            with transaction.atomic():
                _apply(msg, parsed)
        finally:
            outbox.replying_to.reset(token)
        msg.error = ""
    except Exception as exc:
        msg.status = InboundStatus.QUARANTINED
        msg.error = "".join(traceback.format_exception_only(type(exc), exc)).strip()[:4000]
        log.warning("mail %s quarantined: %s", msg.pk, msg.error)
    msg.processed_at = timezone.now()
    msg.save()
    return msg


def _already_applied(msg: InboundMessage) -> bool:
    if not msg.message_id:
        return False
    return (
        InboundMessage.objects.filter(
            message_id=msg.message_id,
            status__in=[InboundStatus.APPLIED, InboundStatus.RECORDED, InboundStatus.REFUSED],
        )
        .exclude(pk=msg.pk)
        .exists()
    )


def _service_for(msg: InboundMessage, parsed: ParsedMessage) -> tuple[Service | None, str]:
    if msg.service_id:
        return msg.service, msg.action
    addresses = [msg.recipient.lower(), *parsed.to, *parsed.cc]
    addresses = [a for a in addresses if a]
    if addresses:
        for service in Service.objects.filter(
            Q(email__in=addresses) | Q(comment_email__in=addresses)
        ):
            if service.comment_email and service.comment_email.lower() in addresses:
                return service, COMMENT
            return service, msg.action
        lowered = {a.lower() for a in addresses}
        for service in Service.objects.exclude(email="", comment_email=""):
            if service.comment_email.lower() in lowered:
                return service, COMMENT
            if service.email.lower() in lowered:
                return service, msg.action
    default = settings.OSIT_MAIL_DEFAULT_SERVICE
    if default:
        return Service.objects.filter(slug=default).first(), msg.action
    return None, msg.action


def _tagged_ticket(subject: str) -> int | None:
    prefix = re.escape(settings.OSIT_TICKET_PREFIX)
    match = re.search(rf"\[{prefix}\s*#\s*(\d{{1,12}})\]", subject or "", re.I)
    return int(match.group(1)) if match else None


def _threaded_ticket(parsed: ParsedMessage) -> Ticket | None:
    ids = [*parsed.in_reply_to, *reversed(parsed.references)]
    if not ids:
        return None
    ref = MessageRef.objects.filter(message_id__in=ids).select_related("ticket").first()
    if ref is not None:
        return ref.ticket
    for mid in ids:  # our thread ids: ticket-123@domain
        match = re.fullmatch(r"ticket-(\d{1,12})@(.+)", mid)
        if match and match.group(2) == settings.OSIT_MAIL_DOMAIN:
            return Ticket.objects.filter(pk=int(match.group(1))).first()
    return None


def _survivor(ticket: Ticket) -> Ticket:
    for _hop in range(5):
        if ticket.merged_into_id is None:
            break
        ticket = ticket.merged_into
    return ticket


UNKNOWN_SENDER = "mail-unknown-sender"
_ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def _usable(address: str) -> bool:
    return bool(address) and bool(_ADDRESS.match(address))


def _sender(parsed: ParsedMessage, service: Service | None) -> User | None:
    """The person who wrote: a known user, a new requester, or None when refused.

    A From nobody can answer (``@example.com``, ``xxxxx@xxxxx``) falls back to Reply-To, then to
    a shared "unknown sender" requester so the message still becomes a ticket the desk sees.
    """
    candidates = [parsed.from_email, *parsed.reply_to]
    address = next((a for a in candidates if _usable(a)), "")
    if address:
        user = User.objects.filter(email__iexact=address, is_active=True).order_by("id").first()
        if user is not None:
            return user
    if service is not None and not service.accept_unknown_senders:
        return None
    from osit.directory.actions import create_user

    if not address:
        user = User.objects.filter(username=UNKNOWN_SENDER).first()
        if user is None:
            user = create_user(
                actor=None,
                channel=Channel.EMAIL,
                username=UNKNOWN_SENDER,
                email="",
                roles=["requester"],
                first_name=_("Unknown"),
                last_name=_("sender"),
            )
        return user
    base = re.sub(r"[^a-z0-9._-]", "", address.split("@")[0].lower())[:100] or "requester"
    username, n = base, 1
    while User.objects.filter(username=username).exists():
        n += 1
        username = f"{base}{n}"
    first, _sep, last = (parsed.from_name or "").partition(" ")
    return create_user(
        actor=None,
        channel=Channel.EMAIL,
        username=username,
        email=address,
        roles=["requester"],
        first_name=first[:150],
        last_name=last[:150],
        validate=False,
        check_email=False,
    )


def _participates(user: User, ticket: Ticket) -> bool:
    if ticket.requester_id == user.pk or ticket.extra_requesters.filter(pk=user.pk).exists():
        return True
    if ticket.watchers.filter(user=user).exists():
        return True
    return is_agent(user) and visible_tickets(user).filter(pk=ticket.pk).exists()


def _uploads(parsed: ParsedMessage) -> list[actions.Upload]:
    return [
        actions.Upload(a.filename[:255] or "attachment", a.content, a.content_type)
        for a in parsed.attachments
    ]


def _body(parsed: ParsedMessage) -> str:
    text = parsed.text.strip()
    if parsed.oversized:
        text += "\n\n" + _("(Attachments over the size limit were not kept: %(names)s)") % {
            "names": ", ".join(parsed.oversized)
        }
    return text or _("(no text)")


def _apply(msg: InboundMessage, parsed: ParsedMessage) -> None:
    if _already_applied(msg):
        msg.status = InboundStatus.DUPLICATE
        return
    service, action = _service_for(msg, parsed)
    robot = classify(parsed, own_addresses=outbox.own_addresses())
    ticket = None
    number = _tagged_ticket(parsed.subject)
    if number is not None:
        ticket = Ticket.objects.filter(pk=number).first()
    if ticket is None:
        ticket = _threaded_ticket(parsed)
    if ticket is not None:
        ticket = _survivor(ticket)
    if robot is not None:
        _record_robot(msg, parsed, robot, ticket)
        return
    user = _sender(parsed, service)
    if user is None:
        _refuse(msg, parsed, service)
        return
    if ticket is not None and _participates(user, ticket) and _may_reply(user, ticket, action):
        internal = action == COMMENT and can(user, Action.NOTE, ticket)
        comment = actions.add_comment(
            ticket,
            actor=user,
            channel=Channel.EMAIL,
            body=_body(parsed),
            visibility=Visibility.INTERNAL if internal else Visibility.PUBLIC,
            uploads=_uploads(parsed),
        )
        _done(msg, parsed, ticket, comment.pk)
        return
    # A new ticket: no tag, or a tag the sender has no part in (never shown that ticket).
    subject = parsed.subject
    if number is not None:
        subject = re.sub(r"\[[^\]]*#\s*\d+\]\s*", "", subject).strip() or subject
    new = actions.create_ticket(
        actor=user,
        channel=Channel.EMAIL,
        requester=user,
        subject=(subject or _("(no subject)"))[:250],
        description=_body(parsed),
        service=service,
        uploads=_uploads(parsed),
    )
    if ticket is not None:
        from osit.tickets.links import LinkKind, TicketLink

        TicketLink.objects.create(
            source=new,
            target=ticket,
            kind=LinkKind.REFERS_TO,
            created_by=actions.system_user(),
            created_at=timezone.now(),
        )
    _done(msg, parsed, new, None)


def _may_reply(user: User, ticket: Ticket, action: str) -> bool:
    if is_agent(user):
        return can(user, Action.NOTE if action == COMMENT else Action.REPLY, ticket)
    # A requester's mail to a closed ticket opens a new one (the portal says the same).
    return ticket.status != Status.CLOSED


def _done(
    msg: InboundMessage, parsed: ParsedMessage, ticket: Ticket, comment_id: int | None
) -> None:
    msg.status = InboundStatus.APPLIED
    msg.ticket = ticket
    msg.comment_id = comment_id
    if parsed.message_id:
        MessageRef.objects.get_or_create(
            message_id=parsed.message_id[:255], defaults={"ticket": ticket}
        )


def _record_robot(
    msg: InboundMessage, parsed: ParsedMessage, robot: Robot, ticket: Ticket | None
) -> None:
    """Note a robot's message on its ticket (internal, by the system): no answer, no reopening."""
    msg.status = InboundStatus.RECORDED
    msg.robot = robot.kind
    if ticket is None:
        return
    note = _("Automatic message from %(sender)s (%(kind)s: %(reason)s), not answered:") % {
        "sender": parsed.from_email or "?",
        "kind": robot.kind.replace("_", " "),
        "reason": robot.reason,
    }
    comment = actions.record_note(
        ticket, channel=Channel.EMAIL, body=f"{note}\n\n{parsed.subject}\n\n{parsed.text[:4000]}"
    )
    msg.ticket = ticket
    msg.comment_id = comment.pk


def _refuse(msg: InboundMessage, parsed: ParsedMessage, service: Service | None) -> None:
    """Unknown sender on a service that refuses them: answer once, politely, and record it."""
    msg.status = InboundStatus.REFUSED
    address = parsed.from_email
    if not address:
        return
    answered = InboundMessage.objects.filter(status=InboundStatus.REFUSED, sender=address).exclude(
        pk=msg.pk
    )
    if answered.exists():
        return
    outbox.queue(
        "refused",
        None,
        [address],
        context={"subject": parsed.subject, "service": service.name if service else "OSIT"},
        language=settings.OSIT_MAIL_LANGUAGE,
        auto_reply=True,
        in_reply_to=parsed.message_id or None,
    )
