"""The web session and its user read in one statement (osit.web.sessions, issue 5).

What a user sees must be what Django's own session and auth give: logged in or not, the roles
and services the policy uses, the unread count in the header. And Django's checks on every
request still hold: inactive users, changed passwords, deleted users, expired sessions.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from osit.tickets.models import Notification
from osit.web.models import WebSession
from tests.conftest import PASSWORD
from tests.web.conftest import count_queries, format_queries, login

pytestmark = pytest.mark.django_db


def assert_sent_to_login(client):
    """The next agent page treats the browser as a visitor: off to the login page."""
    response = client.get(reverse("web:mine"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def _log_in_with_the_form(client, user):
    response = client.post(reverse("web:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:500]


def test_logging_in_records_the_user_on_the_session_row(client, personas):
    _log_in_with_the_form(client, personas.tom)
    session = WebSession.objects.get(session_key=client.cookies["sessionid"].value)
    assert session.user_id == personas.tom.pk
    assert session.get_decoded()["_auth_user_id"] == str(personas.tom.pk)
    client.post(reverse("web:logout"))
    assert not WebSession.objects.filter(pk=session.pk).exists()


def test_a_page_reads_session_user_roles_services_and_unread_count_in_one_statement(
    client, personas, make_ticket
):
    ticket = make_ticket()
    for message in ("For you", "And this"):
        Notification.objects.create(
            user=personas.tom, ticket=ticket, message=message, created_at=timezone.now()
        )
    unread = Notification.objects.filter(user=personas.tom, read_at__isnull=True).count()
    assert unread >= 2
    login(client, personas.tom)
    with count_queries() as ctx:
        page = client.get(reverse("web:queue", args=["appdev"])).content.decode()
    statements = [q["sql"] for q in ctx.captured_queries]
    first = statements[0]
    assert "websession" in first and "directory_user" in first, format_queries(ctx)
    # Nothing else reads the user, their groups, their services or the unread count.
    for sql in statements[1:]:
        assert "auth_group" not in sql, format_queries(ctx)
        assert "directory_service_members" not in sql, format_queries(ctx)
        assert "tickets_notification" not in sql, format_queries(ctx)
        assert 'FROM "directory_user"' not in sql, format_queries(ctx)
    # …and the page is the technician's: their service's queue, their name, their badge.
    assert ticket.subject in page
    assert "Tom Test" in page
    assert f'<span class="badge">{unread}</span>' in page


def test_roles_and_services_read_with_the_session_are_the_users(client, personas):
    for user in (personas.tom, personas.olivia, personas.max, personas.alice):
        login(client, user)
        client.get(reverse("web:home"))
        seen = client.get(reverse("web:profile")).wsgi_request.user
        fresh = type(user).objects.get(pk=user.pk)
        assert seen.role_names == fresh.role_names, user.username
        assert seen.service_ids == fresh.service_ids, user.username
        client.logout()


def test_a_superuser_without_groups_is_an_admin(client, personas):
    boss = type(personas.ada).objects.create_superuser("boss", "boss@osit.test", PASSWORD)
    login(client, boss)
    user = client.get(reverse("web:home")).wsgi_request.user
    assert "admin" in user.role_names


def test_a_deactivated_user_is_logged_out_at_the_next_page(client, personas):
    login(client, personas.tom)
    assert client.get(reverse("web:mine")).status_code == 200
    personas.tom.is_active = False
    personas.tom.save(update_fields=["is_active"])
    assert_sent_to_login(client)


def test_a_password_changed_elsewhere_ends_other_sessions(client, personas):
    login(client, personas.tom)
    personas.tom.set_password("another long passphrase 42")
    personas.tom.save(update_fields=["password"])
    assert_sent_to_login(client)


def test_deleting_a_user_deletes_their_sessions(client, personas):
    login(client, personas.bob)
    key = client.cookies["sessionid"].value
    assert WebSession.objects.filter(session_key=key).exists()
    personas.bob.delete()
    assert not WebSession.objects.filter(session_key=key).exists()
    assert client.get(reverse("web:portal")).status_code == 302


def test_an_expired_session_is_a_visitor(client, personas):
    login(client, personas.tom)
    WebSession.objects.filter(session_key=client.cookies["sessionid"].value).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert_sent_to_login(client)


def test_a_forged_session_cookie_is_a_visitor(client, personas):
    client.cookies["sessionid"] = "nosuchsessionkeyatallnosuchsessio"
    assert_sent_to_login(client)


def test_a_session_started_before_login_has_no_user_until_the_login(client, personas):
    from osit.web.sessions import SessionStore

    before = SessionStore()
    before["seen_the_login_page"] = True
    before.save()
    client.cookies["sessionid"] = before.session_key
    assert WebSession.objects.get(session_key=before.session_key).user_id is None
    assert_sent_to_login(client)  # a visitor's session is not a user's
    _log_in_with_the_form(client, personas.nina)
    # Logging in starts a new session, now the user's; the visitor's one is gone.
    after = WebSession.objects.get(session_key=client.cookies["sessionid"].value)
    assert after.user_id == personas.nina.pk
    assert not WebSession.objects.filter(session_key=before.session_key).exists()


def test_expired_sessions_are_purged_by_the_hourly_job(client, personas):
    from osit.jobs.registry import JOBS

    login(client, personas.tom)
    assert JOBS["purge_expired_sessions"].run() == ""
    WebSession.objects.update(expire_date=timezone.now() - timedelta(minutes=1))
    assert JOBS["purge_expired_sessions"].run() == "purged 1 expired session(s)"
    assert not WebSession.objects.exists()


def test_clearsessions_deletes_expired_web_sessions(client, personas):
    from django.core.management import call_command

    login(client, personas.tom)
    login(Client(), personas.nina)
    WebSession.objects.filter(user=personas.tom).update(
        expire_date=timezone.now() - timedelta(minutes=1)
    )
    call_command("clearsessions")
    assert list(WebSession.objects.values_list("user__username", flat=True)) == ["nina"]


def test_session_data_decoded_once_is_each_sessions_own_copy(client, personas, settings):
    from osit.web.sessions import SessionStore

    login(client, personas.tom)
    key = client.cookies["sessionid"].value
    stored = WebSession.objects.get(session_key=key).session_data
    first, second = SessionStore(key), SessionStore(key)
    assert first.decode(stored) == second.decode(stored)
    first["note"] = "mine"
    assert "note" not in SessionStore(key).load()  # a copy, not the one decoded before
    assert SessionStore(key).load()["_auth_user_id"] == str(personas.tom.pk)
    # Text that does not verify is refused every time, even beside text that did.
    tampered = stored[:-3] + ("AAA" if not stored.endswith("AAA") else "BBB")
    assert first.decode(tampered) == {}
    settings.SECRET_KEY = "another-key-" + "x" * 50  # what was signed with the old one fails
    assert first.decode(stored) == {}


def test_a_tampered_session_row_is_a_visitor(client, personas):
    login(client, personas.tom)
    assert client.get(reverse("web:mine")).status_code == 200
    key = client.cookies["sessionid"].value
    row = WebSession.objects.get(session_key=key)
    row.session_data = row.session_data[:-4] + "AAAA"
    row.save()
    assert_sent_to_login(client)
