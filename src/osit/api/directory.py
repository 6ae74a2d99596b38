"""``/me``, ``/services``, ``/applications``, ``/users`` and the caller's ``/tokens``."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema
from ninja import Status as Reply
from ninja.errors import AuthenticationError
from pydantic import Field

from osit.api.cursor import Ordering, page
from osit.api.schemas import (
    ApplicationOut,
    Error,
    Me,
    ServiceOut,
    TokenCreated,
    TokenCreateIn,
    TokenOut,
    UserOut,
)
from osit.core.errors import InvalidInput
from osit.directory import actions as directory_actions
from osit.directory.models import ApiToken, Application, Service, User
from osit.directory.queries import name_condition
from osit.tickets.choices import Channel
from osit.tickets.policy import is_agent
from osit.web import ratelimit

router = Router(tags=["directory"])

ERRORS = {401: Error, 403: Error, 404: Error, 409: Error, 422: Error, 429: Error}
BY_ID = Ordering("users", ("id",))


class UserPage(Schema):
    items: list[UserOut]
    next_cursor: str | None


class UserFilter(Schema):
    q: str = Field("", description="Start of a name, user name or e-mail.")
    limit: int = Field(50, ge=1, le=200)
    cursor: str | None = None


def _user_out(user: User) -> dict:
    roles = {g.name for g in user.groups.all()}
    if user.is_superuser:
        roles.add("admin")
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "roles": sorted(roles),
    }


@router.get("/me", response={200: Me, **ERRORS}, summary="The caller")
def me(request: HttpRequest) -> dict:
    user = request.auth
    services = Service.objects.filter(members=user).order_by("name").only("slug", "name")
    return {
        "username": user.username,
        "name": user.display_name,
        "email": user.email,
        "roles": sorted(user.role_names),
        "services": [{"slug": s.slug, "name": s.name} for s in services],
        "language": user.language or "",
    }


@router.get("/services", response={200: list[ServiceOut], **ERRORS}, summary="Services")
def services(request: HttpRequest) -> list[dict]:
    return [
        {"slug": s.slug, "name": s.name, "email": s.email, "active": s.is_active}
        for s in Service.objects.order_by("name").only("slug", "name", "email", "is_active")
    ]


@router.get("/applications", response={200: list[ApplicationOut], **ERRORS}, summary="Applications")
def applications(request: HttpRequest) -> list[dict]:
    rows = Application.objects.select_related("service").order_by("name")
    return [
        {"slug": a.slug, "name": a.name, "service": a.service.slug if a.service_id else None}
        for a in rows
    ]


@router.get("/users", response={200: UserPage, **ERRORS}, summary="People")
def users(request: HttpRequest, filters: Query[UserFilter]) -> dict:
    """Agents look people up by the start of a name, user name or e-mail; a requester sees
    only themselves."""
    caller = request.auth
    qs = User.objects.filter(is_active=True).prefetch_related("groups")
    if not is_agent(caller):
        qs = qs.filter(pk=caller.pk)
    term = " ".join(filters.q.split())
    if term:
        qs = qs.filter(name_condition(term))
    rows, next_cursor = page(qs, BY_ID, cursor=filters.cursor, limit=filters.limit)
    return {"items": [_user_out(u) for u in rows], "next_cursor": next_cursor}


# --- tokens ---------------------------------------------------------------------------------


def _token_out(token: ApiToken) -> dict:
    return {
        "id": token.pk,
        "name": token.name,
        "prefix": token.prefix,
        "created_at": token.created_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


@router.get("/tokens", response={200: list[TokenOut], **ERRORS}, tags=["tokens"])
def tokens(request: HttpRequest) -> list[dict]:
    """The caller's tokens, newest first (revoked ones too, marked)."""
    return [_token_out(t) for t in ApiToken.objects.filter(user=request.auth).order_by("-id")]


def _password_user(request: HttpRequest, username: str, password: str) -> User:
    from django.contrib.auth import authenticate

    address = ratelimit.client_address(request)
    if ratelimit.is_blocked(username, address):
        raise _TooMany()
    user = authenticate(request, username=username, password=password)
    if user is None:
        ratelimit.record_failure(username, address)
        raise InvalidInput(_("The user name or the password is wrong."), field="password")
    ratelimit.clear_user(username)
    return user


class _TooMany(Exception):
    pass


@router.post(
    "/tokens",
    response={201: TokenCreated, **ERRORS},
    auth=None,
    tags=["tokens"],
    summary="Create a personal token",
)
def create_token(request: HttpRequest, payload: TokenCreateIn) -> Reply[Any]:
    """With a token or the session: a new token for the caller. Without credentials: give
    `username` and `password` (what `osit login` does); failures are rate-limited like the login
    page."""
    from osit.api.app import error_response
    from osit.api.auth import SessionCsrfAuth, TokenAuth

    user = TokenAuth()(request)
    if not user and request.COOKIES.get(settings.SESSION_COOKIE_NAME):
        user = SessionCsrfAuth()(request)  # a browser: its session, with CSRF
    if not user:
        if not payload.username or payload.password is None:
            raise AuthenticationError()
        try:
            user = _password_user(request, payload.username, payload.password)
        except _TooMany:
            response = error_response(
                request, 429, _("Too many failed attempts; wait a few minutes.")
            )
            response["Retry-After"] = str(ratelimit.WINDOW_SECONDS)
            return response  # type: ignore[return-value]
    token = directory_actions.create_token(
        actor=user, channel=Channel.API, user=user, name=payload.name
    )
    row = ApiToken.objects.get(digest=directory_actions.token_digest(token))
    return Reply(201, {"id": row.pk, "name": row.name, "token": token})


@router.delete("/tokens/{token_id}", response={204: None, **ERRORS}, tags=["tokens"])
def revoke_token(request: HttpRequest, token_id: int) -> Reply[Any]:
    """Revoke one of the caller's tokens; it stops working at once."""
    directory_actions.revoke_token(actor=request.auth, channel=Channel.API, token_id=token_id)
    return Reply(204, None)
