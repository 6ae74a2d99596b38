"""Account pages: log in and out, change password, profile, notifications."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout, update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_POST

from osit.core.errors import NotFound
from osit.directory.actions import create_token, revoke_token
from osit.directory.choices import Role
from osit.tickets.choices import Channel
from osit.tickets.notifications import mark_notifications_read, notifications_for
from osit.tickets.policy import is_agent
from osit.web import ratelimit

NOTIFICATIONS_PAGE_SIZE = 50


def _next_url(request: HttpRequest, user) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url("web:home" if is_agent(user) else "web:portal")


def _remember_language(response: HttpResponse, user) -> None:
    """Start the session in the language the user chose in their profile."""
    if user.language:
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            user.language,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
        )


@sensitive_post_parameters("password")
@csrf_protect
@never_cache
def login_view(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated and request.method != "POST":
        return redirect(_next_url(request, request.user))
    form = AuthenticationForm(request, data=request.POST if request.method == "POST" else None)
    status, refusal = 200, ""
    if request.method == "POST":
        username = request.POST.get("username", "")
        address = ratelimit.client_address(request)
        if ratelimit.is_blocked(username, address):
            # Refused before the password is checked, so guessing stops teaching anything.
            form = AuthenticationForm(request, initial={"username": username})
            refusal = _("Too many failed attempts. Wait 15 minutes, then try again.")
            status = 429
        elif form.is_valid():
            user = form.get_user()
            login(request, user)
            ratelimit.clear_user(username)
            response = redirect(_next_url(request, user))
            _remember_language(response, user)
            return response
        else:
            ratelimit.record_failure(username, address)
    context = {
        "form": form,
        "refusal": refusal,
        "next": request.POST.get("next") or request.GET.get("next", ""),
    }
    return render(request, "osit/login.html", context, status=status)


@require_POST
def logout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    messages.info(request, _("You are logged out."))
    return redirect("web:login")


@sensitive_post_parameters()
@csrf_protect
@login_required
def password_change(request: HttpRequest) -> HttpResponse:
    form = PasswordChangeForm(request.user, request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        # Keep this session logged in; every other session of the user is logged out.
        update_session_auth_hash(request, user)
        messages.success(request, _("Your password has been changed."))
        return redirect("web:profile")
    return render(request, "osit/password_change.html", {"form": form, "nav_active": "profile"})


def _role_label(name: str) -> str:
    return str(Role(name).label) if name in Role.values else name


@login_required
def profile(request: HttpRequest, *, new_token: str = "", status: int = 200) -> HttpResponse:
    user = request.user
    context = {
        "new_token": new_token,
        "profile_user": user,
        "roles": [_role_label(name) for name in sorted(user.role_names)],
        "services": user.services.order_by("name").only("slug", "name"),
        "organisation": user.organisation,
        "language_name": dict(settings.LANGUAGES).get(user.language) if user.language else None,
        "tokens": user.api_tokens.order_by("-created_at"),
        "nav_active": "profile",
    }
    return render(request, "osit/profile.html", context, status=status)


@login_required
@require_POST
@never_cache
def token_create(request: HttpRequest) -> HttpResponse:
    """A new personal API token, shown once on the page that answers this POST."""
    name = (request.POST.get("name") or "").strip()[:100]
    token = create_token(actor=request.user, channel=Channel.WEB, user=request.user, name=name)
    return profile(request, new_token=token, status=201)


@login_required
@require_POST
def token_revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    try:
        revoke_token(actor=request.user, channel=Channel.WEB, token_id=token_id)
    except NotFound as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The token is revoked; programs using it are refused."))
    return redirect("web:profile")


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    page = Paginator(
        notifications_for(request.user)
        .select_related("ticket")
        .only("id", "message", "created_at", "read_at", "ticket__id", "ticket__subject"),
        NOTIFICATIONS_PAGE_SIZE,
    ).get_page(request.GET.get("page"))
    # Evaluated before marking, so the page still shows which ones were new.
    items = list(page.object_list)
    mark_notifications_read(request.user)
    return render(
        request,
        "osit/notifications.html",
        {"page_obj": page, "items": items, "nav_active": "notifications"},
    )
