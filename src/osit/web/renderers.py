"""A form renderer that writes Django's stock widgets in Python (``FORM_RENDERER``).

Django renders every widget through a template, and a ``<select>`` includes one template per
option: the ticket page's action forms (owners, services, applications, statuses…) cost
hundreds of template renders and half of the page's time (issue 5). This renderer produces the
same markup as Django's ``input``, ``select``, ``textarea``, radio and checkbox templates — byte
for byte, checked by tests against the stock renderer — and leaves every other template to the
template engine.
"""

from __future__ import annotations

from typing import Any

from django.forms.renderers import DjangoTemplates
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe

_W = "django/forms/widgets/"
_INPUTS = frozenset(
    _W + name + ".html"
    for name in (
        "input",
        "text",
        "email",
        "number",
        "password",
        "hidden",
        "search",
        "tel",
        "url",
        "date",
        "datetime",
        "time",
        "color",
        "checkbox",
        "file",
    )
)
_SELECT = _W + "select.html"
_OPTION = _W + "select_option.html"
_TEXTAREA = _W + "textarea.html"
_CLEARABLE_FILE = _W + "clearable_file_input.html"
_MULTIPLE = frozenset(
    _W + name for name in ("radio.html", "checkbox_select.html", "multiple_input.html")
)
_INPUT_OPTIONS = frozenset(_W + name for name in ("radio_option.html", "checkbox_option.html"))


def _attrs(attrs: dict[str, Any]) -> str:
    """django/forms/widgets/attrs.html."""
    out = []
    for name, value in attrs.items():
        if value is False:
            continue
        if value is True:
            out.append(f" {conditional_escape(name)}")
        else:
            out.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(out)


def _input(widget: dict[str, Any]) -> str:
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value is not None else ""
    return (
        f'<input type="{conditional_escape(widget["type"])}" '
        f'name="{conditional_escape(widget["name"])}"{shown}{_attrs(widget["attrs"])}>'
    )


def _select(widget: dict[str, Any]) -> str | None:
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{conditional_escape(group_name)}">')
        for option in group_choices:
            if option.get("template_name") != _OPTION:
                return None  # a custom option template: let the engine render it all
            parts.append(
                f'\n  <option value="{conditional_escape(option["value"])}"'
                f"{_attrs(option['attrs'])}>{conditional_escape(option['label'])}</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict[str, Any]) -> str:
    value = widget["value"]
    return (
        f'<textarea name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>\n'
        f"{conditional_escape(value) if value else ''}</textarea>"
    )


def _input_option(option: dict[str, Any]) -> str:
    """django/forms/widgets/input_option.html (each file's final newline included)."""
    field = _input(option) + "\n"
    if not option.get("wrap_label"):
        return field + "\n"
    id_ = option["attrs"].get("id")
    opening = f'<label for="{conditional_escape(id_)}">' if id_ else "<label>"
    return f"{opening}{field} {conditional_escape(option['label'])}</label>\n"


def _multiple(widget: dict[str, Any]) -> str | None:
    """django/forms/widgets/multiple_input.html: radio buttons and checkboxes."""
    attrs = widget["attrs"]
    id_, css = attrs.get("id"), attrs.get("class")
    parts = [
        "<div",
        f' id="{conditional_escape(id_)}"' if id_ else "",
        f' class="{conditional_escape(css)}"' if css else "",
        ">",
    ]
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f"\n  <div><label>{conditional_escape(group_name)}</label>")
        for option in group_choices:
            if option.get("template_name") not in _INPUT_OPTIONS:
                return None  # a custom option template: let the engine render it all
            # radio_option.html and checkbox_option.html add their own final newline.
            parts.append(f"<div>\n    {_input_option(option)}\n</div>")
        if group_name:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


class FastWidgetRenderer(DjangoTemplates):
    """Django's template renderer, with the common widgets written directly.

    Like its parent, it always uses Django's own widget templates (its engine looks in
    ``django/forms/templates`` before any application), so the markup is never overridden.
    """

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        widget = context.get("widget")
        html: str | None = None
        if widget is not None:
            if template_name in _INPUTS:
                html = _input(widget)
            elif template_name == _SELECT:
                html = _select(widget)
            elif template_name == _TEXTAREA:
                html = _textarea(widget)
            elif template_name in _MULTIPLE:
                html = _multiple(widget)
            elif template_name == _CLEARABLE_FILE and not widget.get("is_initial"):
                # With no file yet, the template is its <input> alone (never a value).
                html = _input({**widget, "value": None})
        if html is None:
            return super().render(template_name, context, request)
        # The parent strips what its templates render; so does this.
        result: SafeString = mark_safe(html.strip())  # noqa: S308 — every value is escaped above
        return result
