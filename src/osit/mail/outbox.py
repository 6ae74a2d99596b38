"""Mail out: notifications written to the outbox in the transaction of the change, delivered by a
background job (embedded or Celery) with retries and back-off (SPEC §3 e-mail out).

Who gets what:
- creation: an acknowledgement with the number to the requester (``Auto-Submitted:
  auto-replied``), rate-limited per address so a broken robot cannot ping-pong;
- a public reply: requester, co-requesters and Cc; an internal note: owner and AdminCc only;
- a status change: requester (with the public observation comment) and owner; ``resolved`` asks
  the requester to confirm; a re-route: AdminCc and the previous owner;
- never the actor of the change, unless ``OSIT_MAIL_NOTIFY_ACTOR``; never a robot account.
Internal notes and their text never go to a requester or a Cc.
"""

from __future__ import annotations

import contextlib
import json
import smtplib
import uuid
from collections.abc import Iterable
from contextvars import ContextVar
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import QuerySet
from django.utils import timezone

from osit.mail import templates
from osit.mail.models import MessageRef, OutboundMail, OutboundStatus
from osit.tickets.choices import Status, Visibility, WatcherKind
from osit.tickets.models import Comment, Ticket, Watcher

MAX_BACKOFF = timedelta(hours=6)
# The Message-ID of the mail being processed, so that what it triggers answers it (threading).
replying_to: ContextVar[str | None] = ContextVar("replying_to", default=None)


def domain() -> str:
    return settings.OSIT_MAIL_DOMAIN


def thread_id(ticket: Ticket) -> str:
    """The Message-ID every mail of ``ticket`` refers to, so mail clients thread them."""
    return f"ticket-{ticket.pk}@{domain()}"


def tag(ticket: Ticket) -> str:
    return f"[{settings.OSIT_TICKET_PREFIX} #{ticket.pk}]"


def service_address(ticket: Ticket) -> str:
    if ticket.service_id and ticket.service.email:
        return ticket.service.email
    return settings.OSIT_MAIL_FROM


def own_addresses() -> set[str]:
    from osit.directory.models import Service

    found = {settings.OSIT_MAIL_FROM.lower()}
    for email_, comment in Service.objects.values_list("email", "comment_email"):
        found.update(a.lower() for a in (email_, comment) if a)
    return found


def _people(users: Iterable, actor) -> list[str]:
    out = []
    for user in users:
        if user is None or not user.is_active or not user.email:
            continue
        if user.pk == getattr(actor, "pk", None) and not settings.OSIT_MAIL_NOTIFY_ACTOR:
            continue
        if user.email.lower() not in (a.lower() for a in out):
            out.append(user.email)
    return out


def _language(users: Iterable) -> str:
    for user in users:
        if user is not None and getattr(user, "language", ""):
            return user.language
    return settings.OSIT_MAIL_LANGUAGE


def _as_element(address: str, connection: Any) -> str:
    """``address`` as it appears in the text of a JSON list of addresses, quotes included, so
    that a search for bob@x does not match jimbob@x or bob@x.org. PostgreSQL prints jsonb with
    its characters as they are; SQLite keeps Django's ``json.dumps`` text, with ``\\u`` escapes."""
    return json.dumps(address, ensure_ascii=connection.vendor != "postgresql")


def _recent_acknowledgements(since: datetime, address: str, limit: int) -> QuerySet[Any]:
    """The ids of (up to ``limit``) acknowledgements sent to ``address`` since ``since``."""
    connection = connections[router.db_for_read(OutboundMail)]
    return OutboundMail.objects.filter(
        event="acknowledgement",
        created_at__gte=since,
        to__icontains=_as_element(address, connection),
    ).values_list("id", flat=True)[:limit]


_PROBE_SINCE = datetime(2000, 1, 1, tzinfo=UTC)
_PROBE_ADDRESS = "probe@osit.invalid"


@lru_cache(maxsize=16)
def _recent_acknowledgements_sql(alias: str, limit: int) -> str | None:
    """The SQL of ``_recent_acknowledgements``, compiled once per database and limit (the ORM
    takes several times the query's own time to compose it, on every ticket created). None if
    its parameters are not the three values in the order ``_rate_limited`` passes them."""
    connection = connections[alias]
    query = _recent_acknowledgements(_PROBE_SINCE, _PROBE_ADDRESS, limit).query
    sql, params = query.get_compiler(alias).as_sql()
    if list(params) != _acknowledgement_params(connection, _PROBE_SINCE, _PROBE_ADDRESS):
        return None
    return str(sql)


