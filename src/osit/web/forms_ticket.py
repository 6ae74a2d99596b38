"""Forms of the agent ticket page: one per action panel.

They check shapes only (a number is a number, a choice is one of the list). The rules — a blank
observation comment, a transition the life cycle forbids, who may do what — are the actions'
(osit.tickets.actions), whose messages the view puts next to the field with add_domain_error.
"""

from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from osit.directory.models import NAME_FIELDS, Application, Service, User, display_name
from osit.tickets import lifecycle
from osit.tickets.actions import Upload
from osit.tickets.choices import Criticality, Severity, Status, Visibility, WatcherKind
from osit.tickets.models import ActivityType, LinkKind, Ticket
from osit.web.forms_util import Menu, RowChoiceField


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Zero or more uploaded files, as a list."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        items = data if isinstance(data, list | tuple) else [data]
        return [f for f in (single(item, initial) for item in items if item) if f]


def uploads_from(files) -> list[Upload]:
    """Django's uploaded files as the actions' Upload objects (read lazily, with a limit)."""
    return [Upload(name=f.name, content=f, content_type=f.content_type or "") for f in files]


class _TicketForm(forms.Form):
    """A form of one ticket's page; ids are prefixed so that several forms share a page."""

    prefix_name = ""

    def __init__(self, *args, ticket: Ticket, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"{self.prefix_name}-%s")
        super().__init__(*args, **kwargs)
        self.ticket = ticket


ACTIVITIES = Menu(lambda: ActivityType.objects.order_by("name"))


