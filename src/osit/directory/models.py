"""People and structure: users, organisations, sites, services (team + queue), applications."""

from __future__ import annotations

from collections.abc import Iterable
from functools import cached_property

from django.contrib.auth.models import AbstractUser
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from osit.directory.choices import AGENT_ROLES, Role

slug_validator = RegexValidator(
    r"^[a-z0-9][a-z0-9_-]*$",
    _("Use lower-case letters, digits, '-' and '_' only, starting with a letter or digit."),
)


class Organisation(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    share_tickets = models.BooleanField(
        _("requesters see their organisation's tickets"),
        default=False,
        help_text=_("When set, a requester sees every ticket of their organisation."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")

    def __str__(self) -> str:
        return self.name


class Site(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    address = models.TextField(_("address"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("site")
        verbose_name_plural = _("sites")

    def __str__(self) -> str:
        return self.name


# The columns a person's display name is made of, for queries that read rows, not users.
NAME_FIELDS = ("username", "first_name", "last_name")


def display_name(username: str, first_name: str | None, last_name: str | None) -> str:
    """What ``User.display_name`` shows, from the three columns: full name, else user name."""
    return f"{first_name or ''} {last_name or ''}".strip() or username


class User(AbstractUser):
    """A person: requester or agent. Roles are the Django groups the user belongs to."""

    phone = models.CharField(_("phone"), max_length=40, blank=True, db_index=True)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="members",
    )
    site = models.ForeignKey(
        Site, verbose_name=_("site"), null=True, blank=True, on_delete=models.SET_NULL
    )
    language = models.CharField(
        _("language"), max_length=8, blank=True, choices=[("en", "English"), ("fr", "Français")]
    )

    class Meta(AbstractUser.Meta):  # type: ignore[name-defined]
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")
        indexes = [models.Index(fields=["email"], name="user_email_idx")]

    # The header's count of unread notifications, when the web session read it with the user.
    unread_notifications: int | None = None

    def __str__(self) -> str:
        full = self.get_full_name()
        return full or self.username

    @property
    def display_name(self) -> str:
        return display_name(self.username, self.first_name, self.last_name)

    # Role and service membership are read on every request by the policy; cache them per
    # instance (request.user lives for one request) so a page costs one query for both, not N.
    @cached_property
    def role_names(self) -> frozenset[str]:
        if not self.pk:
            return frozenset()
        self._load_membership()
        return self.__dict__["role_names"]

    def _load_membership(self) -> None:
        """Read the user's groups and services in one query; set both cached properties."""
        groups = self.groups.through.objects.filter(user_id=self.pk).values_list(
            models.Value("g"), "group__name"
        )
        services = Service.members.through.objects.filter(user_id=self.pk).values_list(
            models.Value("s"), Cast("service_id", models.CharField())
        )
        rows = list(groups.order_by().union(services.order_by(), all=True))
        self.__dict__["role_names"] = self._role_names_from(v for k, v in rows if k == "g")
        self.__dict__["service_ids"] = frozenset(int(v) for k, v in rows if k == "s")

    def _role_names_from(self, group_names: Iterable[str]) -> frozenset[str]:
        names = set(group_names)
        if self.is_superuser:
            names.add(Role.ADMIN)
        return frozenset(names)

    def prime_role_names(self, group_names: Iterable[str]) -> None:
        """Set ``role_names`` from the names of the user's groups, read by the caller in the
        query that fetched the user (the API's token lookup), instead of a query of its own."""
        self.__dict__["role_names"] = self._role_names_from(group_names)

    def prime_membership(self, group_names: Iterable[str], service_ids: Iterable[int]) -> None:
        """Set ``role_names`` and ``service_ids``, read by the caller in the query that fetched
        the user (the web session's one statement, ``osit.web.sessions``)."""
        self.__dict__["role_names"] = self._role_names_from(group_names)
        self.__dict__["service_ids"] = frozenset(service_ids)

    @cached_property
    def service_ids(self) -> frozenset[int]:
        if not self.pk:
            return frozenset()
        if "role_names" in self.__dict__:  # primed by the caller: the services alone
            return frozenset(self.services.values_list("id", flat=True))
        self._load_membership()
        return self.__dict__["service_ids"]

    def has_role(self, role: str) -> bool:
        return role in self.role_names

    @property
    def is_agent(self) -> bool:
        return bool(self.role_names & AGENT_ROLES)

    @property
    def primary_role(self) -> str:
        for role in (Role.ADMIN, Role.MANAGER, Role.TECHNICIAN, Role.OPERATOR):
            if role in self.role_names:
                return str(role)
        return str(Role.REQUESTER)


class Service(models.Model):
    """A team and its queue (RT queue, OTRS queue, GGUS support unit)."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    email = models.EmailField(_("correspond address"), blank=True)
    comment_email = models.EmailField(_("comment address"), blank=True)
    members = models.ManyToManyField(
        User, verbose_name=_("members"), related_name="services", blank=True
    )
    # {"major": {"blocking": 1, "non_blocking": 2, "enhancement": 5}, ...}; empty = default.
    priority_matrix = models.JSONField(_("priority matrix"), default=dict, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Mail from an address nobody has: make them a requester, or refuse it (answered once).
    accept_unknown_senders = models.BooleanField(
        _("accept mail from unknown senders"),
        default=True,
        help_text=_("Otherwise their mail is refused, with one polite answer, and recorded."),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")

    def __str__(self) -> str:
        return self.name


class Application(models.Model):
    """A system that tickets concern (CMDB-lite); owned by the service that maintains it."""

    slug = models.SlugField(_("slug"), max_length=64, unique=True, validators=[slug_validator])
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    service = models.ForeignKey(
        Service,
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="applications",
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return self.name


class ApiToken(models.Model):
    """A personal API token: shown once, stored as a SHA-256 digest, named, revocable."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    # The first characters, kept in clear so a user can tell their tokens apart in a list.
    prefix = models.CharField(max_length=12)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"
