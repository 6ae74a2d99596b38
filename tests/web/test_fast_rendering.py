"""The Python renderings of the hot page parts write exactly what the templates wrote.

osit.web.renderers.FastWidgetRenderer against Django's stock template renderer, widget by
widget; the ticket table and timeline tags against hostile values (escaping) and in French.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.template import Context, Template
from django.utils import timezone, translation
from django.utils.safestring import mark_safe

from osit.tickets.models import Ticket
from osit.tickets.queries import table_rows
from osit.tickets.timeline import Entry
from osit.web.renderers import FastWidgetRenderer

pytestmark = pytest.mark.django_db

HOSTILE = '<b>"O\'Brien" & co</b>'


class _Stored:
    """A file already saved, as a model's FileField gives it."""

    url = "/media/a&b.txt"

    def __str__(self) -> str:
        return "a&b.txt"


class Everything(forms.Form):
    text = forms.CharField(initial=HOSTILE, max_length=20, help_text="h")
    empty = forms.CharField(required=False)
    email = forms.EmailField(required=False, widget=forms.EmailInput(attrs={"autofocus": True}))
    number = forms.IntegerField(initial=12345, min_value=0)
    hidden = forms.CharField(widget=forms.HiddenInput, initial="x&y")
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), initial="pw")
    day = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), initial=date(2026, 1, 2))
    flag = forms.BooleanField(initial=True, required=False)
    off = forms.BooleanField(
        initial=False, required=False, widget=forms.CheckboxInput(attrs={"disabled": False})
    )
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), initial=HOSTILE)
    blank = forms.CharField(widget=forms.Textarea, required=False)
    choice = forms.ChoiceField(
        choices=[("a", "A & B"), ("<x>", HOSTILE), ("", "---")], initial="<x>"
    )
    grouped = forms.ChoiceField(
        choices=[("G1", [("1", "one"), ("2", "two")]), ("G<2>", [("3", "three")]), ("4", "four")],
        initial="3",
    )
    many = forms.MultipleChoiceField(
        choices=[("a", "A"), ("b", "B"), ("c", "C")], initial=["a", "c"]
    )
    safe = forms.ChoiceField(choices=[("s", mark_safe("<em>safe</em>"))])
    upload = forms.FileField(required=False)
    kept = forms.FileField(required=False, initial=_Stored())
    radio = forms.ChoiceField(widget=forms.RadioSelect, choices=[("r", "R")], required=False)
    radios = forms.ChoiceField(
        widget=forms.RadioSelect(attrs={"class": "inline"}),
        choices=[("a", HOSTILE), ("G<1>", [("b", "B"), ("c", "C")])],
        initial="b",
    )
    boxes = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, choices=[("x", "X & Y"), ("y", "Y")], initial=["y"]
    )
    when = forms.SplitDateTimeField(required=False)


@pytest.mark.parametrize("bound", [False, True])
def test_every_widget_is_written_as_django_writes_it(bound):
    data = {"text": "<script>", "choice": "a", "many": ["b"], "flag": "on", "body": "a\nb"}
    form = Everything(data if bound else None)
    if bound:
        form.is_valid()
    stock, fast = DjangoTemplates(), FastWidgetRenderer()
    for name in form.fields:
        field = form[name]
        expected = field.field.widget.render(
            field.html_name,
            field.value(),
            attrs=field.build_widget_attrs({"id": f"id_{name}"}),
            renderer=stock,
        )
        got = field.field.widget.render(
            field.html_name,
            field.value(),
            attrs=field.build_widget_attrs({"id": f"id_{name}"}),
            renderer=fast,
        )
        assert got == expected, name


def test_common_widgets_are_written_without_a_template(monkeypatch):
    def no_template(*args, **kwargs):
        raise AssertionError("rendered through a template")

    monkeypatch.setattr(DjangoTemplates, "render", no_template)
    form, fast = Everything(), FastWidgetRenderer()
    for name in form.fields:
        if name not in ("when", "kept"):  # a multi-widget and a kept file: the engine
            form[name].field.widget.render(name, form[name].value(), renderer=fast)


def test_the_settings_use_the_fast_renderer_and_pages_keep_their_forms(settings):
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), FastWidgetRenderer)
    html = str(Everything()["choice"])
    assert '<option value="&lt;x&gt;" selected>' in html
    assert "&lt;b&gt;&quot;O&#x27;Brien&quot; &amp; co&lt;/b&gt;" in html


