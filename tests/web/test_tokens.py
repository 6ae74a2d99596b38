"""The profile page's API tokens: create (shown once), list, revoke; they work in the API."""

from __future__ import annotations

import re

import pytest

from osit.directory.models import ApiToken
from tests.api.conftest import ApiClient

pytestmark = pytest.mark.django_db


def test_create_use_and_revoke_a_token_from_the_profile(login_as):
    client = login_as("tom")
    response = client.post("/profile/tokens/", {"name": "nagios script"})
    assert response.status_code == 201
    page = response.content.decode()
    token = re.search(r'<code class="token" id="new-token">([^<]+)</code>', page).group(1)
    assert "copy it now" in page
    assert ApiClient(token).get("/me").json()["username"] == "tom"

    again = client.get("/profile/").content.decode()
    assert "nagios script" in again
    assert token not in again  # shown once
    row = ApiToken.objects.get(name="nagios script")
    assert row.prefix in again and row.digest != token

    revoked = client.post(f"/profile/tokens/{row.pk}/revoke/", follow=True)
    assert "The token is revoked" in revoked.content.decode()
    assert ApiClient(token).get("/me").status_code == 401


def test_someone_elses_token_cannot_be_revoked(login_as, personas):
    from osit.directory.actions import create_token

    token = create_token(actor=None, channel="cli", user=personas.nina, name="hers")
    row = ApiToken.objects.get(name="hers")
    response = login_as("tom").post(f"/profile/tokens/{row.pk}/revoke/", follow=True)
    assert "There is no such token." in response.content.decode()
    assert ApiClient(token).get("/me").status_code == 200


def test_token_pages_need_a_login_and_a_post(client, login_as):
    assert client.post("/profile/tokens/").status_code == 302
    assert login_as("tom").get("/profile/tokens/").status_code == 405
