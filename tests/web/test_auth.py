"""Account pages: login (rate-limited), logout, password change, profile, notifications."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from osit.directory import actions as directory
from osit.tickets.models import Notification
from tests.conftest import PASSWORD
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


def post_login(client, username, password, address="10.0.0.1", **extra):
    return client.post(
        reverse("web:login"),
        {"username": username, "password": password, **extra},
        REMOTE_ADDR=address,
    )


@pytest.fixture
def db_cache(settings):
    """The embedded setup's cache (the table made by the core migration), emptied."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "osit_cache",
        }
    }
    from django.core.cache import cache

    cache.clear()
    return cache


# --- login and logout -----------------------------------------------------------------------


def test_login_page_has_labelled_fields(client):
    page = client.get(reverse("web:login")).content.decode()
    assert "<h1>Log in</h1>" in page
    assert '<label for="id_username">' in page
    assert '<label for="id_password">' in page


def test_agent_logs_in_to_home_and_requester_to_portal(client, personas, db_cache):
    response = post_login(client, "tom", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("web:home")
    client.logout()
    response = post_login(client, "alice", PASSWORD)
    assert response["Location"] == reverse("web:portal")


def test_login_follows_a_local_next_but_not_another_site(client, personas, db_cache):
    response = post_login(client, "tom", PASSWORD, next="/closed/")
    assert response["Location"] == "/closed/"
    client.logout()
    response = post_login(client, "tom", PASSWORD, next="https://evil.example/")
    assert response["Location"] == reverse("web:home")


def test_wrong_password_is_refused_with_a_message(client, personas, db_cache):
    response = post_login(client, "tom", "wrong")
    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_sets_the_preferred_language(client, personas, db_cache):
    personas.tom.language = "fr"
    personas.tom.save(update_fields=["language"])
    response = post_login(client, "tom", PASSWORD)
    assert response.cookies["django_language"].value == "fr"


def test_login_is_blocked_after_too_many_failures_for_a_username(
    client, personas, settings, db_cache
):
    settings.OSIT_LOGIN_RATE_LIMIT = 3
    for i in range(3):
        assert post_login(client, "tom", "wrong", address=f"10.0.0.{i}").status_code == 200
    # Even the right password, from yet another address, is refused now.
    response = post_login(client, "tom", PASSWORD, address="10.9.9.9")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session
    # Another account is not affected.
    assert post_login(client, "nina", PASSWORD, address="10.9.9.9").status_code == 302


def test_login_is_blocked_after_too_many_failures_from_an_address(
    client, personas, settings, db_cache
):
    settings.OSIT_LOGIN_RATE_LIMIT = 3
    for name in ("tom", "nina", "olivia"):
        post_login(client, name, "wrong", address="192.0.2.7")
    assert post_login(client, "max", PASSWORD, address="192.0.2.7").status_code == 429
    assert post_login(client, "max", PASSWORD, address="192.0.2.8").status_code == 302


def test_block_lifts_after_fifteen_minutes(client, personas, settings, db_cache, monkeypatch):
    settings.OSIT_LOGIN_RATE_LIMIT = 2
    for _ in range(2):
        post_login(client, "tom", "wrong")
    assert post_login(client, "tom", PASSWORD).status_code == 429
    start = timezone.now()
    # The database cache reads the clock through its own import.
    monkeypatch.setattr(
        "django.core.cache.backends.db.tz_now", lambda: start + timedelta(minutes=14)
    )
    assert post_login(client, "tom", PASSWORD).status_code == 429
    monkeypatch.setattr(
        "django.core.cache.backends.db.tz_now", lambda: start + timedelta(minutes=16)
    )
    assert post_login(client, "tom", PASSWORD).status_code == 302


def test_success_clears_the_username_counter(client, personas, settings, db_cache):
    settings.OSIT_LOGIN_RATE_LIMIT = 3
    post_login(client, "tom", "wrong", address="10.0.0.1")
    post_login(client, "tom", "wrong", address="10.0.0.2")
    assert post_login(client, "tom", PASSWORD, address="10.0.0.3").status_code == 302
    client.logout()
    post_login(client, "tom", "wrong", address="10.0.0.4")
    post_login(client, "tom", "wrong", address="10.0.0.5")
    assert post_login(client, "tom", PASSWORD, address="10.0.0.6").status_code == 302


def test_logout_needs_a_post(client, personas):
    login(client, personas.tom)
    assert client.get(reverse("web:logout")).status_code == 405
    response = client.post(reverse("web:logout"))
    assert response["Location"] == reverse("web:login")
    assert client.get(reverse("web:home"))["Location"].startswith(reverse("web:login"))


# --- password -------------------------------------------------------------------------------


def test_password_change(client, personas, db_cache):
    login(client, personas.tom)
    url = reverse("web:password_change")
    page = client.get(url).content.decode()
    assert '<label for="id_old_password">' in page
    response = client.post(
        url,
        {
            "old_password": "nope",
            "new_password1": "Blue-lagoon-77",
            "new_password2": "Blue-lagoon-77",
        },
    )
    assert "Your old password was entered incorrectly" in response.content.decode()
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "Blue-lagoon-77",
            "new_password2": "Blue-lagoon-77",
        },
        follow=True,
    )
    assert "Your password has been changed." in response.content.decode()
    assert client.get(reverse("web:home")).status_code == 200  # still logged in
    client.logout()
    assert post_login(client, "tom", PASSWORD).status_code == 200
    assert post_login(client, "tom", "Blue-lagoon-77").status_code == 302


