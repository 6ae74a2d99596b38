"""Login rate limit (SPEC §1): too many failures per username or per client address → refused.

Counters live in the Django cache (the database cache by default, Redis when configured), so
every web worker shares them. A counter expires ``WINDOW_SECONDS`` after the last failure it
counted, so N failures within any 15 minutes always block. Refused attempts are not counted: the
block lifts 15 minutes after the last real failure.
A successful login clears the username's counter but not the address's, so an attacker who owns
one account cannot reset the limit of an address they guess from.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

WINDOW_SECONDS = 15 * 60


def _key(kind: str, value: str) -> str:
    # Hashed: usernames may hold characters that some cache backends refuse in keys.
    digest = hashlib.sha256(value.encode("utf-8")).hexdigest()[:32]
    return f"osit:login-fail:{kind}:{digest}"


def client_address(request: HttpRequest) -> str:
    """The peer address. Behind a reverse proxy, the proxy must set REMOTE_ADDR correctly."""
    return request.META.get("REMOTE_ADDR") or "unknown"


def _keys(username: str, address: str) -> list[str]:
    keys = [_key("addr", address)]
    if username:
        keys.append(_key("user", username.strip().lower()))
    return keys


def is_blocked(username: str, address: str) -> bool:
    """True when the username or the address has used up its failures in the window."""
    limit = settings.OSIT_LOGIN_RATE_LIMIT
    counts = cache.get_many(_keys(username, address))
    return any(count >= limit for count in counts.values())


def record_failure(username: str, address: str) -> None:
    for key in _keys(username, address):
        cache.add(key, 0, WINDOW_SECONDS)
        try:
            cache.incr(key)
        except ValueError:
            # Expired between add() and incr().
            cache.set(key, 1, WINDOW_SECONDS)
        # The database cache's incr() re-sets the key with the default timeout; restore ours.
        cache.touch(key, WINDOW_SECONDS)


def clear_user(username: str) -> None:
    if username:
        cache.delete(_key("user", username.strip().lower()))