def _table(context):
    return Template(
        "{% load osit_render %}"
        "{% ticket_table tickets caption=caption sortable=True show_closed=True %}"
    ).render(Context(context))


def test_the_ticket_table_escapes_every_value_and_links_each_ticket(personas, make_ticket):
    ticket = make_ticket(subject=HOSTILE)
    personas.alice.first_name = "<i>Alice</i>"
    personas.alice.save()
    row = table_rows(Ticket.objects.filter(pk=ticket.pk))[0]
    from osit.tickets.queries import Sort
    from osit.web.views.lists import _headers

    sort = Sort("priority")
    html = _table(
        {"tickets": [row], "caption": "Mine & yours", "headers": _headers(sort), "sort": sort}
    )
    assert "<b>" not in html and "<i>" not in html
    assert "<td>&lt;i&gt;Alice&lt;/i&gt; Test</td>" in html  # the requester's display name
    assert f'<a href="/tickets/{ticket.pk}/">#{ticket.pk}</a>' in html
    assert "&lt;b&gt;&quot;O&#x27;Brien&quot; &amp; co&lt;/b&gt;" in html
    assert f'<a href="/queues/{ticket.service.slug}/">{ticket.service.name}</a>' in html
    assert '<caption class="visually-hidden">Mine &amp; yours</caption>' in html
    assert 'aria-sort="ascending"' in html and "Priority ▲" in html
    assert '<span class="muted">nobody</span>' in html  # no owner
    assert f'<time datetime="{timezone.localtime(row.updated_at).isoformat()}">' in html
    assert '<a href="?sort=-closed" hx-get="?sort=-closed">Closed</a>' in html


def test_the_ticket_table_speaks_french(personas, make_ticket):
    make_ticket(subject="Imprimante")
    rows = table_rows(Ticket.objects.all())
    with translation.override("fr"):
        html = _table({"tickets": rows, "caption": "", "headers": [], "sort": None})
    assert "personne" in html  # "nobody"
    assert "nouveau" in html  # the status "new"


EVERY_CODE = r"a A b c d D e E f F g G h H i I j l L m M n N o O P r s S t T U u w W y Y z Z \Y \d"
TIMES = [
    datetime(2026, 1, 2, 0, 0, 5),  # midnight
    datetime(2026, 12, 31, 12, 0),  # noon
    datetime(2026, 3, 4, 12, 30),
    datetime(2026, 5, 6, 1, 5, 9),
    datetime(2026, 7, 8, 13, 0),
    datetime(999, 9, 10, 23, 59, 59),  # a year of three digits
]


@pytest.mark.parametrize("language", ["en", "fr"])
def test_dates_are_written_as_django_writes_them(language):
    from django.utils import dateformat, formats

    from osit.web.templatetags.osit_render import _Format

    with translation.override(language):
        names = ("SHORT_DATETIME_FORMAT", "DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATE_FORMAT")
        # Literal braces and quotes around fast codes: the compiled f-string keeps them text.
        literal = "{d}} \"m\" 'y' \\Y j-n G:i:s {{"
        assert _Format(literal).write is not None
        formats_ = [
            *(formats.get_format(name) for name in names),
            EVERY_CODE,
            "H:i:s",
            "g:i A",
            literal,
        ]
        for fmt in formats_:
            for value in TIMES:
                aware = timezone.make_aware(value) if value.year > 1000 else value
                assert _Format(fmt)(aware) == dateformat.format(aware, fmt), (fmt, value)
        for fmt in (formats.get_format("SHORT_DATE_FORMAT"), "d/m/Y l"):
            assert _Format(fmt)(date(2026, 2, 3)) == dateformat.format(date(2026, 2, 3), fmt)
        with pytest.raises(TypeError):  # as Django: a time of day asked of a date
            _Format("H:i")(date(2026, 2, 3))


def _timeline(entries, **context):
    return Template("{% load osit_render %}{% ticket_timeline timeline %}").render(
        Context({"timeline": entries, **context})
    )


def test_an_empty_timeline_says_so():
    assert "Nothing has happened yet." in _timeline([])


