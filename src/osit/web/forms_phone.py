"""The operator's phone quick-create form (SPEC §3 Phone), built to be filled during a call.

It checks shapes only and finds the caller; the rules (who may create, which service) are
create_ticket's, whose messages the view puts next to the field with add_domain_error.
"""

from __future__ import annotations

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from osit.core.errors import DomainError
from osit.directory.models import Application, Service, User
from osit.directory.queries import resolve_requester
from osit.tickets.actions import MAX_SUBJECT
from osit.tickets.choices import Criticality, Severity
from osit.web.forms_util import RowChoiceField


class PhoneTicketForm(forms.Form):
    """A ticket taken by phone. ``requester_id`` is set when a suggestion was chosen; without
    JavaScript the ``requester`` text (user name, e-mail or phone) is resolved instead."""

    requester = forms.CharField(
        label=_("Caller"),
        max_length=254,
        required=False,
        help_text=_("Name, e-mail or phone: suggestions appear as you type."),
    )
    requester_id = forms.IntegerField(required=False, widget=forms.HiddenInput)
    subject = forms.CharField(
        label=_("Subject"),
        max_length=MAX_SUBJECT,
        error_messages={"required": _("A subject is required.")},
    )
    description = forms.CharField(
        label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )
    application = RowChoiceField(
        label=_("Application"),
        queryset=Application.objects.filter(is_active=True).only("id", "name").order_by("name"),
        required=False,
        empty_label=_("— none —"),
    )
    # Left empty, create_ticket takes the application's service.
    service = RowChoiceField(
        label=_("Service"),
        queryset=Service.objects.filter(is_active=True).only("id", "name").order_by("name"),
        required=False,
        empty_label=_("— the application's service —"),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MODERATE
    )
    criticality = forms.ChoiceField(
        label=_("Criticality"), choices=Criticality.choices, initial=Criticality.NON_BLOCKING
    )

    # create_ticket names ``type`` when the criticality makes an impossible ticket type.
    error_aliases = {"type": "criticality"}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "phone-%s")
        super().__init__(*args, **kwargs)
        self.caller: User | None = None
        # Once the caller is known the operator's next words are the subject.
        known = bool(self.initial.get("requester_id"))
        self.fields["subject" if known else "requester"].widget.attrs["autofocus"] = True
        self.fields["subject"].widget.attrs["autocomplete"] = "off"
        self.fields["requester"].widget.attrs.update(
            {
                "autocomplete": "off",
                "hx-get": reverse_lazy("web:phone_lookup"),
                "hx-trigger": "keyup changed delay:200ms",
                "hx-target": "#phone-suggestions",
                "hx-swap": "innerHTML",
                "aria-controls": "phone-suggestions",
            }
        )
        self.fields["application"].widget.attrs.update(
            {
                "hx-get": reverse_lazy("web:phone_suggest"),
                "hx-trigger": "change",
                "hx-target": "#phone-service-field",
                "hx-swap": "outerHTML",
                "hx-include": "#phone-service",
            }
        )

    def clean(self) -> dict:
        data = super().clean()
        self.caller = self._find_caller(data)
        return data

    def _find_caller(self, data: dict) -> User | None:
        text = (data.get("requester") or "").strip()
        chosen = data.get("requester_id")
        if chosen:
            user = User.objects.filter(pk=chosen, is_active=True).first()
            # Without JavaScript nothing clears the id when the operator types another caller
            # over a pre-filled one: the text wins unless it still names the chosen person.
            if user is not None and text in ("", user.username):
                return user
        try:
            return resolve_requester(text)
        except DomainError as exc:
            self.add_error("requester", exc.message)
            return None
