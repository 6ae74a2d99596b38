"""API test helpers: ``api_as("tom")`` → a client that sends tom's personal token.

Its methods take a path under /api/v1 and a JSON body and return the response; ``.json()`` reads
it. Every request goes through the real URL conf, authentication, throttling and error handlers.
"""

from __future__ import annotations

import json

import pytest
from django.test import Client

BASE = "/api/v1"


class ApiClient:
    def __init__(self, token: str | None) -> None:
        self.client = Client()
        self.headers = {"Authorization": f"Bearer {token}"} if token else {}

    def _send(self, method: str, path: str, body=None, headers=None, **kwargs):
        send = getattr(self.client, method)
        extra = {**self.headers, **(headers or {})}
        if body is not None:
            kwargs.setdefault("data", json.dumps(body))
            kwargs.setdefault("content_type", "application/json")
        return send(BASE + path, headers=extra, **kwargs)

    def get(self, path, params=None, **kw):
        return self.client.get(BASE + path, params or {}, headers={**self.headers, **kw})

    def post(self, path, body=None, headers=None):
        return self._send("post", path, body if body is not None else {}, headers)

    def patch(self, path, body=None, headers=None):
        return self._send("patch", path, body if body is not None else {}, headers)

    def delete(self, path, headers=None):
        return self._send("delete", path, None, headers)

    def upload(self, path, files):
        return self.client.post(BASE + path, {"files": files}, headers=self.headers)


@pytest.fixture
def api_as(personas):
    from osit.directory.actions import create_token

    def make(name: str | None) -> ApiClient:
        if name is None:
            return ApiClient(None)
        user = personas.by_role(name)
        return ApiClient(create_token(actor=None, channel="cli", user=user, name="tests"))

    return make


def assert_error(response, status: int, *, field: str | None = None, contains: str = ""):
    """The response is the documented error body with ``status`` (and ``field``)."""
    assert response.status_code == status, response.content
    body = response.json()
    assert body["status"] == status
    assert body["message"]
    if field is not None:
        assert body["field"] == field, body
    if contains:
        assert contains in body["message"], body
    return body