def test_the_timeline_escapes_and_offers_split_to_those_who_may(personas, make_ticket):
    from osit.tickets.actions import add_comment

    ticket = make_ticket()
    comment = add_comment(
        ticket, actor=personas.tom, channel="web", body=HOSTILE, visibility="internal"
    )
    at = datetime(2026, 3, 4, 5, 6, tzinfo=timezone.get_current_timezone())
    entries = [
        Entry(
            kind="comment",
            at=at,
            actor="<Bob>",
            channel="web",
            internal=True,
            summary="wrote <x>",
            comment=comment,
        ),
        Entry(
            kind="event",
            at=at,
            actor="Eve",
            channel="nope",
            internal=False,
            summary="s",
            detail="a & b",
        ),
    ]
    html = _timeline(entries, ticket=ticket, may={"split": True}, csrf_token="tok<en>")
    assert "<Bob>" not in html and "&lt;Bob&gt;" in html
    assert (
        '<li class="internal" id="event-1">' in html and '<li class="event" id="event-2">' in html
    )
    assert "&lt;b&gt;&quot;O&#x27;Brien&quot; &amp; co&lt;/b&gt;" in html
    assert f'action="/tickets/{ticket.pk}/split/{comment.pk}/"' in html
    assert 'name="csrfmiddlewaretoken" value="tok&lt;en&gt;"' in html
    assert "· <strong>internal</strong>" in html and "· web" in html and "· nope" in html
    assert '<div class="detail">a &amp; b</div>' in html
    assert "split" not in _timeline(entries, ticket=ticket, may={"split": False})


class Small(forms.Form):
    name = forms.CharField(label="Name <required>", help_text="Your <full> name")
    kind = forms.ChoiceField(choices=[("a", "A")], widget=forms.RadioSelect, label="Kind")
    secret = forms.CharField(widget=forms.HiddenInput, required=False)


def _field(field):
    return Template("{% load osit_render %}{% form_field field %}").render(
        Context({"field": field})
    )


def test_a_form_field_has_its_label_help_and_errors_escaped():
    form = Small({"name": "", "kind": "a"})
    assert not form.is_valid()
    html = _field(form["name"])
    assert html.startswith('<div class="field field-error">')
    assert '<label for="id_name">Name &lt;required&gt;</label>' in html
    assert '<p class="helptext">Your &lt;full&gt; name</p>' in html
    assert '<ul class="errorlist" role="alert"><li>This field is required.</li></ul>' in html
    assert '<input type="text" name="name"' in html


def test_a_radio_group_is_a_fieldset_and_a_hidden_field_is_its_widget_alone():
    form = Small()
    html = _field(form["kind"])
    assert html.startswith('<div class="field">') and "<fieldset><legend>Kind</legend>" in html
    assert html.rstrip().endswith("</fieldset>\n</div>")
    assert _field(form["secret"]) == '<input type="hidden" name="secret" id="id_secret">'


# What base.html and list.html wrote with template tags before {% topbar %} and {% sort_form %}
# (issue 5): the Python renderings must write the same.
REFERENCE = Path(__file__).parent / "reference"
TEMPLATE_HEADER = (REFERENCE / "header.html").read_text()
TEMPLATE_SORT = (REFERENCE / "sort_form.html").read_text()
TEMPLATE_TICKET_HEAD = (REFERENCE / "ticket_head.html").read_text()


