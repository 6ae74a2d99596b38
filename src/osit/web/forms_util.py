"""Shared form plumbing: a domain error becomes a field error next to the field it names."""

from __future__ import annotations

from django import forms

from osit.core.errors import DomainError


def add_domain_error(
    form: forms.Form, exc: DomainError, *, aliases: dict[str, str] | None = None
) -> None:
    """Show ``exc`` next to the form field it names (``aliases`` maps action → form names)."""
    field = exc.field
    if field and aliases:
        field = aliases.get(field, field)
    form.add_error(field if field in form.fields else None, exc.message)


class _RowChoiceIterator(forms.models.ModelChoiceIterator):
    """The choices of a :class:`RowChoiceField`: plain rows, no model instance per option."""

    field: RowChoiceField

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for pk, *label in self.queryset.values_list("pk", *self.field.label_fields):
            yield (forms.models.ModelChoiceIteratorValue(pk, None), self.field.label_of(*label))


def _name(name: str) -> str:
    return name


class RowChoiceField(forms.ModelChoiceField):
    """A ``ModelChoiceField`` whose menu is read as rows of ``label_fields`` (default: the name).

    Validation still fetches the chosen object, so ``cleaned_data`` holds an instance; only the
    menu skips building a model instance per option (150 applications on every ticket page).
    ``label_of(*columns)`` must give what ``str(instance)`` gives.
    """

    iterator = _RowChoiceIterator

    def __init__(self, *args, label_fields=("name",), label_of=_name, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.label_fields = tuple(label_fields)
        self.label_of = label_of
