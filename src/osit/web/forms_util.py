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