def _squeezed(markup: str) -> str:
    # {% translate %} writes a label's apostrophe as is; the tag escapes it (same text).
    markup = markup.replace("&#x27;", "'")
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", markup)).strip()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("who", "active", "unread"),
    [
        (None, None, 0),
        ("tom", "home", 0),
        ("tom", "mine", 3),
        ("olivia", "closed", 0),
        ("alice", "portal", 0),
        ("alice", None, 0),
    ],
)
def test_the_header_is_written_as_the_template_wrote_it(personas, language, who, active, unread):
    from django.contrib.auth.models import AnonymousUser
    from django.test import RequestFactory

    user = getattr(personas, who) if who else AnonymousUser()
    request = RequestFactory().get("/tickets/?q=<x>&page=2")
    request.user = user
    context = {
        "user": user,
        "request": request,
        "csrf_token": "tok<en>",
        "nav_active": active,
        "nav_is_agent": who in ("tom", "olivia"),
        "nav_unread": (lambda: unread) if who in ("tom", "olivia") else 0,
    }
    with translation.override(language):
        expected = Template(TEMPLATE_HEADER).render(Context(context))
        got = Template("{% load osit_render %}{% topbar %}").render(Context(context))
    assert _squeezed(got) == _squeezed(expected)
    if who:
        assert ('aria-current="page"' in got) == (active is not None)
    assert 'value="/tickets/?q=%3Cx%3E&amp;page=2"' in got  # the path, escaped


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("param", ["priority", "-updated", "number"])
def test_the_sort_menu_is_written_as_the_template_wrote_it(language, param):
    from osit.tickets.queries import SORTS, parse_sort
    from osit.web.views.lists import SORT_LABELS

    sort = parse_sort(param)
    context = {"sort": sort, "sort_choices": [(key, SORT_LABELS[key]) for key in SORTS]}
    with translation.override(language):
        expected = Template(TEMPLATE_SORT).render(Context(context))
        got = Template("{% load osit_render %}{% sort_form sort_choices sort %}").render(
            Context(context)
        )
    assert _squeezed(got) == _squeezed(expected)
    assert got.count(" selected>") == 1 and f'value="{param}" selected' in got


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize("full", [True, False])
def test_the_facts_are_written_as_the_template_wrote_them(personas, make_ticket, language, full):
    from osit.directory.models import Organisation, Site
    from osit.tickets.models import Watcher

    if full:
        ticket = make_ticket(subject="Everything")
        org = Organisation.objects.create(slug="rnd", name='R&D "labs"')
        Ticket.objects.filter(pk=ticket.pk).update(
            owner=personas.tom,
            organisation=org,
            site=Site.objects.create(slug="lyon", name="<Lyon>"),
            priority_reason="VIP & <urgent>",
            due_at=timezone.make_aware(datetime(2026, 12, 24, 12, 0)),
            tags=["vpn", "<b>"],
        )
        personas.alice.phone = "+33 1 23"
        personas.alice.save()
    else:
        ticket = make_ticket(subject="Bare")
        Ticket.objects.filter(pk=ticket.pk).update(service=None, application=None)
    ticket = Ticket.objects.select_related(
        "service", "application", "requester", "owner", "organisation", "site"
    ).get(pk=ticket.pk)
    watchers = [Watcher(ticket=ticket, user=personas.bob, kind="cc")] if full else []
    context = {
        "ticket": ticket,
        "cc": watchers,
        "admincc": watchers,
        "time_spent": "1 h 30 min",
    }
    with translation.override(language):
        expected = Template((REFERENCE / "facts.html").read_text()).render(Context(context))
        got = Template("{% load osit_render %}{% ticket_facts %}").render(Context(context))
    assert _squeezed(got) == _squeezed(expected)
    if full:
        assert "VIP &amp; &lt;urgent&gt;" in got and "&lt;Lyon&gt;" in got


def _panels_context(personas, make_ticket, *, links: bool, may_link: bool, merged: bool, some):
    from osit.tickets.links import LinkView

    ticket = make_ticket(subject="Panels")
    other = make_ticket(subject=HOSTILE)
    panels = {"reply": object(), **{name: "lazy" for name in some}}
    return {
        "ticket": ticket,
        "panels": panels,
        "open_panel": "",
        "may": {"link": may_link},
        "links": [LinkView(7, "depends_on", "Depends on <&>", True, other)] if links else [],
        "merged_from": [3, 4] if merged else [],
        "csrf_token": "tok<en>",
    }


ALL_LAZY = ("status", "reroute", "assign", "classify", "priority", "watchers", "attach", "link")


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("links", "may_link", "merged", "some"),
    [
        (False, False, False, (*ALL_LAZY, "merge")),
        (True, True, True, ALL_LAZY),
        (True, False, False, ("status", "watchers")),
        (False, False, True, ()),
    ],
)
def test_the_panels_are_written_as_the_template_writes_them(
    personas, make_ticket, language, links, may_link, merged, some
):
    context = _panels_context(
        personas, make_ticket, links=links, may_link=may_link, merged=merged, some=some
    )
    with translation.override(language):
        expected = Template('{% include "osit/ticket/_panels.html" %}').render(Context(context))
        got = Template("{% load osit_render %}{% ticket_panels %}").render(Context(context))
    assert _squeezed(got) == _squeezed(expected)
    assert got.count("<details") == len(some)
    assert ("&lt;b&gt;&quot;O&#x27;Brien&quot;" in got) == links  # the other end's subject
    assert ("tok&lt;en&gt;" in got) == (links and may_link)  # the unlink form's token


def test_a_panel_whose_form_is_in_the_page_is_the_templates_to_write(personas, make_ticket):
    from osit.web.forms_ticket import WatcherForm

    context = _panels_context(
        personas, make_ticket, links=False, may_link=False, merged=False, some=ALL_LAZY
    )
    context["panels"]["watchers"] = WatcherForm(ticket=context["ticket"])
    context["open_panel"] = "watchers"
    expected = Template('{% include "osit/ticket/_panels.html" %}').render(Context(context))
    got = Template("{% load osit_render %}{% ticket_panels %}").render(Context(context))
    assert got == expected
    assert 'id="panel-watchers" open' in got and "<form" in got


