"""Web test helpers shared by every tests/web module.

- ``login(client, user)``: log a persona in through the session (fast; skips the login form).
- ``assert_max_queries(n)`` / ``count_queries()``: count SQL statements, printing them on failure.
- fixtures ``login_as`` (``login_as("tom")`` → logged-in client) and ``query_counter``.
"""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext


def login(client, user):
    """Log ``user`` in on ``client`` and return the client."""
    client.force_login(user)
    return client


def format_queries(captured) -> str:
    return "\n".join(f"{i}. {q['sql']}" for i, q in enumerate(captured.captured_queries, 1))


@contextmanager
def count_queries():
    """Yield a CaptureQueriesContext; read ``len(ctx)`` afterwards and ``format_queries(ctx)``."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx


@contextmanager
def assert_max_queries(limit: int):
    """Fail (listing every SQL statement) when the block runs more than ``limit`` queries."""
    with CaptureQueriesContext(connection) as ctx:
        yield ctx
    if len(ctx) > limit:
        pytest.fail(f"{len(ctx)} queries, expected at most {limit}:\n{format_queries(ctx)}")


def assert_same_query_count(first, second):
    """Fail when two captures ran a different number of queries, printing both."""
    if len(first) != len(second):
        pytest.fail(
            f"query count grew: {len(first)} then {len(second)}\n--- first:\n"
            f"{format_queries(first)}\n--- second:\n{format_queries(second)}"
        )


@pytest.fixture
def login_as(client, personas):
    """``login_as("tom")`` logs a persona in on the test client and returns the client."""

    def do(name):
        return login(client, personas.by_role(name))

    return do


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The cache holds login failure counters; start every test with an empty one."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()
