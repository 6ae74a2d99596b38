"""Model → API dictionaries. Related objects are named by slug or username (SPEC §11)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.urls import reverse

from osit.audit.models import Event
from osit.tickets.models import Attachment, Comment, Ticket, Watcher

TICKET_RELATED = ("requester", "owner", "service", "application")


def tickets_for_output(queryset: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """``queryset`` with what ``ticket_out`` reads: one query for the rows, one for watchers."""
    return queryset.select_related(*TICKET_RELATED).prefetch_related(
        Prefetch("watchers", queryset=Watcher.objects.select_related("user").order_by("id"))
    )


def ticket_url(number: int) -> str:
    return reverse("api-v1:ticket_get", kwargs={"number": number})


def ticket_out(ticket: Ticket, *, watchers: Iterable[Watcher] | None = None) -> dict[str, Any]:
    """``watchers``: the ticket's watchers when the caller has them (none for a ticket it has just
    created); read from ``ticket.watchers`` (prefetched by ``tickets_for_output``) otherwise."""
    if watchers is None:
        watchers = ticket.watchers.all()
    return {
        "number": ticket.pk,
        "subject": ticket.subject,
        "description": ticket.description,
        "status": ticket.status,
        "service": ticket.service.slug if ticket.service_id else None,
        "application": ticket.application.slug if ticket.application_id else None,
        "requester": ticket.requester.username,
        "owner": ticket.owner.username if ticket.owner_id else None,
        "severity": ticket.severity,
        "criticality": ticket.criticality,
        "priority": ticket.priority,
        "priority_reason": ticket.priority_reason,
        "channel": ticket.channel,
        "type": ticket.type,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "due_at": ticket.due_at,
        "resolved_at": ticket.resolved_at,
        "closed_at": ticket.closed_at,
        "time_spent_minutes": ticket.time_spent_minutes,
        "comment_count": ticket.comment_count,
        "watchers": [{"username": w.user.username, "kind": w.kind} for w in watchers],
        "tags": list(ticket.tags or []),
        "version": ticket.version,
        "url": ticket_url(ticket.pk),
    }


def attachment_out(attachment: Attachment) -> dict[str, Any]:
    return {
        "id": attachment.pk,
        "filename": attachment.filename,
        "content_type": attachment.content_type,
        "size": attachment.size,
        "url": reverse("api-v1:attachment_get", kwargs={"attachment_id": attachment.pk}),
    }


def comments_for_output(queryset: QuerySet[Comment]) -> QuerySet[Comment]:
    return queryset.select_related("author").prefetch_related(
        Prefetch("attachments", queryset=Attachment.objects.order_by("id")),
        "time_entries",
    )


def comment_out(comment: Comment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": comment.author.username,
        "body": comment.body,
        "visibility": comment.visibility,
        "channel": comment.channel,
        "created_at": comment.created_at,
        "time_spent_minutes": sum(t.minutes for t in comment.time_entries.all()),
        "attachments": [attachment_out(a) for a in comment.attachments.all()],
    }


def event_out(event: Event) -> dict[str, Any]:
    return {
        "id": event.seq,
        "kind": event.kind,
        "actor": event.actor_label or None,
        "channel": event.channel,
        "created_at": event.created_at,
        "data": event.data,
    }