TOKEN = "tok<en>"


def _reply(form, ticket, may_reply=True, token=TOKEN):
    context = {"ticket": ticket, "may": {"reply": may_reply}, "csrf_token": token}
    return Template("{% load osit_render %}{% reply_panel form %}").render(
        Context({**context, "form": form})
    )


def _reply_from_template(form, ticket, may_reply=True, token=TOKEN):
    from django.template.loader import render_to_string

    return render_to_string(
        "osit/ticket/_reply.html",
        {
            "form": form,
            "may_reply": may_reply,
            "action": f"/tickets/{ticket.pk}/reply/",
            "csrf_token": token,
        },
    )


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("can_note", "can_log_time", "can_attach", "may_reply"),
    [(True, True, True, True), (False, True, False, True), (True, False, True, False)],
)
def test_the_reply_panel_made_once_is_each_pages_own(
    personas, make_ticket, language, can_note, can_log_time, can_attach, may_reply
):
    from osit.web.forms_ticket import ReplyForm, UnboundReply

    first, second = make_ticket(subject="one"), make_ticket(subject="two")
    rights = {"can_note": can_note, "can_log_time": can_log_time, "can_attach": can_attach}
    with translation.override(language):
        for ticket, token in ((first, "tok<en>"), (second, "other"), (first, "third")):
            got = _reply(UnboundReply(ticket, **rights), ticket, may_reply, token)
            fresh = ReplyForm(ticket=ticket, **rights)
            assert got == _reply_from_template(fresh, ticket, may_reply, token)
            assert f'action="/tickets/{ticket.pk}/reply/"' in got
            assert got.count(f'value="{token.replace("<", "&lt;").replace(">", "&gt;")}"') == 1
    assert ('id="reply-activity"' in got) == can_log_time
    assert ('value="internal"' in got) == can_note
    assert ('id="reply-attachments"' in got) == can_attach


def test_a_reply_sent_back_with_errors_shows_them(personas, make_ticket):
    from osit.web.forms_ticket import ReplyForm, UnboundReply

    ticket = make_ticket()
    form = ReplyForm(
        {"visibility": "public", "time_spent_minutes": "-5", "body": "Kept"},
        ticket=ticket,
    )
    assert not form.is_valid()
    got = _reply(form, ticket)
    assert got == _reply_from_template(form, ticket)
    assert "Kept" in got and 'class="errorlist"' in got
    fresh = _reply(UnboundReply(ticket, can_note=True, can_log_time=True, can_attach=True), ticket)
    assert "Kept" not in fresh and 'class="errorlist"' not in fresh


def test_the_reply_panel_follows_the_activity_menu(personas, make_ticket):
    from osit.tickets.models import ActivityType
    from osit.web.forms_ticket import UnboundReply

    ticket = make_ticket()
    rights = {"can_note": True, "can_log_time": True, "can_attach": True}
    before = _reply(UnboundReply(ticket, **rights), ticket)
    ActivityType.objects.create(name="Site <visit>")  # test setup: a new activity
    after = _reply(UnboundReply(ticket, **rights), ticket)
    assert "Site &lt;visit&gt;" in after and "Site &lt;visit&gt;" not in before


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("owned", "routed", "can_take", "closed"),
    [
        (True, True, True, False),
        (False, True, True, False),
        (False, False, False, False),
        (True, True, True, True),
    ],
)
def test_the_ticket_head_is_written_as_the_template_wrote_it(
    personas, make_ticket, language, owned, routed, can_take, closed
):
    ticket = make_ticket(subject=HOSTILE)
    Ticket.objects.filter(pk=ticket.pk).update(
        service=personas.appdev if routed else None,
        owner=personas.tom if owned else None,
        status="closed" if closed else "new",
    )
    ticket = Ticket.objects.select_related("service", "owner").get(pk=ticket.pk)
    context = {"ticket": ticket, "can_take": can_take, "csrf_token": "tok<en>"}
    with translation.override(language):
        expected = Template(TEMPLATE_TICKET_HEAD).render(Context(context))
        got = Template("{% load osit_render %}{% ticket_head %}").render(Context(context))
    assert _squeezed(got) == _squeezed(expected)
    assert "&lt;b&gt;&quot;O&#x27;Brien&quot;" in got  # the subject, escaped
    assert ("tok&lt;en&gt;" in got) == (can_take and not closed)  # the Take form's token
    assert (personas.appdev.name in got) == routed


