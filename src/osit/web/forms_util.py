"""Shared form plumbing: a domain error becomes a field error next to the field it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django import forms
from django.db.models import QuerySet

from osit.core.errors import DomainError
from osit.core.queries import Ahead, Reusable


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
        menu = self.field.menu
        rows = (
            menu.rows.list()
            if menu is not None
            else self.queryset.values_list("pk", *self.field.label_fields)
        )
        for pk, *label in rows:
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
    menu: Menu | None = None

    def __init__(self, *args, label_fields=("name",), label_of=_name, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.label_fields = tuple(label_fields)
        self.label_of = label_of

    def use_menu(self, menu: Menu) -> None:
        """Offer ``menu``'s rows, and accept its objects."""
        if menu.label_fields != self.label_fields:
            raise ValueError(f"the menu reads {menu.label_fields}, the field {self.label_fields}")
        self.queryset = menu.build()
        self.menu = menu


class Menu:
    """The same choices for every form: the queryset ``build()`` gives, its menu read as rows
    by SQL composed once per process (``osit.core.queries.Reusable``; issue 5)."""

    def __init__(self, build: Callable[[], QuerySet[Any]], label_fields=("name",)) -> None:
        self.build = build
        self.label_fields = tuple(label_fields)
        self.rows = Reusable(lambda: build().values_list("pk", *self.label_fields))

    def ahead(self) -> Ahead:
        """The read of the menu's rows, for ``osit.core.queries.read_ahead``."""
        return self.rows.ahead()