class ReplyForm(_TicketForm):
    prefix_name = "reply"

    visibility = forms.ChoiceField(
        label=_("Kind"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(label=_("Text"), required=False, widget=forms.Textarea)
    time_spent_minutes = forms.IntegerField(
        label=_("Time spent (minutes)"), required=False, min_value=0
    )
    activity = RowChoiceField(
        label=_("Activity"),
        queryset=ActivityType.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    billable = forms.NullBooleanField(
        label=_("Billable"),
        required=False,
        widget=forms.Select(
            choices=[
                ("unknown", _("as the activity says")),
                ("true", _("yes")),
                ("false", _("no")),
            ]
        ),
    )
    work_date = forms.DateField(
        label=_("Date of the intervention"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    attachments = MultipleFileField(label=_("Files"))

    error_aliases = {"attachment": "attachments"}

    def __init__(
        self,
        *args,
        can_note: bool = True,
        can_log_time: bool = True,
        can_attach: bool = True,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not can_note:
            self.fields["visibility"].choices = [
                c for c in Visibility.choices if c[0] == Visibility.PUBLIC
            ]
        if can_log_time:
            self.fields["activity"].use_menu(ACTIVITIES)
        else:
            for name in ("time_spent_minutes", "activity", "billable", "work_date"):
                del self.fields[name]
        if not can_attach:
            del self.fields["attachments"]


class UnboundReply:
    """The ticket page's reply form before anything is typed, not made until it must be.

    Its markup depends only on what :meth:`markup_key` names — the rights, the activity menu
    (and the language, which the page adds) — never on the ticket, whose address and the CSRF
    token the page puts in: ``{% reply_panel %}`` writes it once per key (issue 5; the reply
    form's widgets were half the ticket page's rendering).
    """

    is_bound = False

    def __init__(
        self, ticket: Ticket, *, can_note: bool, can_log_time: bool, can_attach: bool
    ) -> None:
        self.ticket = ticket
        self.rights = {"can_note": can_note, "can_log_time": can_log_time, "can_attach": can_attach}

    @functools.cached_property
    def form(self) -> ReplyForm:
        return ReplyForm(ticket=self.ticket, **self.rights)

    def markup_key(self) -> tuple[Any, ...]:
        menu = tuple(ACTIVITIES.rows.list()) if self.rights["can_log_time"] else ()
        return (tuple(self.rights.values()), menu)


class StatusForm(_TicketForm):
    prefix_name = "status"

    # Every status is accepted here so that a forbidden move reaches the action, whose message
    # names the allowed statuses; the menu offers only the allowed ones.
    status = forms.ChoiceField(label=_("New status"), choices=Status.choices)
    comment = forms.CharField(
        label=_("Observation comment"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Required: say what was observed or done."),
    )
    visibility = forms.ChoiceField(
        label=_("Comment is"),
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
    )
    # Shown when the ticket depends on open tickets (or the action just said so).
    override_dependencies = forms.BooleanField(
        label=_("Resolve or close it even though the tickets it depends on are still open"),
        required=False,
    )

    def __init__(self, *args, targets: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        allowed = lifecycle.allowed_from(self.ticket.status) if targets is None else targets
        self.fields["status"].widget.choices = [
            (value, label) for value, label in Status.choices if value in allowed
        ]


class RerouteForm(_TicketForm):
    prefix_name = "reroute"

    service = RowChoiceField(label=_("New service"), queryset=Service.objects.none())
    comment = forms.CharField(
        label=_("Justification"),
        required=False,
        widget=forms.Textarea,
        help_text=_("Required: everything learnt so far, for the next service."),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = (
            Service.objects.filter(is_active=True)
            .exclude(pk=self.ticket.service_id or 0)
            .only("id", "name")
            .order_by("name")
        )


class AssignForm(_TicketForm):
    prefix_name = "assign"

    owner = RowChoiceField(
        label=_("Owner"),
        label_fields=NAME_FIELDS,
        label_of=display_name,
        queryset=User.objects.none(),
        required=False,
        empty_label=_("— nobody —"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.ticket.service_id:
            self.fields["owner"].queryset = (
                User.objects.filter(services=self.ticket.service_id, is_active=True)
                .only("id", "username", "first_name", "last_name")
                .order_by("first_name", "last_name", "username")
            )
        self.initial.setdefault("owner", self.ticket.owner_id)


class ClassifyForm(_TicketForm):
    prefix_name = "classify"

    severity = forms.ChoiceField(label=_("Severity"), choices=Severity.choices)
    criticality = forms.ChoiceField(label=_("Criticality"), choices=Criticality.choices)
    application = RowChoiceField(
        label=_("Application"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = (
            Application.objects.filter(is_active=True).only("id", "name").order_by("name")
        )
        for name in ("severity", "criticality"):
            self.initial.setdefault(name, getattr(self.ticket, name))
        self.initial.setdefault("application", self.ticket.application_id)


class PriorityForm(_TicketForm):
    prefix_name = "priority"

    priority = forms.TypedChoiceField(
        label=_("Priority"),
        choices=[(n, str(n)) for n in range(1, 6)],
        coerce=int,
        required=False,
        help_text=_("1 is the most urgent."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea)
    reset = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.initial.setdefault("priority", self.ticket.priority)

    def clean(self):
        data = super().clean()
        if not data.get("reset") and data.get("priority") in (None, ""):
            self.add_error("priority", _("Choose a priority from 1 to 5."))
        return data


class DecideForm(_TicketForm):
    prefix_name = "decide"

    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("accept", _("Accept")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)


class WatcherForm(_TicketForm):
    prefix_name = "watchers"

    user = forms.CharField(
        label=_("User"), max_length=254, help_text=_("User name or e-mail address.")
    )
    kind = forms.ChoiceField(label=_("As"), choices=WatcherKind.choices, initial=WatcherKind.CC)
    remove = forms.BooleanField(required=False, widget=forms.HiddenInput)

    # find_user names its field "requester"; here the person is the watcher.
    error_aliases = {"requester": "user"}


class AttachForm(_TicketForm):
    prefix_name = "attach"

    attachments = MultipleFileField(label=_("Files"))

    error_aliases = {"attachment": "attachments"}


class LinkForm(_TicketForm):
    prefix_name = "link"

    kind = forms.ChoiceField(label=_("This ticket"), choices=LinkKind.choices)
    target = forms.IntegerField(label=_("Ticket number"), min_value=1)


class MergeForm(_TicketForm):
    prefix_name = "merge"

    into = forms.IntegerField(
        label=_("Merge into ticket number"),
        min_value=1,
        help_text=_("This ticket is closed; its replies, notes, files and watchers move there."),
    )
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea)
