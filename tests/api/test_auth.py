"""Authentication (token, session + CSRF), tokens, rate limits, the directory and the docs."""

from __future__ import annotations

import pytest
from django.core.cache import caches
from django.test import Client

from osit.directory.actions import create_token, revoke_token
from osit.directory.models import ApiToken
from tests.api.conftest import ApiClient, assert_error
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_counters():
    caches["ratelimit"].clear()
    yield
    caches["ratelimit"].clear()


@pytest.mark.parametrize("token", [None, "osit_not-a-real-token", ""])
def test_without_valid_credentials_it_is_a_401(personas, token):
    api = ApiClient(token)
    if token == "":
        api.headers = {"Authorization": "Bearer "}
    response = api.get("/tickets")
    body = assert_error(response, 401, contains="Authorization: Bearer")
    assert body["code"] == "not_authenticated"
    assert response["WWW-Authenticate"] == 'Bearer realm="osit"'


def test_a_revoked_token_stops_working_and_use_is_recorded(personas):
    token = create_token(actor=None, channel="cli", user=personas.tom, name="script")
    api = ApiClient(token)
    assert api.get("/me").status_code == 200
    row = ApiToken.objects.get(name="script")
    assert row.last_used_at is not None
    revoke_token(actor=personas.tom, channel="web", token_id=row.pk)
    assert api.get("/me").status_code == 401


def test_an_inactive_users_token_is_refused(personas):
    token = create_token(actor=None, channel="cli", user=personas.tom)
    personas.tom.is_active = False
    personas.tom.save()
    assert ApiClient(token).get("/me").status_code == 401


def test_the_session_works_and_unsafe_methods_need_csrf(personas):
    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.tom)
    assert client.get("/api/v1/me").json()["username"] == "tom"
    body = {"subject": "From the browser", "service": "appdev", "requester": "alice"}
    refused = client.post("/api/v1/tickets", body, content_type="application/json")
    assert_error(refused, 403, contains="CSRF")
    client.get("/profile/")  # sets the CSRF cookie
    csrf = client.cookies["csrftoken"].value
    created = client.post(
        "/api/v1/tickets", body, content_type="application/json", headers={"X-CSRFToken": csrf}
    )
    assert created.status_code == 201


def test_me(api_as):
    body = api_as("tom").get("/me").json()
    assert body == {
        "username": "tom",
        "name": "Tom Test",
        "email": "tom@osit.test",
        "roles": ["technician"],
        "services": [{"slug": "appdev", "name": "Application developers"}],
        "language": "",
    }


def test_services_and_applications(api_as):
    services = api_as("alice").get("/services").json()
    assert {"slug": "network", "name": "Network", "email": "network@osit.test", "active": True} in (
        services
    )
    apps = api_as("alice").get("/applications").json()
    assert {"slug": "payroll", "name": "Payroll", "service": "appdev"} in apps


def test_users_for_agents_and_for_requesters(api_as):
    found = api_as("olivia").get("/users", {"q": "ali"}).json()
    assert [u["username"] for u in found["items"]] == ["alice"]
    assert found["items"][0]["roles"] == ["requester"]
    everyone = api_as("olivia").get("/users", {"limit": 3}).json()
    assert len(everyone["items"]) == 3 and everyone["next_cursor"]
    mine = api_as("bob").get("/users").json()
    assert [u["username"] for u in mine["items"]] == ["bob"]


# --- tokens ---------------------------------------------------------------------------------


