"""Changes to the directory: roles, services, applications, users. Each is audited."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import Group
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connections, router, transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _

from osit.audit.chain import PendingEvent, append
from osit.core.errors import InvalidInput, NotFound
from osit.core.queries import Ahead, Read, Statement
from osit.directory.choices import Role
from osit.directory.models import Application, Organisation, Service, Site, User, slug_validator


def _audit(actor: User | None, channel: str, kind: str, **data: object) -> None:
    append(
        [
            PendingEvent(
                kind=kind,
                channel=channel,
                actor_id=actor.pk if actor else None,
                actor_label=actor.display_name if actor else "osit",
                data=dict(data),
            )
        ],
        at=timezone.now(),
    )


def ensure_roles() -> dict[str, Group]:
    """The default role groups exist (idempotent)."""
    return {role.value: Group.objects.get_or_create(name=role.value)[0] for role in Role}


def _check_slug(slug: str) -> str:
    try:
        slug_validator(slug)
    except ValidationError:
        raise InvalidInput(
            _("%(slug)r is not a valid slug: use lower-case letters, digits, '-' and '_'.")
            % {"slug": slug},
            field="slug",
        ) from None
    return slug


def _check_email(email: str, field: str = "email") -> str:
    email = email.strip()
    if email:
        try:
            validate_email(email)
        except ValidationError:
            raise InvalidInput(
                _("%(email)r is not a valid e-mail address.") % {"email": email}, field=field
            ) from None
    return email


class _HandWritten:
    """Instances of ``model`` from rows of hand-written SQL, converted as the ORM converts them.

    For the lookups of every API request (token, requester, service): composing these one-table
    queries with the ORM costs several times the round trip to the database. ``columns`` is the
    select list to start a query with; the model's fields come first in each row, in this order.
    """

    def __init__(self, model: type[Model]) -> None:
        self.model = model
        self.table = model._meta.db_table
        self.fields = list(model._meta.concrete_fields)
        self.attnames = [f.attname for f in self.fields]
        self.columns = ", ".join(f'{self.table}."{f.column}"' for f in self.fields)
        self._converters: dict[str, list[tuple[int, list[Any], Any]]] = {}
        # ``first`` as a read a caller may send with others (core.queries.read_ahead).
        self.read = Read(self._first_statement)

    def _converters_for(self, connection: Any) -> list[tuple[int, list[Any], Any]]:
        found = self._converters.get(connection.alias)
        if found is None:
            found = []
            for i, field in enumerate(self.fields):
                col = field.get_col(self.table)
                convs = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                if convs:
                    found.append((i, convs, col))
            self._converters[connection.alias] = found
        return found

    def instance(self, connection: Any, row: Sequence[Any]) -> Any:
        values = list(row[: len(self.fields)])
        for i, convs, col in self._converters_for(connection):
            value = values[i]
            for convert in convs:
                value = convert(value, col, connection)
            values[i] = value
        return self.model.from_db(connection.alias, self.attnames, values)

    def first(self, where: str, params: Sequence[Any]) -> Any:
        """The instance of the first row ``WHERE where`` (a unique column's value), or None
        (read already when a ``read_ahead`` block around the call named ``ahead(where, …)``)."""
        alias = router.db_for_read(self.model)
        return self.read.result(where, tuple(params), using=alias)

    def ahead(self, where: str, params: Sequence[Any]) -> Ahead:
        """``first(where, params)`` for ``osit.core.queries.read_ahead``."""
        return self.read.ahead(where, tuple(params), using=router.db_for_read(self.model))

    def _first_statement(self, where: str, params: tuple[Any, ...], *, using: str) -> Statement:
        # ``where`` is one of this module's constant conditions; the values are parameters.
        sql = f"SELECT {self.columns} FROM {self.table} WHERE {where}"  # noqa: S608

        def read(rows: list[tuple[Any, ...]] | None) -> Any:
            connection = connections[using]
            if rows is None:
                with connection.cursor() as cursor:
                    cursor.execute(sql, params)
                    rows = cursor.fetchall()
            return self.instance(connection, rows[0]) if rows else None

        return Statement(sql, params, read)


_USERS = _HandWritten(User)
_SERVICES = _HandWritten(Service)
TOKEN_USE_RESOLUTION = timedelta(seconds=60)


def get_service(slug: str) -> Service:
    service: Service | None = _SERVICES.first("slug = %s", [slug])
    if service is None:
        raise NotFound(_("There is no service %(slug)r.") % {"slug": slug}, field="service")
    return service


def get_application(slug: str) -> Application:
    application = Application.objects.select_related("service").filter(slug=slug).first()
    if application is None:
        raise NotFound(_("There is no application %(slug)r.") % {"slug": slug}, field="application")
    return application


def lookups_ahead(*, user: str | None = None, service: str | None = None) -> list[Ahead]:
    """The reads ``find_user(user)`` and ``get_service(service)`` make first, for
    ``osit.core.queries.read_ahead``: an API request that names both sends them together."""
    reads = []
    if user and user.strip():
        reads.append(_USERS.ahead("username = %s", [user.strip()]))
    if service:
        reads.append(_SERVICES.ahead("slug = %s", [service]))
    return reads


def find_user(name_or_email: str) -> User:
    value = name_or_email.strip()
    user: User | None = _USERS.first("username = %s", [value])
    if user is None and "@" in value:
        user = User.objects.filter(email__iexact=value).order_by("id").first()
    if user is None:
        raise NotFound(_("There is no user %(name)r.") % {"name": value}, field="requester")
    return user


@transaction.atomic
def create_service(
    *,
    actor: User | None,
    channel: str,
    slug: str,
    name: str,
    email: str = "",
    comment_email: str = "",
    description: str = "",
) -> Service:
    _check_slug(slug)
    if not name.strip():
        raise InvalidInput(_("A name is required."), field="name")
    if Service.objects.filter(slug=slug).exists():
        raise InvalidInput(
            _("A service with the slug %(slug)r already exists.") % {"slug": slug}, field="slug"
        )
    service = Service.objects.create(
        slug=slug,
        name=name.strip(),
        email=_check_email(email),
        comment_email=_check_email(comment_email, "comment_email"),
        description=description,
    )
    _audit(actor, channel, "service_created", slug=slug, name=service.name, email=service.email)
    return service


@transaction.atomic
def create_application(
    *,
    actor: User | None,
    channel: str,
    slug: str,
    name: str,
    service: Service | None = None,
    description: str = "",
) -> Application:
    _check_slug(slug)
    if not name.strip():
        raise InvalidInput(_("A name is required."), field="name")
    if Application.objects.filter(slug=slug).exists():
        raise InvalidInput(
            _("An application with the slug %(slug)r already exists.") % {"slug": slug},
            field="slug",
        )
    application = Application.objects.create(
        slug=slug, name=name.strip(), service=service, description=description
    )
    _audit(
        actor,
        channel,
        "application_created",
        slug=slug,
        name=application.name,
        service=service.slug if service else None,
    )
    return application


@transaction.atomic
def create_organisation(
    *, actor: User | None, channel: str, slug: str, name: str, share_tickets: bool = False
) -> Organisation:
    _check_slug(slug)
    if Organisation.objects.filter(slug=slug).exists():
        raise InvalidInput(
            _("An organisation with the slug %(slug)r already exists.") % {"slug": slug},
            field="slug",
        )
    org = Organisation.objects.create(slug=slug, name=name, share_tickets=share_tickets)
    _audit(actor, channel, "organisation_created", slug=slug, name=name)
    return org


@transaction.atomic
def create_site(*, actor: User | None, channel: str, slug: str, name: str) -> Site:
    _check_slug(slug)
    if Site.objects.filter(slug=slug).exists():
        raise InvalidInput(
            _("A site with the slug %(slug)r already exists.") % {"slug": slug}, field="slug"
        )
    site = Site.objects.create(slug=slug, name=name)
    _audit(actor, channel, "site_created", slug=slug, name=name)
    return site


@transaction.atomic
def create_user(
    *,
    actor: User | None,
    channel: str,
    username: str,
    email: str,
    roles: Iterable[str],
    services: Iterable[Service] = (),
    password: str | None = None,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    organisation: Organisation | None = None,
    site: Site | None = None,
    validate: bool = True,
    check_email: bool = True,
) -> User:
    """Create an account with its roles and service memberships.

    Without a password the account cannot log in until one is set. ``validate`` runs Django's
    password validators (off only for documented demo passwords). ``check_email`` off keeps an
    address as mail brought it (an internationalised local part Django's validator refuses).
    """
    username = username.strip()
    if not username:
        raise InvalidInput(_("A username is required."), field="username")
    if User.objects.filter(username=username).exists():
        raise InvalidInput(
            _("The username %(name)r is taken.") % {"name": username}, field="username"
        )
    role_list = [r.strip() for r in roles if r.strip()]
    if not role_list:
        raise InvalidInput(_("Give the user at least one role."), field="role")
    groups = ensure_roles()
    for role in role_list:
        if role not in groups:
            extra = Group.objects.filter(name=role).first()
            if extra is None:
                raise InvalidInput(
                    _("Unknown role %(role)r (known: %(known)s).")
                    % {"role": role, "known": ", ".join(sorted(groups))},
                    field="role",
                )
            groups[role] = extra
    user = User(
        username=username,
        email=_check_email(email) if check_email else email.strip()[:254],
        first_name=first_name,
        last_name=last_name,
        phone=phone.strip(),
        organisation=organisation,
        site=site,
        is_staff=Role.ADMIN in role_list,
    )
    if password:
        if validate:
            try:
                validate_password(password, user)
            except ValidationError as exc:
                raise InvalidInput(" ".join(exc.messages), field="password") from None
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.save()
    user.groups.set([groups[r] for r in role_list])
    service_list = list(services)
    if service_list:
        user.services.set(service_list)
    _audit(
        actor,
        channel,
        "user_created",
        username=username,
        roles=sorted(role_list),
        services=sorted(s.slug for s in service_list),
    )
    return user


@transaction.atomic
def set_service_members(
    *, actor: User | None, channel: str, service: Service, members: Iterable[User]
) -> None:
    member_list = list(members)
    service.members.set(member_list)
    _audit(
        actor,
        channel,
        "service_members_set",
        service=service.slug,
        members=sorted(u.username for u in member_list),
    )


TOKEN_PREFIX = "osit_"  # noqa: S105 — a marker, not a secret


def token_digest(token: str) -> str:
    import hashlib

    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@transaction.atomic
def create_token(*, actor: User | None, channel: str, user: User, name: str = "") -> str:
    """Create an API token for ``user`` and return it; only its digest is stored."""
    import secrets

    from osit.directory.models import ApiToken

    if not user.is_active:
        raise InvalidInput(
            _("%(user)s is not an active user.") % {"user": user.username}, field="username"
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    label = name.strip() or _("token created %(date)s") % {
        "date": timezone.now().strftime("%Y-%m-%d %H:%M")
    }
    ApiToken.objects.create(
        user=user,
        name=label[:100],
        prefix=token[:12],
        digest=token_digest(token),
        created_at=timezone.now(),
    )
    _audit(actor, channel, "token_created", user=user.username, name=label[:100])
    return token


def user_for_token(token: str) -> User | None:
    """The active user owning ``token`` if it is valid and not revoked; records its use."""
    from osit.directory.models import ApiToken

    now = timezone.now()
    connection = connections[router.db_for_read(User)]
    # Every API request asks: one query for the token, its user and the user's groups (a row
    # per group), so the policy's roles need no query of their own.
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {_USERS.columns}, t.id, "  # noqa: S608 — constant column list
            "(t.last_used_at IS NULL OR t.last_used_at < %s), g.name "
            "FROM directory_user "
            "INNER JOIN directory_apitoken t ON t.user_id = directory_user.id "
            "LEFT OUTER JOIN directory_user_groups ug ON ug.user_id = directory_user.id "
            "LEFT OUTER JOIN auth_group g ON g.id = ug.group_id "
            "WHERE t.digest = %s AND t.revoked_at IS NULL AND directory_user.is_active",
            [
                connection.ops.adapt_datetimefield_value(now - TOKEN_USE_RESOLUTION),
                token_digest(token),
            ],
        )
        rows = cursor.fetchall()
    if not rows:
        return None
    width = len(_USERS.fields)
    user = _USERS.instance(connection, rows[0])
    user.prime_role_names(row[width + 2] for row in rows if row[width + 2] is not None)
    token_pk, stale = rows[0][width], rows[0][width + 1]
    # Recorded to the minute: a write on every API request would serialise SQLite's writers.
    if stale:
        ApiToken.objects.filter(pk=token_pk).update(last_used_at=now)
    return user


@transaction.atomic
def revoke_token(*, actor: User, channel: str, token_id: int) -> None:
    from osit.directory.models import ApiToken

    row = ApiToken.objects.filter(pk=token_id, user=actor, revoked_at__isnull=True).first()
    if row is None:
        raise NotFound(_("There is no such token."), field="token")
    row.revoked_at = timezone.now()
    row.save(update_fields=["revoked_at"])
    _audit(actor, channel, "token_revoked", user=actor.username, name=row.name)