def _acknowledgement_params(connection: Any, since: datetime, address: str) -> list[Any]:
    # As the ORM prepares them: the date for the column, the address escaped for LIKE.
    pattern = "%" + connection.ops.prep_for_like_query(_as_element(address, connection)) + "%"
    return [connection.ops.adapt_datetimefield_value(since), "acknowledgement", pattern]


def _rate_limited(address: str) -> bool:
    since = timezone.now() - timedelta(hours=1)
    limit = settings.OSIT_MAIL_AUTOREPLY_LIMIT
    # Read up to the limit only: the database stops at the limit-th match instead of counting
    # every acknowledgement an address that is already limited was (not) sent.
    alias = router.db_for_read(OutboundMail)
    sql = _recent_acknowledgements_sql(alias, limit)
    if sql is None:
        sent = len(_recent_acknowledgements(since, address, limit))
    else:
        connection = connections[alias]
        with connection.cursor() as cursor:
            cursor.execute(sql, _acknowledgement_params(connection, since, address))
            sent = len(cursor.fetchall())
    return sent >= limit


def queue(
    event: str,
    ticket: Ticket | None,
    to: list[str],
    *,
    context: dict,
    cc: Iterable[str] = (),
    language: str = "en",
    auto_reply: bool = False,
    in_reply_to: str | None = None,
) -> OutboundMail | None:
    """Render ``event`` and write it to the outbox (in the caller's transaction)."""
    to = [a for a in to if a]
    cc = [a for a in cc if a and a.lower() not in {t.lower() for t in to}]
    if not to and not cc:
        return None
    rendered = templates.render(event, language, context)
    now = timezone.now()
    message_id = f"osit-{uuid.uuid4().hex}@{domain()}"
    headers = {"X-Loop": settings.OSIT_MAIL_FROM, "X-OSIT-Loop": "1"}
    if auto_reply:
        headers["Auto-Submitted"] = "auto-replied"
    else:
        headers["Auto-Submitted"] = "auto-generated"
    references = []
    subject = rendered.subject
    sender = settings.OSIT_MAIL_FROM
    reply_to = ""
    if ticket is not None:
        references.append(thread_id(ticket))
        subject = f"{tag(ticket)} {subject}"
        reply_to = service_address(ticket)
        name = ticket.service.name if ticket.service_id else "OSIT"
        sender = formataddr((name, settings.OSIT_MAIL_FROM))
    in_reply_to = in_reply_to or replying_to.get()
    if in_reply_to and in_reply_to not in references:
        references.append(in_reply_to)
    if references:
        headers["References"] = " ".join(f"<{r}>" for r in references)
        headers["In-Reply-To"] = f"<{in_reply_to or references[0]}>"
    mail = OutboundMail.objects.create(
        created_at=now,
        ticket=ticket,
        event=event,
        language=language,
        sender=sender,
        reply_to=reply_to,
        to=to,
        cc=cc,
        subject=subject[:300],
        text=rendered.text,
        html=rendered.html,
        headers=headers,
        message_id=message_id,
        next_attempt_at=now,
    )
    if ticket is not None:
        # The Message-ID was made just above (a fresh UUID): nobody can have recorded it, so it
        # is inserted straight away rather than looked up first in a savepoint (get_or_create).
        MessageRef.objects.create(message_id=message_id, ticket=ticket, outgoing=True)
    return mail


def _context(ticket: Ticket, actor, comment: str = "", status: str = "") -> dict:
    return {
        "ticket": ticket,
        "number": ticket.pk,
        "subject": ticket.subject,
        "actor": actor.display_name if actor is not None else "OSIT",
        "comment": comment,
        "status": status,
        "service": ticket.service.name if ticket.service_id else "OSIT",
        "url": f"{settings.BASE_URL.rstrip('/')}/tickets/{ticket.pk}/",
        "days": settings.OSIT_AUTOCLOSE_DAYS,
    }


def _requesters(ticket: Ticket) -> list:
    return [ticket.requester, *ticket.extra_requesters.all()]


def _watchers(ticket: Ticket, kind: str) -> list:
    return [w.user for w in Watcher.objects.filter(ticket=ticket, kind=kind).select_related("user")]


# --- events (called by osit.tickets.notify inside the action's transaction) -----------------


def ticket_created(ticket: Ticket, *, actor, in_reply_to: str | None = None) -> None:
    requester = ticket.requester
    if not requester.email or _rate_limited(requester.email):
        return
    queue(
        "acknowledgement",
        ticket,
        [requester.email],
        context=_context(ticket, actor),
        language=_language([requester]),
        auto_reply=True,
        in_reply_to=in_reply_to,
    )