def test_a_token_from_a_username_and_password(personas):
    anonymous = ApiClient(None)
    response = anonymous.post(
        "/tokens", {"username": "tom", "password": PASSWORD, "name": "laptop"}
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "laptop" and body["token"].startswith("osit_")
    assert ApiClient(body["token"]).get("/me").json()["username"] == "tom"
    listed = ApiClient(body["token"]).get("/tokens").json()
    assert [t["name"] for t in listed] == ["laptop"]
    assert body["token"] not in str(listed)


def test_wrong_passwords_are_refused_then_rate_limited(personas, settings):
    settings.OSIT_LOGIN_RATE_LIMIT = 3
    anonymous = ApiClient(None)
    for _ in range(3):
        assert_error(
            anonymous.post("/tokens", {"username": "tom", "password": "nope"}),
            422,
            field="password",
        )
    blocked = anonymous.post("/tokens", {"username": "tom", "password": PASSWORD})
    assert_error(blocked, 429)
    assert int(blocked["Retry-After"]) > 0


def test_creating_a_token_without_anything_is_a_401(personas):
    assert_error(ApiClient(None).post("/tokens", {"name": "x"}), 401)


def test_revoking_a_token(api_as, personas):
    api = api_as("tom")
    other = create_token(actor=None, channel="cli", user=personas.tom, name="other")
    row = ApiToken.objects.get(name="other")
    assert api.delete(f"/tokens/{row.pk}").status_code == 204
    assert ApiClient(other).get("/me").status_code == 401
    # Someone else's token, or one already revoked: not found.
    assert_error(api.delete(f"/tokens/{row.pk}"), 404)
    ninas = create_token(actor=None, channel="cli", user=personas.nina, name="hers")
    theirs = ApiToken.objects.get(name="hers")
    assert_error(api.delete(f"/tokens/{theirs.pk}"), 404)
    assert ApiClient(ninas).get("/me").status_code == 200


# --- rate limits ----------------------------------------------------------------------------


def test_too_many_requests_per_user_get_a_429_with_retry_after(api_as, settings):
    settings.OSIT_API_RATE_LIMIT = 3
    api = api_as("tom")
    for _ in range(3):
        assert api.get("/me").status_code == 200
    response = api.get("/me")
    assert_error(response, 429)
    assert 1 <= int(response["Retry-After"]) <= 60
    # Another user is not affected.
    assert api_as("nina").get("/me").status_code == 200


def test_too_many_requests_per_address_even_without_credentials(personas, settings):
    settings.OSIT_API_RATE_LIMIT_ADDRESS = 2
    anonymous = ApiClient(None)
    assert anonymous.get("/me").status_code == 401
    assert anonymous.get("/me").status_code == 401
    response = anonymous.get("/me")
    assert_error(response, 429)
    assert int(response["Retry-After"]) >= 1


# --- the documents --------------------------------------------------------------------------


def test_the_openapi_document_lists_every_endpoint(client):
    doc = client.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.")
    paths = doc["paths"]
    for path in (
        "/api/v1/me",
        "/api/v1/services",
        "/api/v1/applications",
        "/api/v1/users",
        "/api/v1/tickets",
        "/api/v1/tickets/{number}",
        "/api/v1/tickets/{number}/transitions",
        "/api/v1/tickets/{number}/reroute",
        "/api/v1/tickets/{number}/comments",
        "/api/v1/tickets/{number}/events",
        "/api/v1/tickets/{number}/attachments",
        "/api/v1/attachments/{attachment_id}",
        "/api/v1/tokens",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/tickets/{number}"]) == {"get", "patch"}
    error = doc["components"]["schemas"]["Error"]
    assert set(error["properties"]) == {"status", "code", "message", "field", "allowed"}
    assert client.get("/api/v1/openapi.json").json()["paths"].keys() == paths.keys()


def test_the_interactive_docs_are_served_without_a_cdn(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page


def test_the_api_answers_in_the_language_asked(api_as, personas):
    body = api_as("nina").get("/tickets/999", **{"Accept-Language": "fr"}).json()
    assert body["message"] == "Le ticket #999 n'existe pas."


def test_a_token_from_a_password_needs_no_csrf_without_a_session(personas):
    client = Client(enforce_csrf_checks=True)
    response = client.post(
        "/api/v1/tokens",
        {"username": "tom", "password": PASSWORD},
        content_type="application/json",
    )
    assert response.status_code == 201
