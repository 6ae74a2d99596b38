"""The HTTP side of ``osit ticket`` and ``osit login``: a small REST API v1 client.

Only the standard library (urllib), so the client works wherever ``osit`` is installed, without
Django or a database. Where to connect, in order of precedence: ``--url``/``--token``, the
environment (``OSIT_URL``, ``OSIT_TOKEN``), then the file ``osit login`` writes
(``$OSIT_CLIENT_CONFIG``, default ``$XDG_CONFIG_HOME/osit/client.json`` or
``~/.config/osit/client.json``, mode 0600).
"""

from __future__ import annotations

import functools
import http.client
import json
import os
import socket
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from osit.cli.base import CommandError

TIMEOUT = 30
F = TypeVar("F", bound=Callable[..., int])


def config_path() -> Path:
    explicit = os.environ.get("OSIT_CLIENT_CONFIG")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "osit" / "client.json"


def read_config() -> dict[str, Any]:
    path = config_path()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read {path}: {exc} — run osit login again.") from None
    return data if isinstance(data, dict) else {}


def write_config(data: dict[str, Any]) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Created 0600 before anything is written: the token never sits in a readable file.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
    os.chmod(path, 0o600)
    return path


class ApiError(CommandError):
    """An error answer of the API, as one line a person can act on."""

    def __init__(self, status: int, body: dict[str, Any] | None, fallback: str = "") -> None:
        body = body or {}
        code = str(body.get("code") or "").replace("_", " ")
        message = " ".join(str(body.get("message") or fallback or "no details").split())
        line = f"{status} {code}: {message}" if code else f"{status}: {message}"
        if body.get("allowed"):
            line += f" (allowed: {', '.join(map(str, body['allowed']))})"
        if status == 401:
            line = "401: not logged in or the token is invalid — run osit login, or set OSIT_TOKEN"
        super().__init__(line)
        self.status = status
        self.body = body


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: urllib would turn a POST into a GET and send the token on to
    wherever it is told. A redirect is reported instead (usually OSIT_URL wants https://)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class Client:
    url: str
    token: str | None

    @classmethod
    def from_args(cls, url: str | None = None, token: str | None = None) -> Client:
        config = read_config()
        base = url or os.environ.get("OSIT_URL") or config.get("url")
        if not base:
            raise CommandError("no server configured — set OSIT_URL or run osit login")
        if not base.startswith(("http://", "https://")):
            raise CommandError(f"{base!r} is not an http(s) URL — check OSIT_URL.")
        base = base.rstrip("/").removesuffix("/api/v1")  # the server's address is what we want
        return cls(base, token or os.environ.get("OSIT_TOKEN") or config.get("token"))

    def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
    ) -> Any:
        query = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        address = f"{self.url}/api/v1{path}"
        if query:
            address += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if body is not None else None
        sent = {"Accept": "application/json", **(headers or {})}
        if data is not None:
            sent["Content-Type"] = "application/json"
        if auth:
            if not self.token:
                raise CommandError("401: not logged in — run osit login, or set OSIT_TOKEN")
            sent["Authorization"] = f"Bearer {self.token}"
        # The scheme was checked to be http(s) in from_args.
        req = urllib.request.Request(address, data=data, method=method, headers=sent)  # noqa: S310
        try:
            with _OPENER.open(req, timeout=TIMEOUT) as response:
                raw = response.read()
        except urllib.error.HTTPError as exc:
            raise self._error(exc) from None
        except urllib.error.URLError as exc:
            raise self._unreachable(exc.reason) from None
        except TimeoutError:
            raise CommandError(f"{self.url} did not answer within {TIMEOUT} s") from None
        except (OSError, http.client.HTTPException) as exc:
            # Not wrapped by urllib: the connection dropped while waiting for or reading the answer.
            raise self._unreachable(exc) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise CommandError(
                f"{self.url} answered something that is not JSON — is it OSIT? Check OSIT_URL."
            ) from None

    def _error(self, exc: urllib.error.HTTPError) -> CommandError:
        try:
            parsed = json.loads(exc.read())
        except (OSError, http.client.HTTPException, ValueError):
            parsed = None
        ours = isinstance(parsed, dict) and "message" in parsed
        if exc.code == 429:
            wait = exc.headers.get("Retry-After") or "a few"
            said = " ".join(str(parsed["message"]).split()) + " " if ours else ""
            return CommandError(f"429 too many requests: {said}Retry after {wait} seconds.")
        if ours:
            return ApiError(exc.code, parsed)
        # Not an error of OSIT's API: a proxy, another site, or a wrong path in OSIT_URL.
        where = exc.headers.get("Location")
        moved = f", to {where}" if 300 <= exc.code < 400 and where else ""
        return ApiError(
            exc.code,
            None,
            f"{exc.reason}{moved} (not an answer of OSIT's API) — check OSIT_URL: "
            "the server's address, e.g. https://desk.example.org",
        )

    def _unreachable(self, reason: object) -> CommandError:
        if isinstance(reason, ConnectionRefusedError):
            why = "connection refused"
        elif isinstance(reason, socket.gaierror):
            why = "unknown host"
        elif isinstance(reason, http.client.RemoteDisconnected | ConnectionResetError):
            why = "the connection was closed without an answer"
        elif isinstance(reason, TimeoutError):
            why = "timed out"
        else:
            why = str(reason) or type(reason).__name__
        return CommandError(
            f"cannot reach {self.url} ({why}) — is osit serve running? Set OSIT_URL."
        )


def api_command(func: F) -> F:
    """Turn an answer of an unexpected shape (another program, an incompatible version) into one
    line instead of a traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> int:
        try:
            return func(*args, **kwargs)
        except (KeyError, TypeError, AttributeError) as exc:
            raise CommandError(
                f"the server's answer is not what osit expected ({type(exc).__name__}: {exc}) — "
                "is OSIT_URL an OSIT server of a compatible version?"
            ) from None

    return wrapper  # type: ignore[return-value]
