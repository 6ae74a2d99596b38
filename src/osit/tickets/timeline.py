"""The ticket's timeline: history events merged with the texts, files and time they refer to.

``build_timeline`` reads everything in a fixed number of queries (events, comments, attachments,
time entries, and the names of the users, services and applications the events mention) and
joins them in Python, so a ticket page costs the same whatever the length of its history.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from django.db.models import QuerySet, Value
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext_lazy

from osit.audit.models import Event
from osit.core.queries import Ahead, Reusable
from osit.directory.models import Application, Service, User, display_name
from osit.tickets import lifecycle
from osit.tickets.choices import Channel, Criticality, Severity, WatcherKind
from osit.tickets.models import Attachment, Comment, Ticket, TimeEntry

_FIELD_LABELS = {
    "subject": gettext_lazy("subject"),
    "severity": gettext_lazy("severity"),
    "criticality": gettext_lazy("criticality"),
    "application": gettext_lazy("application"),
    "priority": gettext_lazy("priority"),
    "tags": gettext_lazy("tags"),
}
_CHOICE_FIELDS = {"severity": Severity, "criticality": Criticality}


def format_minutes(minutes: int | None) -> str:
    """``95`` → ``1 h 35 min``; ``0`` → ``0 min``."""
    minutes = int(minutes or 0)
    hours, rest = divmod(minutes, 60)
    if hours and rest:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": rest}
    if hours:
        return _("%(h)d h") % {"h": hours}
    return _("%(m)d min") % {"m": rest}


@dataclass
class Entry:
    """One line of the timeline, oldest first. ``summary`` is plain text (escaped on render)."""

    kind: str
    at: datetime
    actor: str
    channel: str
    internal: bool
    summary: str
    detail: str = ""
    comment: Comment | None = None
    attachment: Attachment | None = None
    time_entry: TimeEntry | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def channel_label(self) -> str:
        try:
            return str(Channel(self.channel).label)
        except ValueError:
            return self.channel

    @property
    def css(self) -> str:
        if self.internal:
            return "internal"
        return "reply" if self.comment is not None else "event"


@dataclass
class _Names:
    """Display names of the objects that events name by username or slug."""

    users: dict[str, tuple[int, str]]
    services: dict[str, str]
    applications: dict[str, str]

    def user(self, username: str | None) -> str:
        if not username:
            return _("nobody")
        found = self.users.get(username)
        return found[1] if found else username

    def user_id(self, username: str | None) -> int | None:
        found = self.users.get(username or "")
        return found[0] if found else None

    def service(self, slug: str | None) -> str:
        if not slug:
            return _("no service")
        return self.services.get(slug, slug)

    def application(self, slug: str | None) -> str:
        if not slug:
            return _("none")
        return self.applications.get(slug, slug)


def _events(ticket_id: int, include_internal: bool) -> QuerySet[Event]:
    events = Event.objects.filter(ticket_id=ticket_id).only(
        "seq",
        "ticket_id",
        "kind",
        "data",
        "actor_id",
        "actor_label",
        "channel",
        "internal",
        "created_at",
    )
    return (events if include_internal else events.filter(internal=False)).order_by("seq")


def _comments(ticket_id: int, include_internal: bool) -> QuerySet[Comment]:
    comments = (
        Comment.objects.filter(ticket_id=ticket_id)
        .select_related("author")
        .only(
            "id",
            "body",
            "visibility",
            "channel",
            "created_at",
            "ticket_id",
            "author__username",
            "author__first_name",
            "author__last_name",
        )
    )
    return (comments if include_internal else comments.filter(visibility="public")).order_by("id")


def _attachments(ticket_id: int, include_internal: bool) -> QuerySet[Attachment]:
    attachments = (
        Attachment.objects.filter(ticket_id=ticket_id)
        .select_related("uploaded_by")
        .only(
            "id",
            "filename",
            "size",
            "content_type",
            "internal",
            "comment_id",
            "created_at",
            "ticket_id",
            "uploaded_by__username",
            "uploaded_by__first_name",
            "uploaded_by__last_name",
        )
    )
    return (attachments if include_internal else attachments.filter(internal=False)).order_by("id")


# A ticket page reads these for every view of every ticket: their SQL is composed once.
_QUERIES = {
    internal: tuple(
        Reusable(partial(build, include_internal=internal), int)
        for build in (_events, _comments, _attachments)
    )
    for internal in (True, False)
}
_TIME_ENTRIES = Reusable(
    lambda ticket_id: TimeEntry.objects.filter(ticket_id=ticket_id).select_related(
        "activity", "technician"
    ),
    int,
)


def timeline_reads(ticket_id: int, *, include_internal: bool) -> list[Ahead]:
    """The reads :func:`build_timeline` makes, for ``osit.core.queries.read_ahead``."""
    reads = [q.ahead(ticket_id) for q in _QUERIES[include_internal]]
    return [*reads, _TIME_ENTRIES.ahead(ticket_id)] if include_internal else reads


def build_timeline(ticket: Ticket, *, include_internal: bool) -> list[Entry]:
    """Every event of ``ticket`` oldest first, with the comment, file or time it refers to.

    Internal events, internal comments and internal files are left out unless
    ``include_internal`` (the caller checks ``Action.READ_INTERNAL``). Comments that no event
    refers to (written by older code or an import) still appear, at their own time; so do the
    comments, files and interventions that came with a merged ticket (their events stayed in
    the merged ticket's history).
    """
    events, comments, attachments = _QUERIES[include_internal]
    event_list = events.list(ticket.pk)
    comment_by_id = {c.pk: c for c in comments.list(ticket.pk)}
    attachment_by_id = {a.pk: a for a in attachments.list(ticket.pk)}
    time_by_id: dict[int, TimeEntry] = {}
    if include_internal:
        time_by_id = {t.pk: t for t in _TIME_ENTRIES.list(ticket.pk)}
    names = _names_for(event_list, _names_in_hand(ticket))

    entries: list[Entry] = []
    used_comments: set[int] = set()
    used_attachments: set[int] = set()
    used_times: set[int] = set()
    for event in event_list:
        entry = _entry(event, names, comment_by_id, attachment_by_id, time_by_id)
        if entry is None:
            continue
        if entry.comment is not None:
            used_comments.add(entry.comment.pk)
        if entry.attachment is not None:
            used_attachments.add(entry.attachment.pk)
        if entry.time_entry is not None:
            used_times.add(entry.time_entry.pk)
        entries.append(entry)
    entries += [_orphan_comment(c) for c in comment_by_id.values() if c.pk not in used_comments]
    entries += [
        _orphan_attachment(a) for a in attachment_by_id.values() if a.pk not in used_attachments
    ]
    entries += [_orphan_time(t) for t in time_by_id.values() if t.pk not in used_times]
    # Stable: events of the same instant keep their chain order.
    entries.sort(key=lambda e: e.at)
    return entries


def _names_in_hand(ticket: Ticket) -> _Names:
    """The names the ticket's already loaded relations give (its requester, owner, service and
    application): most histories name nothing else, and then need no query for names."""
    names = _Names(users={}, services={}, applications={})
    model = type(ticket)
    for relation in ("requester", "owner"):
        if getattr(model, relation).is_cached(ticket):
            person = getattr(ticket, relation)
            if person is not None and not person.get_deferred_fields() & {
                "first_name",
                "last_name",
            }:
                names.users[person.username] = (
                    person.pk,
                    display_name(person.username, person.first_name, person.last_name),
                )
    if model.service.is_cached(ticket) and ticket.service is not None:
        names.services[ticket.service.slug] = ticket.service.name
    if model.application.is_cached(ticket) and ticket.application is not None:
        names.applications[ticket.application.slug] = ticket.application.name
    return names


def _names_for(events: Iterable[Event], known: _Names) -> _Names:
    usernames: set[str] = set()
    services: set[str] = set()
    applications: set[str] = set()
    for event in events:
        data = event.data or {}
        if event.kind in ("owner_changed",):
            usernames.update(v for v in (data.get("old"), data.get("new")) if v)
        elif event.kind in ("watcher_added", "watcher_removed"):
            usernames.update(v for v in (data.get("user"),) if v)
        elif event.kind == "rerouted":
            services.update(v for v in (data.get("old"), data.get("new")) if v)
            if data.get("owner_cleared"):
                usernames.add(data["owner_cleared"])
        elif event.kind == "created":
            if data.get("service"):
                services.add(data["service"])
            if data.get("application"):
                applications.add(data["application"])
        elif event.kind == "field_changed" and data.get("field") == "application":
            applications.update(v for v in (data.get("old"), data.get("new")) if v)
    usernames -= known.users.keys()
    services -= known.services.keys()
    applications -= known.applications.keys()
    names = known
    if not (usernames or services or applications):
        return names
    # One query whatever the history holds (the impossible name "" keeps every part valid).
    people = (
        User.objects.filter(username__in=sorted(usernames) or [""])
        .order_by()
        .values_list(Value("u"), "username", "id", "first_name", "last_name")
    )
    units = (
        Service.objects.filter(slug__in=sorted(services) or [""])
        .order_by()
        .values_list(Value("s"), "slug", Value(0), "name", Value(""))
    )
    apps = (
        Application.objects.filter(slug__in=sorted(applications) or [""])
        .order_by()
        .values_list(Value("a"), "slug", Value(0), "name", Value(""))
    )
    for kind, key, pk, first, last in people.union(units, apps, all=True):
        if kind == "u":
            names.users[key] = (pk, display_name(key, first, last))
        elif kind == "s":
            names.services[key] = first
        else:
            names.applications[key] = first
    return names


def _status(value: str | None) -> str:
    return lifecycle.label(value) if value else "—"


def _value(field_name: str, value: Any, names: _Names) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field_name in _CHOICE_FIELDS:
        try:
            return str(_CHOICE_FIELDS[field_name](value).label)
        except ValueError:
            return str(value)
    if field_name == "application":
        return names.application(value)
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _watcher_kind(kind: str | None) -> str:
    try:
        return str(WatcherKind(kind or "").label)
    except ValueError:
        return kind or ""


def _summary(event: Event, names: _Names) -> tuple[str, str]:
    """What happened, in one line, and an optional second line (a reason)."""
    data = event.data or {}
    kind = event.kind
    old, new = data.get("old"), data.get("new")
    reason = data.get("reason") or ""
    match kind:
        case "created":
            return (
                _("created the ticket in %(service)s (application: %(application)s)")
                % {
                    "service": names.service(data.get("service")),
                    "application": names.application(data.get("application")),
                },
                "",
            )
        case "reply_added":
            return _("replied"), ""
        case "note_added":
            return _("added an internal note"), ""
        case "status_changed":
            return (
                _("changed the status from %(old)s to %(new)s")
                % {"old": _status(old), "new": _status(new)},
                reason,
            )
        case "enhancement_accepted":
            return _("accepted the enhancement request (now %(new)s)") % {"new": _status(new)}, ""
        case "enhancement_rejected":
            return _("rejected the enhancement request (now %(new)s)") % {"new": _status(new)}, ""
        case "confirmed":
            return _("confirmed that the problem is fixed (now %(new)s)") % {
                "new": _status(new)
            }, ""
        case "reopened_by_requester":
            return _("reopened the ticket: it is not fixed"), ""
        case "auto_closed":
            return _("closed the ticket automatically"), ""
        case "rerouted":
            text = _("re-routed the ticket from %(old)s to %(new)s") % {
                "old": names.service(old),
                "new": names.service(new),
            }
            cleared = data.get("owner_cleared")
            detail = (
                _("Owner %(owner)s removed.") % {"owner": names.user(cleared)} if cleared else ""
            )
            return text, detail
        case "owner_changed":
            if new and names.user_id(new) == event.actor_id:
                return _("took the ticket"), ""
            if not new:
                return _("removed the owner (was %(old)s)") % {"old": names.user(old)}, ""
            return _("gave the ticket to %(new)s") % {"new": names.user(new)}, ""
        case "field_changed":
            name = data.get("field", "")
            label = _FIELD_LABELS.get(name, name)
            return (
                _("changed the %(field)s from %(old)s to %(new)s")
                % {
                    "field": label,
                    "old": _value(name, old, names),
                    "new": _value(name, new, names),
                },
                "",
            )
        case "priority_overridden":
            return (
                _("set the priority to %(new)s (was %(old)s)") % {"new": new, "old": old},
                reason,
            )
        case "priority_reset":
            return (
                _("reset the priority to the computed value %(new)s (was %(old)s)")
                % {"new": new, "old": old},
                "",
            )
        case "time_logged":
            return _("reported an intervention of %(time)s") % {
                "time": format_minutes(data.get("minutes"))
            }, ""
        case "attachment_added":
            return _("attached a file"), ""
        case "watcher_added":
            return _("added %(user)s as %(kind)s") % {
                "user": names.user(data.get("user")),
                "kind": _watcher_kind(data.get("kind")),
            }, ""
        case "watcher_removed":
            return _("removed %(user)s from %(kind)s") % {
                "user": names.user(data.get("user")),
                "kind": _watcher_kind(data.get("kind")),
            }, ""
        case "link_added" | "link_removed":
            return _link_summary(event, data), ""
        case "merged" if "into" in data:
            return _("merged this ticket into #%(n)s") % {"n": data["into"]}, ""
        case "merged" | "merged_in":
            return _("merged #%(n)s into this ticket") % {
                "n": data.get("from", data.get("source"))
            }, _merge_detail(data)
        case "split":
            return _("split a comment into the new ticket #%(n)s") % {"n": data.get("new")}, ""
        case "split_from":
            return _("created this ticket from a comment of #%(n)s") % {"n": data.get("source")}, ""
        case "followed_master":
            return _("set to %(new)s with its master #%(n)s") % {
                "new": _status(new),
                "n": data.get("master"),
            }, ""
    return kind.replace("_", " "), ""


def _merge_detail(data: dict[str, Any]) -> str:
    """What the merged ticket brought, e.g. "Moved here: 3 comments, 1 file." """
    parts = []
    for key, text in (
        ("comments", ngettext_lazy("%(n)d comment", "%(n)d comments", "n")),
        ("attachments", ngettext_lazy("%(n)d file", "%(n)d files", "n")),
        ("time_entries", ngettext_lazy("%(n)d intervention", "%(n)d interventions", "n")),
        ("watchers", ngettext_lazy("%(n)d watcher", "%(n)d watchers", "n")),
        ("links", ngettext_lazy("%(n)d link", "%(n)d links", "n")),
    ):
        count = int(data.get(key) or 0)
        if count:
            parts.append(text % {"n": count})
    return _("Moved here: %(what)s.") % {"what": ", ".join(parts)} if parts else ""


def _link_summary(event: Event, data: dict[str, Any]) -> str:
    """The link told from the side of the event's ticket: "depends on #2" on one, "blocks #1"
    on the other. An added link's event names the other end only; a removed one's names both."""
    from osit.tickets.models import INVERSE_LABELS, LinkKind

    try:
        link = LinkKind(data.get("kind") or "")
    except ValueError:
        return event.kind.replace("_", " ")
    source, target = data.get("source"), data.get("target")
    if target is not None and (source is None or source == event.ticket_id):
        label, other = link.label, target
    else:
        label, other = INVERSE_LABELS[link], source
    if event.kind == "link_added":
        return _("linked: %(label)s #%(other)s") % {"label": label, "other": other}
    return _("removed the link: %(label)s #%(other)s") % {"label": label, "other": other}


def _entry(
    event: Event,
    names: _Names,
    comments: dict[int, Comment],
    attachments: dict[int, Attachment],
    times: dict[int, TimeEntry],
) -> Entry | None:
    data = event.data or {}
    summary, detail = _summary(event, names)
    entry = Entry(
        kind=event.kind,
        at=event.created_at,
        actor=event.actor_label,
        channel=event.channel,
        internal=event.internal,
        summary=summary,
        detail=detail,
    )
    comment_id = data.get("comment_id")
    if comment_id:
        entry.comment = comments.get(comment_id)
        if entry.comment is None and event.kind in ("reply_added", "note_added"):
            # An internal note hidden from this reader: nothing of it is left to show.
            return None
        if entry.comment is not None and entry.comment.is_internal:
            entry.internal = True
    if event.kind == "attachment_added":
        entry.attachment = attachments.get(int(data.get("attachment_id") or 0))
        if entry.attachment is None:
            return None
    if event.kind == "time_logged":
        entry.time_entry = times.get(int(data.get("time_entry_id") or 0))
    return entry


def _orphan_comment(comment: Comment) -> Entry:
    internal = comment.is_internal
    return Entry(
        kind="note_added" if internal else "reply_added",
        at=comment.created_at,
        actor=comment.author.display_name,
        channel=comment.channel,
        internal=internal,
        summary=_("added an internal note") if internal else _("replied"),
        comment=comment,
    )


def _orphan_attachment(attachment: Attachment) -> Entry:
    return Entry(
        kind="attachment_added",
        at=attachment.created_at,
        actor=attachment.uploaded_by.display_name,
        channel="",
        internal=attachment.internal,
        summary=_("attached a file"),
        attachment=attachment,
    )


def _orphan_time(time_entry: TimeEntry) -> Entry:
    return Entry(
        kind="time_logged",
        at=time_entry.created_at,
        actor=time_entry.technician.display_name,
        channel="",
        internal=True,
        summary=_("reported an intervention of %(time)s")
        % {"time": format_minutes(time_entry.minutes)},
        time_entry=time_entry,
    )
