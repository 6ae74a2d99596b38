"""The two repeated parts of the agent pages, rendered in Python: ``{% ticket_table %}`` (every
ticket list) and ``{% ticket_timeline %}`` (the ticket page's history).

A list page shows up to 50 rows of ten cells, a ticket page up to hundreds of history entries;
through template tags that is thousands of node renders, URL reversals and localised dates —
two thirds of those pages' time (issue 5). Here each per-page constant (URL patterns,
translated labels, date formats, the CSRF field) is computed once and each row is one string
join, with every value escaped.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import quote

from django import template
from django.template.defaultfilters import filesizeformat
from django.template.loader import render_to_string
from django.urls import get_script_prefix, reverse
from django.utils import dateformat, formats, timezone
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.utils.translation import gettext as _

from osit.tickets.choices import Channel, Criticality, Severity, Status, TicketType

register = template.Library()

_NUMBER = 987654321  # stands for a number in a reversed URL
_URL_SAFE = "!$&'()*+,;=/~:@"  # what reverse() leaves unquoted (RFC 3986 sub-delims and more)


@functools.lru_cache(maxsize=512)
def _reversed(prefix: str, name: str, args: tuple[object, ...]) -> str:
    # ``reverse`` depends on the URL name, its arguments and the script prefix only.
    return reverse(name, args=list(args))


def _url_pattern(name: str, *args: object) -> tuple[str, str]:
    """(before, after) the last argument in the URL ``name`` reverses to."""
    url = _reversed(get_script_prefix(), name, args)
    before, _sep, after = url.rpartition(str(args[-1]))
    return before, after


def _ticket_url(name: str, number: int, *args: object) -> str:
    """``reverse(name, args=[number, *args])``, reversed once per URL and prefix, not per ticket."""
    url = _reversed(get_script_prefix(), name, (_NUMBER, *args))
    return url.replace(str(_NUMBER), str(number), 1)


def _e(value: object) -> str:
    """``django.utils.html.escape`` without its lazy-string plumbing (values here are plain)."""
    return html.escape(str(value))


_JOIN = "\x00"  # between the values of a column, escaped at once (no text from the database
# holds it: PostgreSQL refuses it, and ``_escape_all`` checks)


def _escape_all(values: Sequence[str]) -> list[str]:
    """``[_e(v) for v in values]`` (plain strings), in one call to ``html.escape``: a table's
    column of fifty names is one escape, not fifty (issue 5)."""
    joined = _JOIN.join(values)
    if joined.count(_JOIN) != max(len(values) - 1, 0):  # a value holds the separator itself
        return [_e(v) for v in values]
    return html.escape(joined).split(_JOIN) if values else []


# How django.utils.dateformat splits a format into codes and literal text.
_FORMAT_CODE = re.compile(r"(?<!\\)([aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ])")
_ESCAPED = re.compile(r"\\(.)")


def _twelve(v: Any) -> int:
    return v.hour % 12 or 12


def _f(v: Any) -> str:
    return f"{_twelve(v)}:{v.minute:02d}" if v.minute else str(_twelve(v))


# Codes written without django.utils.dateformat.DateFormat, exactly as it writes them: a
# DateFormat object and a method lookup per code and value were most of a list's date cells.
_FAST_CODES: dict[str, Callable[[Any], str]] = {
    "d": lambda v: f"{v.day:02d}",
    "j": lambda v: str(v.day),
    "m": lambda v: f"{v.month:02d}",
    "n": lambda v: str(v.month),
    "Y": lambda v: f"{v.year:04d}",
    "y": lambda v: f"{v.year % 100:02d}",
    "H": lambda v: f"{v.hour:02d}",
    "G": lambda v: str(v.hour),
    "h": lambda v: f"{_twelve(v):02d}",
    "g": lambda v: str(_twelve(v)),
    "i": lambda v: f"{v.minute:02d}",
    "s": lambda v: f"{v.second:02d}",
    "f": _f,
}
# The codes of _FAST_CODES written inline in a compiled format (``_Format._compiled``).
_INLINE = {
    "d": "v.day:02d",
    "j": "v.day",
    "m": "v.month:02d",
    "n": "v.month",
    "Y": "v.year:04d",
    "y": "v.year % 100:02d",
    "H": "v.hour:02d",
    "G": "v.hour",
    "i": "v.minute:02d",
    "s": "v.second:02d",
}
_TIME_CODES = frozenset("aAfgGhHiPs")
_DATE_WORDS = ("a.m.", "p.m.", "AM", "PM", "midnight", "noon")


class _Format:
    """A date format parsed once: ``dateformat.format(value, fmt)`` for many values.

    The common codes are written here, the words among them ("p.m.", "noon") translated once;
    any other code goes through ``DateFormat``, as do time codes given a date (it refuses them).
    """

    def __init__(self, fmt: str) -> None:
        # Django's own words (its catalog translates them; a variable keeps them out of ours).
        am, pm, big_am, big_pm, midnight, noon = (_(word) for word in _DATE_WORDS)

        def meridiem(v: Any) -> str:
            return pm if v.hour > 11 else am

        def clock(v: Any) -> str:
            if v.minute == 0 and v.hour in (0, 12):
                return midnight if v.hour == 0 else noon
            return f"{_f(v)} {meridiem(v)}"

        codes = {
            **_FAST_CODES,
            "a": meridiem,
            "A": lambda v: big_pm if v.hour > 11 else big_am,
            "P": clock,
        }
        self.fmt = fmt
        # (is a code, the code or the literal text, its writer or None)
        self.pieces: list[tuple[bool, str, Callable[[Any], str] | None]] = []
        for i, piece in enumerate(_FORMAT_CODE.split(str(fmt))):
            if piece and i % 2:
                self.pieces.append((True, piece, codes.get(piece)))
            elif piece:
                self.pieces.append((False, _ESCAPED.sub(r"\1", piece), None))
        self.fast = all(write is not None for code, _p, write in self.pieces if code)
        self.time = any(code and p in _TIME_CODES for code, p, _w in self.pieces)
        self.write = self._compiled() if self.fast else None

    def _compiled(self) -> Callable[[Any], str]:
        """The pieces as one f-string: ``m/d/Y P`` becomes ``f"{v.month:02d}{L1}…{W6(v)}"``.

        Only the fixed expressions of ``_INLINE`` and names go into the source; literal text
        and the other writers are passed in by name, never as source."""
        names: dict[str, Any] = {}
        fields = []
        for i, (code, piece, write) in enumerate(self.pieces):
            if code and piece in _INLINE:
                fields.append("{" + _INLINE[piece] + "}")
            elif code:
                names[f"W{i}"] = write
                fields.append(f"{{W{i}(v)}}")
            else:
                names[f"L{i}"] = piece
                fields.append(f"{{L{i}}}")
        source = f'lambda v: f"{"".join(fields)}"'
        return eval(source, {"__builtins__": {}, **names})  # noqa: S307 — see above

    def __call__(self, value: date) -> str:
        if self.write is None or (self.time and not isinstance(value, datetime)):
            return dateformat.format(value, self.fmt)
        return self.write(value)


@functools.lru_cache(maxsize=64)
def _parsed(fmt: str, language: str | None) -> _Format:
    return _Format(fmt)


def _format(name: str) -> _Format:
    """The active language's format ``name``, parsed once per language."""
    return _parsed(str(formats.get_format(name)), get_language())


