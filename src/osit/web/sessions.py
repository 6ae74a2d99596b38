"""Who is asking, in one statement (issue 5).

Django reads a page's visitor in three statements — the session, the user, then (for OSIT's
policy) the user's roles and services — and the header's unread count is a fourth. Each one is
a round trip and a query for the ORM to build, on every page. Here the session row carries its
user's id (``WebSession.user``), so :class:`SessionStore` reads the session, the user, the names
of the user's groups, their services and their unread notifications in one fixed statement.

The user is handed to Django's own ``auth.get_user`` through :class:`SessionUserBackend`, so the
checks Django makes on every request stay Django's: the backend named in the session must be
configured, the user must be active, and the session's hash of the password must match.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextvars import ContextVar
from functools import wraps
from types import SimpleNamespace
from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib import auth
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.middleware import AuthenticationMiddleware as DjangoAuthMiddleware
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.db import connections, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from osit.core.queries import Ahead, Read, Statement, read_ahead
from osit.directory.models import Service, User
from osit.web.models import WebSession

GROUP_SEPARATOR = "\x1f"  # between group names; a name cannot hold a control character

# The user read with the session, for SessionUserBackend.get_user during auth.get_user only.
_loaded_user: ContextVar[User | None] = ContextVar("osit_session_user", default=None)


class _Statement:
    """The statement for one database vendor, and how to turn its row into objects."""

    def __init__(self, connection: Any) -> None:
        qn = connection.ops.quote_name
        user_fields = User._meta.concrete_fields
        session_fields = WebSession._meta.concrete_fields
        groups = User.groups.through
        members = Service.members.through
        notification = apps.get_model("tickets", "Notification")
        agg = "string_agg" if connection.vendor == "postgresql" else "group_concat"
        cols = [f"s.{qn(f.column)}" for f in session_fields]
        cols += [f"u.{qn(f.column)}" for f in user_fields]
        # Only names quoted from the models go into the text; every value is a parameter.
        self.sql = (
            f"SELECT {', '.join(cols)}, "  # noqa: S608
            f"(SELECT {agg}(g.{qn('name')}, %s) FROM {qn(groups._meta.db_table)} ug "
            f"INNER JOIN {qn('auth_group')} g ON g.{qn('id')} = ug.{qn('group_id')} "
            f"WHERE ug.{qn('user_id')} = u.{qn('id')}), "
            f"(SELECT {agg}(CAST(m.{qn('service_id')} AS TEXT), %s) "
            f"FROM {qn(members._meta.db_table)} m WHERE m.{qn('user_id')} = u.{qn('id')}), "
            f"(SELECT COUNT(*) FROM {qn(notification._meta.db_table)} n "
            f"WHERE n.{qn('user_id')} = u.{qn('id')} AND n.{qn('read_at')} IS NULL) "
            f"FROM {qn(WebSession._meta.db_table)} s "
            f"LEFT OUTER JOIN {qn(User._meta.db_table)} u ON u.{qn('id')} = s.{qn('user_id')} "
            f"WHERE s.{qn('session_key')} = %s AND s.{qn('expire_date')} > %s"
        )
        self.session_columns = self._columns(connection, WebSession, session_fields)
        self.user_columns = self._columns(connection, User, user_fields)
        self.user_attnames = [f.attname for f in user_fields]
        self.session_attnames = [f.attname for f in session_fields]

    @staticmethod
    def _columns(connection: Any, model: Any, fields: Sequence[Any]) -> list[tuple[Any, list]]:
        # Each column with what the ORM applies to it when it reads it (on SQLite: booleans,
        # aware datetimes), so that the objects are the ones a queryset would give.
        out = []
        for field in fields:
            col = field.get_col(model._meta.db_table)
            out.append(
                (col, connection.ops.get_db_converters(col) + col.get_db_converters(connection))
            )
        return out

    @staticmethod
    def convert(
        connection: Any, columns: list[tuple[Any, list]], values: Sequence[Any]
    ) -> list[Any]:
        row = []
        for (col, converters), value in zip(columns, values, strict=True):
            for converter in converters:
                value = converter(value, col, connection)
            row.append(value)
        return row


_statements: dict[str, _Statement] = {}


def _statement(alias: str) -> _Statement:
    if alias not in _statements:
        _statements[alias] = _Statement(connections[alias])
    return _statements[alias]


def _compose_session_read(session_key: str, *, using: str) -> Statement:
    """The session's statement for ``session_key``; its result is the rows (none or one)."""
    sql = _statement(using).sql
    params = [GROUP_SEPARATOR, ",", session_key, timezone.now()]

    def read(rows: list[tuple[Any, ...]] | None) -> list[tuple[Any, ...]]:
        if rows is not None:
            return rows
        with connections[using].cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()

    return Statement(sql, params, read)


SESSION_READ = Read(_compose_session_read)


def session_reads(request: HttpRequest) -> list[Ahead]:
    """The read of the visitor's session (and their user), for ``core.queries.read_ahead``: a
    view sends it with reads of its own, in one round trip, before it asks who is visiting.
    None without a session cookie (an anonymous visitor has nothing to read)."""
    session = getattr(request, "session", None)
    key = getattr(session, "session_key", None)
    if (
        not isinstance(session, SessionStore)
        or not key
        or getattr(session, "_session_cache", None) is not None
    ):
        return []
    return [SESSION_READ.ahead(key, using=router.db_for_read(WebSession))]


