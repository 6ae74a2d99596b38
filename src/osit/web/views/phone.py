"""The operator's phone quick create (SPEC §3 Phone), built for speed during a call.

``/phone/new/?caller=<number>`` is what a telephony system opens on an incoming call: the caller
is found by number and their recent tickets are shown. While the operator types a name, e-mail or
number, HTMX asks ``lookup`` for suggestions; choosing one asks ``recent`` for that caller's last
tickets and fills the form; choosing an application asks ``suggest_service`` for its service.
Without JavaScript the form still works: the caller typed in full is resolved on submit.
"""

from __future__ import annotations

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from osit.core.errors import DomainError
from osit.directory.models import Application, User
from osit.directory.queries import LOOKUP_LIMIT, by_phone, search_requesters
from osit.tickets.actions import create_ticket
from osit.tickets.choices import Channel
from osit.tickets.models import Ticket
from osit.tickets.policy import visible_tickets
from osit.web.forms_phone import PhoneTicketForm
from osit.web.forms_util import add_domain_error
from osit.web.views.lists import agent_required

RECENT_LIMIT = 10
_RECENT_FIELDS = ("id", "subject", "status", "created_at", "service__name")


def recent_tickets(user: User, caller: User) -> QuerySet[Ticket]:
    """The caller's last tickets that ``user`` may see, newest first (one query)."""
    return (
        visible_tickets(user)
        .filter(requester_id=caller.pk)
        .select_related("service")
        .only(*_RECENT_FIELDS)
        .order_by("-id")[:RECENT_LIMIT]
    )


def _caller_number(raw: str) -> str:
    # "?caller=+33…" sent unencoded by a telephony system reaches us as " 33…": a query string
    # turns "+" into a space. A number never starts with a space, so that one was a "+".
    if raw[:1] == " " and raw.strip()[:1].isdigit():
        return "+" + raw.strip()
    return raw.strip()


def _active_user(value: str | None) -> User | None:
    try:
        pk = int(value or "")
    except ValueError:
        return None
    return User.objects.filter(pk=pk, is_active=True).first()


def _prefill(request: HttpRequest) -> dict[str, object]:
    """What the GET parameters say about the caller: ``caller=<number>`` or ``requester=<id>``."""
    context: dict[str, object] = {"caller": None, "candidates": [], "caller_number": ""}
    number = _caller_number(request.GET.get("caller", ""))
    if number:
        found = list(by_phone(number)[:LOOKUP_LIMIT])
        context["caller_number"] = number
        if len(found) == 1:
            context["caller"] = found[0]
        else:
            context["candidates"] = found
    else:
        context["caller"] = _active_user(request.GET.get("requester"))
    return context


def _render(
    request: HttpRequest, form: PhoneTicketForm, context: dict[str, object], *, status: int = 200
) -> HttpResponse:
    caller = context.get("caller")
    context = {
        **context,
        "form": form,
        "nav_active": "phone",
        "recent": list(recent_tickets(request.user, caller)) if caller else [],
        "recent_limit": RECENT_LIMIT,
    }
    return render(request, "osit/phone/new.html", context, status=status)


def _create(form: PhoneTicketForm, actor: User) -> Ticket | None:
    data = form.cleaned_data
    try:
        return create_ticket(
            actor=actor,
            channel=Channel.PHONE,
            requester=form.caller,
            subject=data["subject"],
            description=data["description"],
            application=data["application"],
            service=data["service"],
            severity=data["severity"],
            criticality=data["criticality"],
        )
    except DomainError as exc:
        add_domain_error(form, exc, aliases=form.error_aliases)
        return None


@agent_required
def new(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        context = _prefill(request)
        caller = context["caller"]
        initial = {"requester": caller.username, "requester_id": caller.pk} if caller else {}
        return _render(request, PhoneTicketForm(initial=initial), context)
    form = PhoneTicketForm(request.POST)
    ticket = _create(form, request.user) if form.is_valid() else None
    if ticket is None:
        return _render(request, form, {"caller": form.caller}, status=400)
    messages.success(
        request,
        _("Ticket #%(number)d created for %(requester)s.")
        % {"number": ticket.number, "requester": form.caller.display_name},
    )
    return redirect("web:ticket", number=ticket.number)


@agent_required
@require_GET
def lookup(request: HttpRequest) -> HttpResponse:
    """Suggestions for what the operator typed (``q``, or the form's ``requester`` field)."""
    term = request.GET.get("q") or request.GET.get("requester") or ""
    return render(
        request,
        "osit/phone/_suggestions.html",
        {"candidates": search_requesters(term), "term": term.strip(), "oob": True},
    )


@agent_required
@require_GET
def recent(request: HttpRequest) -> HttpResponse:
    """The chosen caller's recent tickets; also fills the caller fields of the form (HTMX)."""
    caller = _active_user(request.GET.get("requester"))
    form = PhoneTicketForm(
        initial={"requester": caller.username, "requester_id": caller.pk} if caller else {}
    )
    context = {
        "caller": caller,
        "form": form,
        "recent": list(recent_tickets(request.user, caller)) if caller else [],
        "recent_limit": RECENT_LIMIT,
        "oob": True,
    }
    return render(request, "osit/phone/_recent.html", context, status=200 if caller else 404)


@agent_required
@require_GET
def suggest_service(request: HttpRequest) -> HttpResponse:
    """The service select, with the chosen application's service selected (HTMX swap)."""
    application = _active_application(request.GET.get("application"))
    current = request.GET.get("service") or None
    suggested = application.service if application and application.service_id else None
    if suggested is not None and not suggested.is_active:
        suggested = None
    form = PhoneTicketForm(initial={"service": suggested.pk if suggested else current})
    return render(
        request,
        "osit/phone/_service_field.html",
        {"form": form, "suggested": suggested, "application": application},
    )


def _active_application(value: str | None) -> Application | None:
    try:
        pk = int(value or "")
    except ValueError:
        return None
    return (
        Application.objects.filter(pk=pk, is_active=True)
        .select_related("service")
        .only("id", "name", "service__id", "service__name", "service__is_active")
        .first()
    )