class _Dates:
    """The renderings of a time the pages show, in the active language and time zone."""

    def __init__(self) -> None:
        self.short = _format("SHORT_DATETIME_FORMAT")
        self.short_date = _format("SHORT_DATE_FORMAT")
        self.zone = timezone.get_current_timezone()

    def day(self, value: date) -> str:
        return _e(self.short_date(value))

    def cell(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = value.astimezone(self.zone) if value.tzinfo is not None else value
        return f'<time datetime="{local.isoformat()}">{_e(self.short(local))}</time>'

    def cells(self, values: Sequence[datetime | None]) -> list[str]:
        """``[self.cell(v) for v in values]``, the texts escaped at once."""
        zone, short = self.zone, self.short
        local = [v if v is None or v.tzinfo is None else v.astimezone(zone) for v in values]
        texts = _escape_all([short(v) for v in local if v is not None])
        out, read = [], iter(texts)
        for v in local:
            out.append("" if v is None else f'<time datetime="{v.isoformat()}">{next(read)}</time>')
        return out


def _header_cells(headers: Sequence[dict[str, Any]], sortable: bool) -> list[str]:
    cells = []
    for h in headers:
        label = _e(h["label"])
        aria = h.get("aria_sort")
        attr = f' aria-sort="{_e(aria)}"' if sortable and aria else ""
        if sortable and h.get("key"):
            arrow = " ▲" if aria == "ascending" else " ▼" if aria == "descending" else ""
            query = f"?sort={_e(h['param'])}"
            inner = f'<a href="{query}" hx-get="{query}">{label}{arrow}</a>'
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
    (and ``sort`` when sortable: the headers' links then also fetch the list's part alone, for
    the ``#ticket-list`` around the table, ``ticket_list_part``)."""
    headers = context.get("headers") or []
    sort = context.get("sort")
    ticket_before, ticket_after = _url_pattern("web:ticket", _NUMBER)
    queue_before, queue_after = _url_pattern("web:queue", "slug-placeholder")
    statuses = _facts_labels(get_language())[1]["status"]
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
            closed = f'<a href="?sort={param}" hx-get="?sort={param}">{closed}</a>'
        head.append(f'<th scope="col">{closed}</th>')

    tickets = list(tickets)
    # Each column's texts escaped at once (``_escape_all``); a missing value escapes as "".
    subjects, requesters, slugs, services, applications, owners, states = (
        (
            _escape_all(["" if v is None else str(v) for v in column])
            for column in zip(
                *(
                    (
                        t.subject,
                        t.requester_name,
                        t.service_slug,
                        t.service_name,
                        t.application_name,
                        t.owner_name,
                        t.status,
                    )
                    for t in tickets
                ),
                strict=True,
            )
        )
        if tickets
        else ([],) * 7
    )
    updated = dates.cells([t.updated_at for t in tickets])
    closed_cells = dates.cells([t.closed_at for t in tickets]) if show_closed else []
    rows = []
    for i, t in enumerate(tickets):
        href = f"{ticket_before}{t.pk}{ticket_after}"
        if t.service_slug is not None:
            service_cell = f'<a href="{queue_before}{slugs[i]}{queue_after}">{services[i]}</a>'
        else:
            service_cell = not_routed
        cells = [
            f'<td><a href="{href}">#{t.pk}</a></td>',
            f'<td><a href="{href}">{subjects[i]}</a></td>',
            f"<td>{requesters[i]}</td>",
            f"<td>{service_cell}</td>",
            f"<td>{applications[i]}</td>"
            if t.application_name is not None
            else '<td><span class="muted">—</span></td>',
            f"<td>{owners[i] if t.owner_name is not None else nobody}</td>",
            f'<td><span class="prio prio-{t.priority}">{priority_label}{t.priority}</span></td>',
            f'<td><span class="status status-{states[i]}">'
            f"{statuses.get(t.status, states[i])}</span></td>",
            f"<td>{updated[i]}</td>",
        ]
        if show_closed:
            cells.append(f"<td>{closed_cells[i]}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")

    return mark_safe(  # noqa: S308 — every value above is escaped
        '<div class="table-wrap">\n<table class="tickets">\n'
        f'  <caption class="visually-hidden">{_e(caption)}</caption>\n'
        "  <thead>\n    <tr>" + "".join(head) + "</tr>\n  </thead>\n"
        "  <tbody>\n" + "\n".join(rows) + "\n  </tbody>\n</table>\n</div>"
    )


def ticket_list_part(
    *,
    page: Any,
    tickets: Sequence[Any],
    caption: str,
    headers: Sequence[dict[str, Any]],
    sort: Any,
    empty_text: str = "",
    show_closed: bool = False,
) -> SafeString:
    """A list page's ``#ticket-list``: its count, its table and its pager (``page``, a Django
    ``Page``). What paging and sorting by a header fetch alone (HTMX), written without a
    template: the list views answer those requests with it directly (issue 5)."""
    count = page.paginator.count
    # As {% blocktranslate count %} writes it: the number localised, then escaped.
    counted = ngettext("%(counter)s ticket", "%(counter)s tickets", count) % {
        "counter": conditional_escape(str(formats.localize(count)))
    }
    # The whitespace is the template's that this replaced (tests/web/test_list_part.py).
    parts = [
        '\n<div id="ticket-list" hx-target="this" hx-swap="outerHTML" hx-push-url="true">\n'
        f'<p class="muted">{counted}</p>\n'
    ]
    if tickets:
        table = ticket_table(
            {"headers": headers, "sort": sort},
            tickets,
            caption=caption,
            sortable=True,
            show_closed=show_closed,
        )
        parts.append(f"\n  {table}\n\n")
    else:
        parts.append(f'\n  <p class="empty">{conditional_escape(empty_text)}</p>\n\n')
    if page.has_other_pages():
        param = _e(sort.param)
        pager = [f'\n<nav class="pager" aria-label="{_e(_("Pages"))}">\n  ']
        if page.has_previous():
            query = f"?sort={param}&amp;page={page.previous_page_number()}"
            previous = _e(_("Previous page"))
            pager.append(f'<a rel="prev" href="{query}" hx-get="{query}">{previous}</a>')
        where = _("Page %(number)s of %(total)s") % {
            "number": conditional_escape(str(formats.localize(page.number))),
            "total": conditional_escape(str(formats.localize(page.paginator.num_pages))),
        }
        pager.append(f"\n  <span>{where}</span>\n  ")
        if page.has_next():
            query = f"?sort={param}&amp;page={page.next_page_number()}"
            following = _e(_("Next page"))
            pager.append(f'<a rel="next" href="{query}" hx-get="{query}">{following}</a>')
        pager.append("\n</nav>\n")
        parts.append("".join(pager))
    parts.append("\n</div>\n")
    return mark_safe("".join(parts))  # noqa: S308 — every value above is escaped


@register.simple_tag(takes_context=True)
def ticket_list(context: template.Context) -> SafeString:
    """``ticket_list_part`` of the list page's context (``osit/list.html``)."""
    return ticket_list_part(
        page=context["page_obj"],
        tickets=context["tickets"],
        caption=context.get("title", ""),
        headers=context.get("headers") or [],
        sort=context["sort"],
        empty_text=context.get("empty_text", ""),
        show_closed=bool(context.get("show_closed")),
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
    channels = _facts_labels(get_language())[1]["channel"]
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
    file_url = _reversed(get_script_prefix(), "web:attachment", (_NUMBER, "FILENAME"))
    items = []
    for index, e in enumerate(timeline, start=1):
        parts = [
            f'<li class="{e.css}" id="event-{index}"><div class="meta">'
            f"<strong>{_e(e.actor)}</strong> {_e(e.summary)} · {dates.cell(e.at)}"
        ]
        channel = channels.get(e.channel)
        if channel is None:
            channel = _e(e.channel_label)
        if channel:
            parts.append(f" · {channel}")
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
    statuses = _facts_labels(get_language())[1]["status"]
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


# The reply panel's markup with its form unbound, by what it is made of: markers stand for the
# ticket's address and the CSRF token, put in per page. Its fields' widgets were half the
# ticket page's rendering (issue 5); the form is the same on every ticket for the same rights.
_ACTION_MARK, _CSRF_MARK = "\x00osit-action\x00", "\x00osit-csrf\x00"


_UNBOUND_REPLIES: dict[tuple[Any, ...], str] = {}


def _reply_markup(form: Any, may_reply: bool, action: str, csrf_token: Any) -> str:
    return render_to_string(
        "osit/ticket/_reply.html",
        {"form": form, "may_reply": may_reply, "action": action, "csrf_token": csrf_token},
    )


@register.simple_tag(takes_context=True)
def reply_panel(context: template.Context, form: Any) -> SafeString:
    """The reply panel of the ticket page (``osit/ticket/_reply.html``). Context: ``ticket``,
    ``may``, ``csrf_token``.

    ``form`` is a ``ReplyForm`` sent back with its errors, or an ``UnboundReply``: that one's
    markup is written once per language and :meth:`~UnboundReply.markup_key`, with markers for
    the ticket's address and the CSRF token, which each page puts in."""
    may_reply = bool(context["may"].get("reply"))
    action = _ticket_url("web:ticket_reply", context["ticket"].pk)
    token = context.get("csrf_token")
    if not hasattr(form, "markup_key"):
        return mark_safe(_reply_markup(form, may_reply, action, token))  # noqa: S308 — escaped
    key = (get_language(), may_reply, form.markup_key())
    html = _UNBOUND_REPLIES.get(key)
    if html is None:
        if len(_UNBOUND_REPLIES) >= 64:  # rights × languages × menus: a handful in practice
            _UNBOUND_REPLIES.clear()
        html = _UNBOUND_REPLIES[key] = _reply_markup(form.form, may_reply, _ACTION_MARK, _CSRF_MARK)
    return mark_safe(  # noqa: S308 — a template's output; the address and the token escaped
        html.replace(_ACTION_MARK, _e(action)).replace(_CSRF_MARK, _e(token or ""))
    )


# The action panels in page order: (name, summary). ``decide`` is never lazy.
_PANELS = (
    ("status", gettext_lazy("Change the status")),
    ("decide", gettext_lazy("Decide on this enhancement request")),
    ("reroute", gettext_lazy("Re-route to another service")),
    ("assign", gettext_lazy("Assign")),
    ("classify", gettext_lazy("Severity, criticality, application")),
    ("priority", gettext_lazy("Override the priority")),
    ("watchers", gettext_lazy("Watchers")),
    ("attach", gettext_lazy("Attach files")),
)
_LINK_PANELS = (
    ("link", gettext_lazy("Link to another ticket")),
    ("merge", gettext_lazy("Merge into another ticket")),
)
_SUMMARIES = dict(_PANELS + _LINK_PANELS)


@register.simple_tag(takes_context=True)
def ticket_panels(context: template.Context) -> SafeString:
    """The ticket page's action panels and its links (``osit/ticket/_panels.html``).

    Context: ``ticket``, ``panels``, ``open_panel``, ``links``, ``merged_from``, ``may``. When
    every panel is one loaded when opened (as on most views of a ticket) the markup is made
    here, the same as the template's; a panel whose form is in the page (asked for, or sent
    back with its errors) is the template's to render."""
    panels = context["panels"]
    if any(form != "lazy" for name, form in panels.items() if name != "reply"):
        return mark_safe(  # noqa: S308 — a template's own (escaped) output
            context.template.engine.get_template("osit/ticket/_panels.html").render(context)
        )
    ticket, open_panel = context["ticket"], context.get("open_panel")
    prefix, language, number = get_script_prefix(), get_language(), str(ticket.pk)

    def details(name: str) -> str:
        markup = _lazy_details(prefix, language, name, open_panel == name)
        return markup.replace(_NUMBER_TEXT, number)

    parts = [details(name) for name, _summary in _PANELS if panels.get(name)]
    may_link = bool(context["may"].get("link"))
    csrf = _csrf_field(context)
    ticket_before, ticket_after = _url_pattern("web:ticket", _NUMBER)
    links = []
    for link in context.get("links") or ():
        other = link.other
        item = (
            f"<li>{_e(link.label)} "
            f'<a href="{ticket_before}{other.pk}{ticket_after}">#{other.pk}</a> '
            f"{_e(other.subject)}\n      "
            f'<span class="status status-{_e(other.status)}">'
            f"{_e(other.get_status_display())}</span>"
        )
        if may_link:
            unlink = _ticket_url("web:ticket_unlink", ticket.pk, link.id)
            label = _("Remove the link to #%(n)s") % {"n": other.pk}
            item += (
                f'\n      <form method="post" action="{_e(unlink)}" class="inline">{csrf}\n'
                f'        <button type="submit" class="small secondary" aria-label="{_e(label)}">'
                "×</button>\n      </form>"
            )
        links.append(item + "\n    </li>")
    merged = context.get("merged_from")
    section = [
        '<section class="panel links" aria-labelledby="h-links" id="links">',
        f'  <h2 id="h-links">{_e(_("Links"))}</h2>',
    ]
    if merged:
        numbers = ", ".join(f"#{n}" for n in merged)
        section.append(f'  <p class="muted">{_e(_("Merged here:"))} {numbers}</p>')
    if links:
        section.append('  <ul class="link-list">\n    ' + "\n    ".join(links) + "\n  </ul>")
    else:
        section.append(f'  <p class="empty">{_e(_("No link."))}</p>')
    section += [details(name) for name, _summary in _LINK_PANELS if panels.get(name)]
    section.append("</section>")
    return mark_safe("\n".join([*parts, "\n".join(section)]))  # noqa: S308 — all escaped


_NUMBER_TEXT = str(_NUMBER)


def _lazy_body(number: object, name: str) -> str:
    url = _ticket_url("web:ticket_panel", number, name)  # type: ignore[arg-type]
    page = _ticket_url("web:ticket", number)  # type: ignore[arg-type]
    show = _("Show the form")
    return (
        f'<div class="panel-body" hx-get="{_e(url)}" '
        'hx-trigger="toggle from:closest details once" hx-swap="outerHTML">'
        f'<a href="{_e(page)}?panel={_e(name)}#panel-{_e(name)}">'
        f"{_e(show)}</a></div>"
    )


@functools.lru_cache(maxsize=256)
def _lazy_details(prefix: str, language: str | None, name: str, opened: bool) -> str:
    """A closed panel's ``<details>``, with ``_NUMBER`` for the ticket's number: the same for
    every ticket in a language and URL prefix (its URLs, a dozen translated labels a page)."""
    return (
        f'<details class="action" id="panel-{name}"{" open" if opened else ""}>\n'
        f"  <summary>{_e(_SUMMARIES[name])}</summary>\n  {_lazy_body(_NUMBER, name)}\n</details>"
    )


@register.simple_tag(takes_context=True)
def lazy_panel(context: template.Context, name: str) -> SafeString:
    """What a closed action panel holds until it is opened: HTMX fetches the form then.

    Without JavaScript the link opens the page with that panel's form in place.
    """
    # URLs of our own, a translated label, escaped
    return mark_safe(_lazy_body(context["ticket"].pk, name))  # noqa: S308


# --- the page header ----------------------------------------------------------------------

# (nav_active key, URL name, label) of the agents' and the requesters' main navigation.
_AGENT_NAV = (
    ("home", "web:home", gettext_lazy("At a glance")),
    ("mine", "web:mine", gettext_lazy("My tickets")),
    ("unowned", "web:unowned", gettext_lazy("New and unowned")),
    ("enhancements", "web:enhancements", gettext_lazy("Enhancement requests")),
    ("closed", "web:closed", gettext_lazy("Closed tickets")),
)
_AGENT_BUTTON = ("web:phone_new", gettext_lazy("New ticket"))
_REQUESTER_NAV = (("portal", "web:portal", gettext_lazy("My requests")),)
_REQUESTER_BUTTON = ("web:portal_new", gettext_lazy("New request"))
_LANGUAGE_NAMES = {"fr": "Français"}  # each language in its own name; English otherwise


class _Chrome(NamedTuple):
    """The header's fixed markup for one language and URL prefix, with the places of what
    varies (the current page, the unread count, the user's name, the CSRF token, the path)."""

    brand: str
    nav_open: str
    agent_nav: tuple[tuple[str, str, str], ...]  # (key, before aria-current, after)
    agent_button: str
    requester_nav: tuple[tuple[str, str, str], ...]
    requester_button: str
    bell_open: str
    profile: str
    logout_before: str
    logout_after: str
    language_action: str
    language_rest: str
    languages: tuple[tuple[str, str], ...]  # (code, <option …) without "selected"
    change: str


def _nav(items: Iterable[tuple[str, str, Any]]) -> tuple[tuple[str, str, str], ...]:
    return tuple(
        (key, f'      <li><a href="{_e(reverse(name))}" ', f">{_e(label)}</a></li>\n")
        for key, name, label in items
    )


def _button(name: str, label: Any) -> str:
    return f'      <li><a class="button small" href="{_e(reverse(name))}">{_e(label)}</a></li>\n'


@functools.lru_cache(maxsize=32)
def _chrome(prefix: str, language: str | None) -> _Chrome:
    """Built once per URL prefix and language: ``reverse`` and the labels vary with nothing else."""
    from django.conf import settings

    # Labels are looked up outside f-strings, where makemessages would not see them.
    main, notifications, log_out = _("Main"), _("Notifications"), _("Log out")
    language_label, change = _("Language"), _("Change")
    home, bell, profile = reverse("web:home"), reverse("web:notifications"), reverse("web:profile")
    logout, set_language = reverse("web:logout"), reverse("web:set_language")
    return _Chrome(
        brand=f'  <a class="brand" href="{_e(home)}">OSIT</a>\n',
        nav_open=f'  <nav class="mainnav" aria-label="{_e(main)}">\n    <ul>\n',
        agent_nav=_nav(_AGENT_NAV),
        agent_button=_button(*_AGENT_BUTTON),
        requester_nav=_nav(_REQUESTER_NAV),
        requester_button=_button(*_REQUESTER_BUTTON),
        bell_open=(
            f'    <a href="{_e(bell)}" class="bell" '
            f'aria-label="{_e(notifications)}">{_e(notifications)}'
        ),
        profile=f'    <a href="{_e(profile)}">',
        logout_before=f'    <form method="post" action="{_e(logout)}" class="inline">',
        logout_after=f'<button type="submit" class="link">{_e(log_out)}</button></form>\n',
        language_action=(
            f'  <form action="{_e(set_language)}" method="post" class="inline langswitch">'
        ),
        language_rest=(
            f'    <label for="lang-select" class="visually-hidden">{_e(language_label)}</label>\n'
            '    <select id="lang-select" name="language">\n'
        ),
        languages=tuple(
            (code, f'      <option value="{_e(code)}" ') for code, _name in settings.LANGUAGES
        ),
        change=(f'    </select>\n    <button type="submit" class="small">{_e(change)}</button>\n'),
    )


@register.simple_tag(takes_context=True)
def topbar(context: template.Context) -> SafeString:
    """The page header: brand, the role's navigation, the user's links, the language switch.

    What ``base.html`` wrote with a dozen ``{% url %}`` and ``{% translate %}`` tags per page;
    the fixed parts are built once per language (``_chrome``).
    """
    language = get_language()
    chrome = _chrome(get_script_prefix(), language)
    csrf = _csrf_field(context)
    request = context.get("request")
    user = context.get("user")
    active = context.get("nav_active")
    parts = ['<header class="topbar">\n', chrome.brand]
    if user is not None and user.is_authenticated:
        agent = context.get("nav_is_agent")
        nav, button = (
            (chrome.agent_nav, chrome.agent_button)
            if agent
            else (chrome.requester_nav, chrome.requester_button)
        )
        parts.append(chrome.nav_open)
        for key, before, after in nav:
            parts.append(before + ('aria-current="page"' if key == active else "") + after)
        parts.append(button)
        parts.append('    </ul>\n  </nav>\n  <div class="usernav">\n')
        if agent:
            unread = context.get("nav_unread")
            unread = unread() if callable(unread) else unread
            badge = f' <span class="badge">{_e(unread)}</span>' if unread else ""
            parts.append(f"{chrome.bell_open}{badge}</a>\n")
        parts.append(f"{chrome.profile}{_e(user.display_name)}</a>\n")
        parts.append(f"{chrome.logout_before}{csrf}{chrome.logout_after}  </div>\n")
    path = request.get_full_path() if request is not None else ""
    parts.append(f"{chrome.language_action}{csrf}\n")
    parts.append(f'    <input name="next" type="hidden" value="{_e(path)}">\n')
    parts.append(chrome.language_rest)
    for code, option in chrome.languages:
        selected = "selected" if code == language else ""
        parts.append(f"{option}{selected}>{_e(_LANGUAGE_NAMES.get(code, 'English'))}</option>\n")
    parts.append(chrome.change)
    parts.append("  </form>\n</header>")
    return mark_safe("".join(parts))  # noqa: S308 — every value is escaped


@register.simple_tag
def sort_form(choices: Iterable[tuple[str, Any]], sort: Any) -> SafeString:
    """The list's "Sort by" menu: each key ascending then descending, the current one chosen."""
    current = getattr(sort, "param", None)
    sort_by, sort_label = _("Sort by"), _("Sort")
    options = []
    for key, label in choices:
        text = _e(label)
        for value, arrow in ((key, "↑"), (f"-{key}", "↓")):
            selected = " selected" if value == current else ""
            options.append(f'    <option value="{_e(value)}"{selected}>{text} {arrow}</option>\n')
    return mark_safe(  # noqa: S308 — every value is escaped
        '<form method="get" class="actions-row sort-form">\n'
        f'  <label for="sort-select">{_e(sort_by)}</label>\n'
        '  <select id="sort-select" name="sort">\n' + "".join(options) + "  </select>\n"
        f'  <button type="submit" class="small secondary">{_e(sort_label)}</button>\n'
        "</form>"
    )


def _names(watchers: Iterable[Any], nothing: str) -> str:
    names = ", ".join(_e(w.user.display_name) for w in watchers)
    return names or nothing


@functools.lru_cache(maxsize=8)
def _facts_labels(language: str | None) -> tuple[tuple[str, ...], dict[str, dict[str, str]]]:
    """The facts' labels and the choices' names, escaped, once per language: fifty gettext
    calls and five choice dictionaries per ticket page otherwise (issue 5)."""
    labels = (
        _("Status"),
        _("Priority"),
        _("Severity"),
        _("Criticality"),
        _("Type"),
        _("Service"),
        _("Application"),
        _("Requester"),
        _("Organisation"),
        _("Site"),
        _("Owner"),
        _("Channel"),
        _("Created"),
        _("Updated"),
        _("Due"),
        _("Time spent"),
        _("Tags"),
        _("Cc"),
        _("AdminCc"),
        _("overridden:"),
        _("not routed"),
        _("nobody"),
    )
    choices = {
        "status": Status,
        "severity": Severity,
        "criticality": Criticality,
        "type": TicketType,
        "channel": Channel,
    }
    shown = {
        field: {value: _e(label) for value, label in kind.choices}
        for field, kind in choices.items()
    }
    return tuple(_e(label) for label in labels), shown


@functools.lru_cache(maxsize=8)
def _head_labels(language: str | None) -> tuple[str, str, str, str]:
    return (_e(_("Priority")), _("owned by %(owner)s"), _e(_("nobody owns it")), _e(_("Take")))


@register.simple_tag(takes_context=True)
def ticket_head(context: template.Context) -> SafeString:
    """The ticket page's header: number, subject, status, priority, service, owner, and the
    Take button. What ``osit/ticket/_head.html`` writes (tested against it). Context:
    ``ticket``, ``can_take``, ``csrf_token``."""
    t = context["ticket"]
    language = get_language()
    priority, owned_by, nobody, take = _head_labels(language)
    status = _facts_labels(language)[1]["status"].get(t.status) or _e(t.get_status_display())
    service = f"· {_e(t.service.name)}" if t.service_id is not None else ""
    owner = nobody if t.owner_id is None else owned_by % {"owner": _e(t.owner.display_name)}
    parts = [
        '<header class="ticket-head">\n'
        f'  <h1><span class="muted">#{t.pk}</span> {_e(t.subject)}</h1>\n'
        f'  <p><span class="status status-{_e(t.status)}">{status}</span>\n'
        f'     <span class="prio prio-{_e(t.priority)}"><span class="visually-hidden">'
        f"{priority} </span>{_e(t.priority)}</span>\n"
        f"     {service}\n"
        f"     · {owner}\n  </p>\n"
    ]
    if context.get("can_take") and not t.is_closed:
        action = _e(_ticket_url("web:ticket_take", t.pk))
        parts.append(
            f'  <form method="post" action="{action}" class="inline">{_csrf_field(context)}\n'
            f'    <button type="submit" class="small">{take}</button>\n  </form>\n'
        )
    parts.append("</header>")
    return mark_safe("".join(parts))  # noqa: S308 — every value is escaped


@register.simple_tag(takes_context=True)
def ticket_facts(context: template.Context) -> SafeString:
    """The ticket page's list of facts. Context: ``ticket``, ``cc``, ``admincc``, ``time_spent``.

    What ``_facts.html`` wrote with some fifty template nodes (tested against it).
    """
    t = context["ticket"]
    dates = _Dates()
    labels, shown = _facts_labels(get_language())
    (status, priority, severity, criticality, type_, service, application, requester) = labels[:8]
    (organisation, site, owner, channel, created, updated, due, time_spent) = labels[8:16]
    tags, cc, admincc, overridden, not_routed, nobody = labels[16:]

    def shown_(field: str) -> str:  # a value outside the choices is shown as Django shows it
        return shown[field].get(getattr(t, field)) or _e(getattr(t, f"get_{field}_display")())

    dash = '<span class="muted">—</span>'

    reason = (
        f' <span class="muted">{overridden} {_e(t.priority_reason)}</span>'
        if t.priority_reason
        else ""
    )
    if t.service_id is not None:
        before, after = _url_pattern("web:queue", "slug-placeholder")
        service_cell = f'<a href="{before}{_e(t.service.slug)}{after}">{_e(t.service.name)}</a>'
    else:
        service_cell = f'<span class="muted">{not_routed}</span>'
    person = t.requester
    email = (
        f'<br><a href="mailto:{_e(person.email)}">{_e(person.email)}</a>' if person.email else ""
    )
    phone = f'<br><a href="tel:{_e(person.phone)}">{_e(person.phone)}</a>' if person.phone else ""
    owner_cell = (
        _e(t.owner.display_name)
        if t.owner_id is not None
        else f'<span class="muted">{nobody}</span>'
    )
    tag_cells = "".join(f'<span class="tag">{_e(tag)}</span> ' for tag in t.tags or ()) or dash
    rows = [
        f"<dt>{status}</dt><dd>"
        f'<span class="status status-{_e(t.status)}">{shown_("status")}</span></dd>',
        f'<dt>{priority}</dt><dd><span class="prio prio-{_e(t.priority)}">{_e(t.priority)}'
        f"</span>{reason}</dd>",
        f"<dt>{severity}</dt><dd>{shown_('severity')}</dd>",
        f"<dt>{criticality}</dt><dd>{shown_('criticality')}</dd>",
        f"<dt>{type_}</dt><dd>{shown_('type')}</dd>",
        f"<dt>{service}</dt><dd>{service_cell}</dd>",
        f"<dt>{application}</dt>"
        f"<dd>{_e(t.application.name) if t.application_id is not None else dash}</dd>",
        f"<dt>{requester}</dt><dd>{_e(person.display_name)}\n    {email}\n    {phone}</dd>",
        f"<dt>{organisation}</dt>"
        f"<dd>{_e(t.organisation.name) if t.organisation_id is not None else dash}</dd>",
    ]
    if t.site_id is not None:
        rows.append(f"<dt>{site}</dt><dd>{_e(t.site.name)}</dd>")
    rows += [
        f"<dt>{owner}</dt><dd>{owner_cell}</dd>",
        f"<dt>{channel}</dt><dd>{shown_('channel')}</dd>",
        f"<dt>{created}</dt><dd>{dates.cell(t.created_at)}</dd>",
        f"<dt>{updated}</dt><dd>{dates.cell(t.updated_at)}</dd>",
    ]
    if t.due_at:
        rows.append(f"<dt>{due}</dt><dd>{dates.cell(t.due_at)}</dd>")
    rows += [
        f"<dt>{time_spent}</dt><dd>{_e(context.get('time_spent', ''))}</dd>",
        f"<dt>{tags}</dt><dd>{tag_cells}</dd>",
        f"<dt>{cc}</dt><dd>{_names(context.get('cc') or (), dash)}</dd>",
        f"<dt>{admincc}</dt><dd>{_names(context.get('admincc') or (), dash)}</dd>",
    ]
    return mark_safe(  # noqa: S308 — every value is escaped
        '<dl class="facts">\n  ' + "\n  ".join(rows) + "\n</dl>"
    )
