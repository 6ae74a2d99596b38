"""Named choices of the ticket, in one place (STYLE §5). French labels: SPEC §13."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("status", "new")
    OPEN = "open", pgettext_lazy("status", "open")
    PENDING_CUSTOMER = "pending_customer", pgettext_lazy("status", "pending customer")
    PENDING_DECISION = "pending_decision", pgettext_lazy("status", "pending decision")
    RESOLVED = "resolved", pgettext_lazy("status", "resolved")
    CLOSED = "closed", pgettext_lazy("status", "closed")


ACTIVE_STATUSES = frozenset(s for s in Status if s != Status.CLOSED)
# Tickets nobody has taken yet that still need work. Enhancement requests wait for a manager's
# decision in their own list; resolved tickets wait for the requester.
UNOWNED_STATUSES = (Status.NEW, Status.OPEN, Status.PENDING_CUSTOMER)


class Severity(models.TextChoices):
    MAJOR = "major", pgettext_lazy("severity", "major")
    MODERATE = "moderate", pgettext_lazy("severity", "moderate")
    MINOR = "minor", pgettext_lazy("severity", "minor")


class Criticality(models.TextChoices):
    BLOCKING = "blocking", pgettext_lazy("criticality", "blocking")
    NON_BLOCKING = "non_blocking", pgettext_lazy("criticality", "non-blocking")
    ENHANCEMENT = "enhancement", pgettext_lazy("criticality", "enhancement")


class Channel(models.TextChoices):
    PHONE = "phone", _("phone")
    EMAIL = "email", _("e-mail")
    WEB = "web", _("web")
    MONITORING = "monitoring", _("monitoring")
    API = "api", _("API")
    SYSTEM = "system", _("system")
    CLI = "cli", _("command line")


class TicketType(models.TextChoices):
    INCIDENT = "incident", _("incident")
    SERVICE_REQUEST = "service_request", _("service request")
    ENHANCEMENT = "enhancement", _("enhancement request")
    PROBLEM = "problem", _("problem")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("public reply")
    INTERNAL = "internal", _("internal note")


class WatcherKind(models.TextChoices):
    CC = "cc", _("Cc")
    ADMINCC = "admincc", _("AdminCc")