def test_password_change_applies_the_validators(client, personas):
    login(client, personas.tom)
    response = client.post(
        reverse("web:password_change"),
        {"old_password": PASSWORD, "new_password1": "short", "new_password2": "short"},
    )
    assert "This password is too short" in response.content.decode()


# --- profile --------------------------------------------------------------------------------


def test_profile_shows_account_roles_services_and_tokens(client, personas):
    tom = personas.tom
    directory.create_token(actor=tom, channel="cli", user=tom, name="laptop script")
    directory.create_token(actor=tom, channel="cli", user=tom, name="old cron")
    revoked = tom.api_tokens.get(name="old cron")
    directory.revoke_token(actor=tom, channel="cli", token_id=revoked.pk)
    directory.create_token(
        actor=personas.nina, channel="cli", user=personas.nina, name="nina's token"
    )
    login(client, tom)
    page = client.get(reverse("web:profile")).content.decode()
    for text in (
        "Tom Test",
        "tom@osit.test",
        "technician",
        "Application developers",
        "API tokens",
        "laptop script",
        tom.api_tokens.get(name="laptop script").prefix,
        "old cron",
        "revoked",
        "never",
    ):
        assert text in page
    assert "nina&#x27;s token" not in page and "nina's token" not in page


def test_profile_without_tokens(client, personas):
    login(client, personas.alice)
    page = client.get(reverse("web:profile")).content.decode()
    assert "You have no API token." in page
    assert "requester" in page


# --- notifications --------------------------------------------------------------------------


def test_notifications_newest_first_and_marked_read(client, personas, make_ticket):
    ticket = make_ticket()
    now = timezone.now()
    Notification.objects.create(
        user=personas.tom, ticket=ticket, message="older news", created_at=now - timedelta(hours=1)
    )
    Notification.objects.create(
        user=personas.tom, ticket=ticket, message="fresh news", created_at=now
    )
    Notification.objects.create(user=personas.nina, message="not for tom", created_at=now)
    login(client, personas.tom)
    home = client.get(reverse("web:home")).content.decode()
    assert '<span class="badge">2</span>' in home
    page = client.get(reverse("web:notifications")).content.decode()
    assert page.index("fresh news") < page.index("older news")
    assert "not for tom" not in page
    assert page.count("<strong>new</strong>") == 2
    assert f'href="/tickets/{ticket.pk}/"' in page
    assert '<span class="badge">' not in page  # read now: the header says so at once
    assert not Notification.objects.filter(user=personas.tom, read_at__isnull=True).exists()
    assert Notification.objects.filter(user=personas.nina, read_at__isnull=True).exists()
    again = client.get(reverse("web:notifications")).content.decode()
    assert "<strong>new</strong>" not in again
    assert '<span class="badge">' not in again


def test_notifications_empty(client, personas):
    login(client, personas.olivia)
    assert "You have no notification." in client.get(reverse("web:notifications")).content.decode()


def test_account_pages_need_login(client):
    for name in ("profile", "password_change", "notifications"):
        response = client.get(reverse(f"web:{name}"))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("web:login"))


@pytest.mark.django_db(transaction=True)
def test_cache_table_migration_is_reversible():
    """The login counters' table comes from the core migration, which can be undone and redone."""
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    def tables():
        return connection.introspection.table_names()

    executor = MigrationExecutor(connection)
    executor.migrate([("core", None)])
    assert "osit_cache" not in tables()
    executor = MigrationExecutor(connection)
    executor.migrate([("core", "0001_cache_table")])
    assert "osit_cache" in tables()