def commented(ticket: Ticket, *, actor, comment: Comment) -> None:
    if comment.visibility == Visibility.INTERNAL:
        people = [ticket.owner, *_watchers(ticket, WatcherKind.ADMINCC)]
        to = _people(people, actor)
        queue(
            "internal_note",
            ticket,
            to,
            context=_context(ticket, actor, comment.body),
            language=_language(people),
        )
        return
    requesters = _requesters(ticket)
    to = _people(requesters, actor)
    cc = _people(
        [*_watchers(ticket, WatcherKind.CC), *_watchers(ticket, WatcherKind.ADMINCC), ticket.owner],
        actor,
    )
    queue(
        "public_reply",
        ticket,
        to,
        cc=cc,
        context=_context(ticket, actor, comment.body),
        language=_language(requesters),
    )


def status_changed(ticket: Ticket, *, actor, old: str, new: str, comment: Comment | None) -> None:
    public = comment is not None and comment.visibility == Visibility.PUBLIC
    text = comment.body if public else ""
    status = str(ticket.get_status_display())
    requesters = _requesters(ticket)
    event = "resolved" if new == Status.RESOLVED else "status_changed"
    queue(
        event,
        ticket,
        _people(requesters, actor),
        context=_context(ticket, actor, text, status),
        language=_language(requesters),
    )
    owner = _people([ticket.owner], actor)
    if owner:
        queue(
            "status_changed",
            ticket,
            owner,
            context=_context(ticket, actor, comment.body if comment else "", status),
            language=_language([ticket.owner]),
        )


def rerouted(ticket: Ticket, *, actor, old_owner) -> None:
    people = [*_watchers(ticket, WatcherKind.ADMINCC), old_owner]
    queue(
        "rerouted",
        ticket,
        _people(people, actor),
        context=_context(ticket, actor),
        language=_language(people),
    )


# --- delivery -------------------------------------------------------------------------------


def _message(mail: OutboundMail) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = mail.sender
    msg["To"] = ", ".join(mail.to)
    if mail.cc:
        msg["Cc"] = ", ".join(mail.cc)
    if mail.reply_to:
        msg["Reply-To"] = mail.reply_to
    msg["Subject"] = mail.subject
    msg["Message-ID"] = f"<{mail.message_id}>"
    msg["Date"] = format_datetime(mail.created_at)
    for name, value in (mail.headers or {}).items():
        msg[name] = value
    msg.set_content(mail.text)
    if mail.html:
        msg.add_alternative(mail.html, subtype="html")
    return msg


def _backoff(attempts: int) -> timedelta:
    return min(timedelta(minutes=2 ** min(attempts, 10)), MAX_BACKOFF)


def deliver(*, batch_size: int = 50) -> int:
    """Send the due mail of the outbox; returns how many were sent. Safe with several workers:
    each row is claimed with SELECT … FOR UPDATE SKIP LOCKED."""
    sent = 0
    now = timezone.now()
    with transaction.atomic():
        due = list(
            OutboundMail.objects.select_for_update(skip_locked=True)
            .filter(status=OutboundStatus.PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "id")[:batch_size]
        )
        if not due:
            return 0
        try:
            smtp = _connect()
        except OSError as exc:
            for mail in due:
                _failed(mail, f"cannot connect to {settings.OSIT_SMTP_HOST}: {exc}", now)
            return 0
        try:
            for mail in due:
                try:
                    smtp.send_message(
                        _message(mail),
                        from_addr=settings.OSIT_MAIL_FROM,
                        to_addrs=[*mail.to, *mail.cc],
                    )
                except (smtplib.SMTPException, OSError) as exc:
                    _failed(mail, str(exc), now)
                    continue
                mail.status = OutboundStatus.SENT
                mail.sent_at = timezone.now()
                mail.attempts += 1
                mail.save(update_fields=["status", "sent_at", "attempts"])
                sent += 1
        finally:
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
    return sent


def _connect() -> smtplib.SMTP:
    host, port = settings.OSIT_SMTP_HOST, settings.OSIT_SMTP_PORT
    if settings.OSIT_SMTP_SSL:
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=30)
    else:
        smtp = smtplib.SMTP(host, port, timeout=30)
        if settings.OSIT_SMTP_STARTTLS:
            smtp.starttls()
    if settings.OSIT_SMTP_USER:
        smtp.login(settings.OSIT_SMTP_USER, settings.OSIT_SMTP_PASSWORD)
    return smtp


def _failed(mail: OutboundMail, error: str, now) -> None:
    mail.attempts += 1
    mail.last_error = error[:2000]
    mail.next_attempt_at = now + _backoff(mail.attempts)
    mail.save(update_fields=["attempts", "last_error", "next_attempt_at"])