def test_closed_panels_written_once_carry_each_tickets_own_number(personas, make_ticket):
    first, second = make_ticket(subject="First"), make_ticket(subject="Second")
    pages = []
    for ticket in (first, second, first):
        context = _panels_context(
            personas, make_ticket, links=False, may_link=False, merged=False, some=ALL_LAZY
        )
        context["ticket"] = ticket
        pages.append(Template("{% load osit_render %}{% ticket_panels %}").render(Context(context)))
    assert f"/tickets/{first.pk}/panels/status/" in pages[0]
    assert f"/tickets/{second.pk}/" in pages[1] and f"/tickets/{first.pk}/" not in pages[1]
    assert pages[2] == pages[0]


def test_a_views_user_is_loaded_once_and_put_in_place_of_its_lazy_wrapper(personas, rf):
    from django.utils.functional import SimpleLazyObject

    from osit.web.sessions import concrete_user

    request = rf.get("/")
    loads = []
    request.user = SimpleLazyObject(lambda: loads.append(1) or personas.tom)
    assert concrete_user(request) is personas.tom
    assert request.user is personas.tom  # no wrapper left: attribute reads are plain
    assert concrete_user(request) is personas.tom and loads == [1]


TEMPLATE_TICKET_LIST = (REFERENCE / "ticket_list.html").read_text()


@pytest.mark.parametrize("language", ["en", "fr"])
@pytest.mark.parametrize(
    ("count", "per_page", "number", "show_closed"),
    [
        (0, 50, "1", False),
        (1, 50, "1", True),
        (7, 3, "1", False),
        (7, 3, "2", True),
        (7, 3, "3", False),
        (7, 3, "9", False),
    ],
)
def test_the_list_part_is_written_as_the_template_wrote_it(
    personas, make_ticket, language, count, per_page, number, show_closed
):
    """``ticket_list_part`` (the list's part that paging fetches, and {% ticket_list %} in a
    list page) writes what osit/_ticket_list.html wrote: count, table or empty text, pager."""
    from django.core.paginator import Paginator

    from osit.tickets.queries import Sort, for_table
    from osit.web.templatetags.osit_render import ticket_list_part
    from osit.web.views.lists import _headers

    for i in range(count):
        make_ticket(subject=f"{HOSTILE} {i}")
    sort = Sort("priority", descending=True)
    tickets = for_table(Ticket.objects.all(), sort)
    page = Paginator(tickets, per_page).get_page(number)
    first = (page.number - 1) * per_page
    rows = table_rows(tickets[first : first + per_page])
    context = {
        "page_obj": page,
        "tickets": rows,
        "title": "Queue: <Network>",
        "headers": _headers(sort),
        "sort": sort,
        "empty_text": "Nothing & nobody",
        "show_closed": show_closed,
    }
    with translation.override(language):
        expected = Template(TEMPLATE_TICKET_LIST).render(Context(context))
        got = ticket_list_part(
            page=page,
            tickets=rows,
            caption=context["title"],
            headers=context["headers"],
            sort=sort,
            empty_text=context["empty_text"],
            show_closed=show_closed,
        )
        in_page = Template("{% load osit_render %}{% ticket_list %}").render(Context(context))
    assert got == expected
    assert in_page == expected
    assert "<Network>" not in got
    assert ("Nothing &amp; nobody" in got) == (count == 0)
    assert ('rel="next"' in got) == (page.has_next())


def test_a_column_is_escaped_at_once_as_each_value_would_be():
    from osit.web.templatetags.osit_render import _e, _escape_all

    values = [HOSTILE, "", "plain", "a\x00b", "é & <ü>", "'\""]
    assert _escape_all(values) == [_e(v) for v in values]  # one holds the separator itself
    clean = [v for v in values if "\x00" not in v]
    assert _escape_all(clean) == [_e(v) for v in clean]
    assert _escape_all([]) == []
    assert _escape_all([""]) == [""]


def test_dates_in_a_column_are_written_as_each_would_be():
    from osit.web.templatetags.osit_render import _Dates

    dates = _Dates()
    values = [None, timezone.now(), *(timezone.make_aware(t) for t in TIMES[:4]), None]
    assert dates.cells(values) == [dates.cell(v) for v in values]
    assert dates.cells([]) == []