def read_with_session(
    reads: Callable[..., list[Ahead]],
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorate a view (outside ``login_required``) so that the reads ``reads(request, *args,
    **kwargs)`` names go to the database with the visitor's session, in one round trip, for a
    GET with a session cookie (``session_reads``). The view makes its reads as usual; those
    named here answer from what was read (``core.queries.read_ahead``). They are made before
    anyone is known, so they must not depend on who asks: whether the visitor may see what
    they read is still decided by the view, after it."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            session = session_reads(request) if request.method in ("GET", "HEAD") else []
            if not session:
                return view(request, *args, **kwargs)
            with read_ahead(*session, *reads(request, *args, **kwargs)):
                return view(request, *args, **kwargs)

        return wrapper

    return decorate


# Session data already decoded in this process, by its exact stored text (issue 5): checking
# its signature and parsing it was a twentieth of a list page. The same text decodes to the same
# values (the secret key and the salt do not change while the process runs); each session
# gets its own copy.
_DECODED: dict[tuple[str, str], dict[str, Any]] = {}
_DECODED_MAX = 4096
_PLAIN = (str, int, float, bool, type(None))


class SessionStore(DBStore):
    """Django's database sessions, read together with their user (``loaded_user``)."""

    loaded_user: User | None = None

    def decode(self, session_data: str) -> dict[str, Any]:
        key = (settings.SECRET_KEY, session_data)  # a key changed in tests checks afresh
        found = _DECODED.get(key)
        if found is None:
            found = super().decode(session_data)
            if found and all(isinstance(v, _PLAIN) for v in found.values()):
                if len(_DECODED) >= _DECODED_MAX:
                    _DECODED.clear()
                _DECODED[key] = found
            else:
                return found  # nothing kept: nested values, or data that did not decode
        return dict(found)

    @classmethod
    def get_model_class(cls) -> type[WebSession]:
        return WebSession

    def create_model_instance(self, data: dict[str, Any]) -> WebSession:
        session = super().create_model_instance(data)
        user_id = data.get(SESSION_KEY)
        session.user_id = int(user_id) if str(user_id or "").isdigit() else None
        return session

    def _get_session_from_db(self) -> Any:
        alias = router.db_for_read(WebSession)
        connection = connections[alias]
        statement = _statement(alias)
        # Read ahead with the page's own reads (session_reads), or now.
        rows = SESSION_READ.result(self.session_key, using=alias)
        if not rows:
            self._session_key = None
            return None
        row = rows[0]
        n_session, n_user = len(statement.session_columns), len(statement.user_columns)
        # Django's load() reads the row's session_data only: its fields, not a model instance
        # (whose __init__ and signals cost more than the rest of reading the session).
        session = SimpleNamespace(
            **dict(
                zip(
                    statement.session_attnames,
                    statement.convert(connection, statement.session_columns, row[:n_session]),
                    strict=True,
                )
            )
        )
        self.loaded_user = None
        user_values = row[n_session : n_session + n_user]
        if user_values[0] is not None:
            values = statement.convert(connection, statement.user_columns, user_values)
            user = User.from_db(alias, statement.user_attnames, values)
            groups, services, unread = row[n_session + n_user :]
            user.prime_membership(
                groups.split(GROUP_SEPARATOR) if groups else (),
                (int(s) for s in services.split(",")) if services else (),
            )
            user.unread_notifications = int(unread)
            self.loaded_user = user
        return session


class SessionUserBackend(ModelBackend):
    """Django's model backend, answering ``get_user`` with the user read with the session."""

    def get_user(self, user_id: Any) -> Any:
        user = _loaded_user.get()
        if user is not None and user.pk == user_id:
            return user if self.user_can_authenticate(user) else None
        return super().get_user(user_id)


def _get_user(request: HttpRequest) -> Any:
    if not hasattr(request, "_cached_user"):
        session = request.session
        session.get(SESSION_KEY)  # loads it, and its user with it
        token = _loaded_user.set(getattr(session, "loaded_user", None))
        try:
            request._cached_user = auth.get_user(request)  # type: ignore[attr-defined]
        finally:
            _loaded_user.reset(token)
    return request._cached_user  # type: ignore[attr-defined]


def concrete_user(request: HttpRequest) -> Any:
    """``request.user`` loaded and put in place of its lazy wrapper, which it returns.

    For a view that needs its user anyway: each attribute read through Django's
    ``SimpleLazyObject`` costs two extra calls, and a ticket page reads the user's roles a
    hundred times (policy checks, the header) — about one call in ten of the page (issue 5).
    """
    user = request.user
    if isinstance(user, SimpleLazyObject):
        user.is_authenticated  # noqa: B018 — loads it
        user = user._wrapped  # type: ignore[attr-defined]
        request.user = user
    return user


class AuthenticationMiddleware(DjangoAuthMiddleware):
    """Django's, with ``request.user`` taken from the session's one statement."""

    def process_request(self, request: HttpRequest) -> None:
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _get_user(request))
