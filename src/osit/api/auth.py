"""Who is calling: a personal token (``Authorization: Bearer``) or the web session with CSRF.

Also the API's rate limits (SPEC §1, §11): requests per minute per user and per client address,
counted in the ``ratelimit`` cache (per process when embedded, Redis when configured). Beyond
them the API answers 429 with ``Retry-After``.
"""

from __future__ import annotations

import hashlib
import threading
import time
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth
from ninja.throttling import BaseThrottle

from osit.directory.actions import user_for_token
from osit.web.ratelimit import client_address

WINDOW = 60


class TokenAuth(HttpBearer):
    openapi_description = "A personal API token: `osit token create USER` or your profile page."

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = user_for_token(token.strip())
        if user is not None:
            request.user = user
        return user


class SessionCsrfAuth(SessionAuth):
    """The logged-in browser session; unsafe methods need the CSRF token (X-CSRFToken)."""

    openapi_description = "The web session cookie; POST, PATCH and DELETE need X-CSRFToken."


def _hit(scope: str, ident: str, limit: int) -> int | None:
    """Count a request; the seconds to wait when ``limit`` per window is exceeded, else None."""
    cache = caches["ratelimit"]
    window = int(time.time() // WINDOW)
    digest = hashlib.sha256(ident.encode()).hexdigest()[:24]
    key = f"osit:api:{scope}:{digest}:{window}"
    if cache.add(key, 1, WINDOW + 5):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.set(key, 1, WINDOW + 5)
            count = 1
    if count > limit:
        return max(1, (window + 1) * WINDOW - int(time.time()))
    return None


class UserAndAddressThrottle(BaseThrottle):
    """Both limits on every authenticated request (auth runs first; see api.Limits)."""

    # One instance serves every thread: the wait of the refused request is kept per thread.
    def __init__(self) -> None:
        self._local = threading.local()

    def allow_request(self, request: HttpRequest) -> bool:
        waits = [
            _hit("addr", client_address(request), settings.OSIT_API_RATE_LIMIT_ADDRESS),
        ]
        user = getattr(request, "auth", None) or getattr(request, "user", None)
        if user is not None and getattr(user, "pk", None):
            waits.append(_hit("user", str(user.pk), settings.OSIT_API_RATE_LIMIT))
        blocked = [w for w in waits if w]
        self._local.wait = max(blocked) if blocked else None
        return not blocked

    def wait(self) -> float | None:
        return getattr(self._local, "wait", None)


def address_blocked(request: HttpRequest) -> int | None:
    """Count a request that no credentials came with (401s count too); seconds to wait or None."""
    return _hit("addr", client_address(request), settings.OSIT_API_RATE_LIMIT_ADDRESS)
