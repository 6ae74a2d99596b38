"""The quick create form of the agent home page (RT's "quick ticket creation")."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from osit.directory.models import Application, Service
from osit.tickets.actions import MAX_SUBJECT
from osit.tickets.choices import Criticality, Severity
from osit.web.forms_util import Menu, RowChoiceField

_SERVICES = Menu(lambda: Service.objects.filter(is_active=True).order_by("name"))
_APPLICATIONS = Menu(
    lambda: Application.objects.filter(is_active=True).only("id", "name").order_by("name")
)


class QuickCreateForm(forms.Form):
    """Checks shapes only; the rules (who may create, which service) are create_ticket's."""

    subject = forms.CharField(label=_("Subject"), max_length=MAX_SUBJECT)
    requester = forms.CharField(
        label=_("Requester"),
        max_length=254,
        help_text=_("User name or e-mail address."),
    )
    service = RowChoiceField(
        label=_("Service"),
        queryset=Service.objects.none(),
        required=False,
        empty_label=_("— from the application —"),
    )
    application = RowChoiceField(
        label=_("Application"),
        queryset=Application.objects.none(),
        required=False,
        empty_label=_("— none —"),
    )
    severity = forms.ChoiceField(
        label=_("Severity"), choices=Severity.choices, initial=Severity.MODERATE
    )
    criticality = forms.ChoiceField(
        label=_("Criticality"), choices=Criticality.choices, initial=Criticality.NON_BLOCKING
    )

    # Maps the fields named by create_ticket/find_user errors onto this form's fields.
    error_aliases = {"type": "criticality"}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "qc-%s")
        super().__init__(*args, **kwargs)
        self.fields["service"].use_menu(_SERVICES)
        self.fields["application"].use_menu(_APPLICATIONS)
        self.fields["subject"].widget.attrs["autocomplete"] = "off"
        self.fields["requester"].widget.attrs["autocomplete"] = "off"
