from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """The roles shipped by default (SPEC §1). Each is a Django group of the same name."""

    REQUESTER = "requester", _("requester")
    OPERATOR = "operator", _("operator")
    TECHNICIAN = "technician", _("technician")
    MANAGER = "manager", _("manager")
    ADMIN = "admin", _("admin")


AGENT_ROLES = frozenset({Role.OPERATOR, Role.TECHNICIAN, Role.MANAGER, Role.ADMIN})
