"""The two repeated parts of the agent pages, rendered in Python: ``{% ticket_table %}`` (every
ticket list) and ``{% ticket_timeline %}`` (the ticket page's history).

A list page shows up to 50 rows of ten cells, a ticket page up to hundreds of history entries;
through template tags that is thousands of node renders, URL reversals and localised dates —
two thirds of those pages' time (issue 5). Here each per-page constant (URL patterns,
translated labels, date formats, the CSRF field) is computed once and each row is one string
join, with every value escaped.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from django import template
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from osit.tickets.choices import Status

register = template.Library()

_NUMBER = 987654321  # stands for a number in a reversed URL
_URL_SAFE = "!$&'()*+,;=/~:@"  # what reverse() leaves unquoted (RFC 3986 sub-delims and more)


def _url_pattern(name: str, *args: object) -> tuple[str, str]:
    """(before, after) the last argument in the URL ``name`` reverses to."""
    url = reverse(name, args=list(args))
    before, _sep, after = url.rpartition(str(args[-1]))
    return before, after


def _e(value: object) -> str:
    """``django.utils.html.escape`` without its lazy-string plumbing (values here are plain)."""
    return html.escape(str(value))


# How django.utils.dateformat splits a format into codes and literal text.
_FORMAT_CODE = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")
_ESCAPED = re.compile(r"\\(.)")


class _Format:
    """A date format parsed once: ``dateformat.format(value, fmt)`` for many values."""

    def __init__(self, fmt: str) -> None:
        self.pieces = [
            (bool(i % 2), piece if i % 2 else _ESCAPED.sub(r"\1", piece))
            for i, piece in enumerate(_FORMAT_CODE.split(str(fmt)))
            if piece
        ]

    def __call__(self, value: date) -> str:
        df = dateformat.DateFormat(value)
        return "".join(str(getattr(df, p)()) if code else p for code, p in self.pieces)


class _Dates:
    """The renderings of a time the pages show, in the active language and time zone."""

    def __init__(self) -> None:
        self.short = _Format(formats.get_format("SHORT_DATETIME_FORMAT"))
        self.short_date = _Format(formats.get_format("SHORT_DATE_FORMAT"))
        self.zone = timezone.get_current_timezone()

    def day(self, value: date) -> str:
        return _e(self.short_date(value))

    def cell(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self.zone) if value.tzinfo is not None else value
        return f'<time datetime="{local.isoformat()}">{_e(self.short(local))}</time>'


def _header_cells(headers: Sequence[dict[str, Any]], sortable: bool) -> list[str]:
    cells = []
    for h in headers:
        label = _e(h["label"])
        aria = h.get("aria_sort")
        attr = f' aria-sort="{_e(aria)}"' if sortable and aria else ""
        if sortable and h.get("key"):
            arrow = " ▲" if aria == "ascending" else " ▼" if aria == "descending" else ""
            inner = f'<a href="?sort={_e(h["param"])}">{label}{arrow}</a>'
        else:
            inner = label
        cells.append(f'<th scope="col"{attr}>{inner}</th>')
    return cells


@register.simple_tag(takes_context=True)
def ticket_table(
    context: template.Context,
    tickets: Iterable[Any],
    caption: str = "",
    sortable: bool = False,
    show_closed: bool = False,
) -> SafeString:
    """The table of ``tickets`` (``osit.tickets.queries.TableRow``) with the page's ``headers``
    (and ``sort`` when sortable)."""
    headers = context.get("headers") or []
    sort = context.get("sort")
    ticket_before, ticket_after = _url_pattern("web:ticket", _NUMBER)
    queue_before, queue_after = _url_pattern("web:queue", "slug-placeholder")
    statuses = {value: _e(label) for value, label in Status.choices}
    # Labels are looked up outside f-strings, where makemessages would not see them.
    not_routed_label, nobody_label, priority_text = _("not routed"), _("nobody"), _("Priority")
    not_routed = f'<span class="muted">{_e(not_routed_label)}</span>'
    nobody = f'<span class="muted">{_e(nobody_label)}</span>'
    priority_label = f'<span class="visually-hidden">{_e(priority_text)} </span>'
    dates = _Dates()

    head = _header_cells(headers, sortable)
    if show_closed:
        closed = _e(_("Closed"))
        if sortable:
            param = "closed" if sort is not None and sort.param == "-closed" else "-closed"
            closed = f'<a href="?sort={param}">{closed}</a>'
        head.append(f'<th scope="col">{closed}</th>')

    rows = []
    for t in tickets:
        href = f"{ticket_before}{t.pk}{ticket_after}"
        if t.service_slug is not None:
            service_cell = (
                f'<a href="{queue_before}{_e(t.service_slug)}{queue_after}">'
                f"{_e(t.service_name)}</a>"
            )
        else:
            service_cell = not_routed
        status = t.status
        cells = [
            f'<td><a href="{href}">#{t.pk}</a></td>',
            f'<td><a href="{href}">{_e(t.subject)}</a></td>',
            f"<td>{_e(t.requester_name)}</td>",
            f"<td>{service_cell}</td>",
            f"<td>{_e(t.application_name)}</td>"
            if t.application_name is not None
            else '<td><span class="muted">—</span></td>',
            f"<td>{_e(t.owner_name) if t.owner_name is not None else nobody}</td>",
            f'<td><span class="prio prio-{t.priority}">{priority_label}{t.priority}</span></td>',
            f'<td><span class="status status-{_e(status)}">'
            f"{statuses.get(status, _e(status))}</span></td>",
            f"<td>{dates.cell(t.updated_at)}</td>",
        ]
        if show_closed:
            cells.append(f"<td>{dates.cell(t.closed_at)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")

    return mark_safe(  # noqa: S308 — every value above is escaped
        '<div class="table-wrap">\n<table class="tickets">\n'
        f'  <caption class="visually-hidden">{_e(caption)}</caption>\n'
        "  <thead>\n    <tr>" + "".join(head) + "</tr>\n  </thead>\n"
        "  <tbody>\n" + "\n".join(rows) + "\n  </tbody>\n</table>\n</div>"
    )


def _csrf_field(context: template.Context) -> str:
    """What ``{% csrf_token %}`` writes."""
    token = context.get("csrf_token")
    if not token or token == "NOTPROVIDED":  # noqa: S105 — the tag's own sentinel
        return ""
    return f'<input type="hidden" name="csrfmiddlewaretoken" value="{_e(token)}">'


@register.simple_tag(takes_context=True)
def ticket_timeline(context: template.Context, timeline: Sequence[Any]) -> SafeString:
    """The history, oldest first: ``osit.tickets.timeline.Entry`` items.

    Context: ``ticket``, ``may`` (``split`` adds the split button to each comment).
    """
    if not timeline:
        nothing = _("Nothing has happened yet.")
        return mark_safe(  # noqa: S308 — a constant
            f'<ol class="timeline">\n  <li class="empty">{_e(nothing)}</li>\n</ol>'
        )
    ticket = context.get("ticket")
    may = context.get("may") or {}
    dates = _Dates()
    internal_label, split_label = _("internal"), _("Split into a new ticket")
    internal = f" · <strong>{_e(internal_label)}</strong>"
    billable, not_billable = _e(_("billable")), _e(_("not billable"))
    split = ""
    if may.get("split") and ticket is not None:
        split_before, split_after = _url_pattern("web:ticket_split", ticket.pk, _NUMBER)
        split = (
            f'<form method="post" action="{split_before}{{pk}}{split_after}" class="inline">'
            f"{_csrf_field(context)}"
            '<button type="submit" class="small secondary">'
            f"{_e(split_label)}</button></form>"
        )
    file_url = reverse("web:attachment", args=[_NUMBER, "FILENAME"])
    items = []
    for index, e in enumerate(timeline, start=1):
        parts = [
            f'<li class="{e.css}" id="event-{index}"><div class="meta">'
            f"<strong>{_e(e.actor)}</strong> {_e(e.summary)} · {dates.cell(e.at)}"
        ]
        channel = e.channel_label
        if channel:
            parts.append(f" · {_e(channel)}")
        if e.internal:
            parts.append(internal)
        parts.append("</div>")
        if e.detail:
            parts.append(f'<div class="detail">{_e(e.detail)}</div>')
        comment = e.comment
        if comment is not None:
            parts.append(f'<div class="body">{_e(comment.body)}</div>')
            if split and comment.pk:
                parts.append(split.replace("{pk}", str(comment.pk)))
        entry = e.time_entry
        if entry is not None:
            activity = f" · {_e(entry.activity.name)}" if entry.activity else ""
            parts.append(
                f'<div class="detail muted">{dates.day(entry.date)}{activity} · '
                f"{billable if entry.billable else not_billable}</div>"
            )
        attachment = e.attachment
        if attachment is not None:
            href = _e(
                file_url.replace(str(_NUMBER), str(attachment.pk)).replace(
                    "FILENAME", quote(attachment.filename, safe=_URL_SAFE)
                )
            )
            parts.append(
                f'<div class="detail"><a href="{href}" download>{_e(attachment.filename)}'
                f'</a> <span class="muted">({filesizeformat(attachment.size)})</span></div>'
            )
        parts.append("</li>")
        items.append("".join(parts))
    return mark_safe(  # noqa: S308 — every value above is escaped
        '<ol class="timeline">\n' + "\n".join(items) + "\n</ol>"
    )


@register.simple_tag
def form_field(field: Any) -> SafeString:
    """One form field: label (or legend), widget, help and its errors right under it.

    ``field`` is a bound field. Hidden fields are the widget alone.
    """
    if field.is_hidden:
        return mark_safe(str(field))  # noqa: S308 — a widget renders escaped markup
    errors = field.errors
    label = conditional_escape(field.label)
    if field.use_fieldset:
        opening, closing = f"<fieldset><legend>{label}</legend>", "\n  </fieldset>"
    else:
        opening, closing = f'<label for="{_e(field.id_for_label)}">{label}</label>', ""
    parts = [f'<div class="field{" field-error" if errors else ""}">\n  {opening}\n  {field}']
    if field.help_text:
        parts.append(f'\n  <p class="helptext">{conditional_escape(field.help_text)}</p>')
    if errors:
        items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
        parts.append(f'\n  <ul class="errorlist" role="alert">{items}</ul>')
    parts.append(f"{closing}\n</div>")
    return mark_safe("".join(parts))  # noqa: S308 — every value is escaped


@register.simple_tag
def queue_nav(services: Iterable[Any], current: Any = None) -> SafeString:
    """The bar of queue links (one per active service), the current one marked."""
    services = list(services)
    if not services:
        return mark_safe("")
    before, after = _url_pattern("web:queue", "slug-placeholder")
    current_pk = getattr(current, "pk", None)
    label, heading = _("Queues"), _("Queues:")
    marked = ' aria-current="page"'
    links = " · ".join(
        f'<a href="{before}{_e(s.slug)}{after}"'
        f"{marked if s.pk == current_pk else ''}>{_e(s.name)}</a>"
        for s in services
    )
    return mark_safe(  # noqa: S308 — every value is escaped
        f'<nav class="queues" aria-label="{_e(label)}">\n'
        f'  <span class="muted">{_e(heading)}</span>\n  {links}\n</nav>'
    )


@register.simple_tag
def form_errors(form: Any) -> SafeString:
    """The errors of ``form`` that belong to no field, as an alert list (or nothing)."""
    errors = form.non_field_errors() if form is not None else ()
    if not errors:
        return mark_safe("")
    items = "".join(f"<li>{conditional_escape(error)}</li>" for error in errors)
    return mark_safe(f'<ul class="errorlist" role="alert">{items}</ul>')  # noqa: S308 — escaped


@register.simple_tag
def portal_table(tickets: Iterable[Any]) -> SafeString:
    """A requester's table of requests, newest first: number, subject, application, status,
    created, updated."""
    before, after = _url_pattern("web:portal_ticket", _NUMBER)
    statuses = {value: _e(label) for value, label in Status.choices}
    dates = _Dates()
    head = "".join(
        f'<th scope="col">{_e(label)}</th>'
        for label in (
            _("Number"),
            _("Subject"),
            _("Application"),
            _("Status"),
            _("Created"),
            _("Updated"),
        )
    )
    rows = []
    for t in tickets:
        href = f"{before}{t.pk}{after}"
        application = t.application
        rows.append(
            f'<tr><td><a href="{href}">#{t.pk}</a></td>'
            f'<td><a href="{href}">{_e(t.subject)}</a></td>'
            + (
                f"<td>{_e(application.name)}</td>"
                if application is not None
                else '<td><span class="muted">—</span></td>'
            )
            + f'<td><span class="status status-{_e(t.status)}">'
            f"{statuses.get(t.status, _e(t.status))}</span></td>"
            f"<td>{dates.cell(t.created_at)}</td><td>{dates.cell(t.updated_at)}</td></tr>"
        )
    caption = _("My requests, newest first")
    return mark_safe(  # noqa: S308 — every value above is escaped
        '<div class="table-wrap">\n<table class="tickets">\n'
        f'  <caption class="visually-hidden">{_e(caption)}</caption>\n'
        f"  <thead>\n    <tr>{head}</tr>\n  </thead>\n"
        "  <tbody>\n" + "\n".join(rows) + "\n  </tbody>\n</table>\n</div>"
    )


@register.simple_tag(takes_context=True)
def lazy_panel(context: template.Context, name: str) -> SafeString:
    """What a closed action panel holds until it is opened: HTMX fetches the form then.

    Without JavaScript the link opens the page with that panel's form in place.
    """
    ticket = context["ticket"]
    url = reverse("web:ticket_panel", args=[ticket.pk, name])
    page = reverse("web:ticket", args=[ticket.pk])
    show = _("Show the form")
    return mark_safe(  # noqa: S308 — URLs of our own, a translated label, escaped
        f'<div class="panel-body" hx-get="{_e(url)}" '
        'hx-trigger="toggle from:closest details once" hx-swap="outerHTML">'
        f'<a href="{_e(page)}?panel={_e(name)}#panel-{_e(name)}">'
        f"{_e(show)}</a></div>"
    )
