"""Forms of the self-service portal (SPEC §3): a requester opens, answers and closes their tickets.

They check shapes only; the rules (the reopening window, who may reply) are the actions', whose
messages the views put next to the field with add_domain_error.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from osit.directory.models import Application
from osit.tickets.actions import MAX_SUBJECT
from osit.web.forms_ticket import MultipleFileField
from osit.web.forms_util import RowChoiceField

# The actions name the file field "attachment"; the forms accept several.
FILE_ALIASES = {"attachment": "attachments"}


class PortalTicketForm(forms.Form):
    application = RowChoiceField(
        label=_("Application"),
        queryset=Application.objects.filter(is_active=True).only("id", "name").order_by("name"),
        required=False,
        empty_label=_("— I don't know —"),
        help_text=_("The system your request is about, if you know it."),
    )
    subject = forms.CharField(
        label=_("Subject"),
        max_length=MAX_SUBJECT,
        required=False,
        help_text=_("In a few words, what is wrong or what you need."),
    )
    description = forms.CharField(
        label=_("Description"),
        widget=forms.Textarea,
        required=False,
        help_text=_("What you did, what happened, any error message, since when."),
    )
    attachments = MultipleFileField(
        label=_("Attachments"), help_text=_("Screenshots or files that help (optional).")
    )

    error_aliases = FILE_ALIASES

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "new-%s")
        super().__init__(*args, **kwargs)


class PortalReplyForm(forms.Form):
    body = forms.CharField(
        label=_("Your reply"), widget=forms.Textarea(attrs={"rows": 5}), required=False
    )
    attachments = MultipleFileField(label=_("Attachments"))

    error_aliases = FILE_ALIASES

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "reply-%s")
        super().__init__(*args, **kwargs)


class ReopenForm(forms.Form):
    comment = forms.CharField(
        label=_("What is still wrong?"), widget=forms.Textarea(attrs={"rows": 3}), required=False
    )

    error_aliases = {"status": "comment"}

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "reopen-%s")
        super().__init__(*args, **kwargs)
