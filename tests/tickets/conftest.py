"""Fixtures of the domain tests (helpers that are plain functions live in tests/tickets/util.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def fresh_user():
    """Re-read a user: role and service membership are cached on the instance."""
    from osit.directory.models import User

    def read(user):
        return User.objects.get(pk=user.pk)

    return read
