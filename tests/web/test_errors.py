"""Error pages: a friendly message and a link home, never a traceback."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import include, path, reverse

from osit.web.views import errors
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


def _boom(request):
    raise RuntimeError("secret internals: password=hunter2")


def _suspicious(request):
    raise SuspiciousOperation("forged header")


def _denied(request):
    raise PermissionDenied


# A URL map with views that fail, in front of the real one (used through @pytest.mark.urls).
urlpatterns = [
    path("boom/", _boom),
    path("suspicious/", _suspicious),
    path("denied/", _denied),
    path("", include("osit.urls")),
]
handler400 = "osit.web.views.errors.bad_request"
handler403 = "osit.web.views.errors.permission_denied"
handler404 = "osit.web.views.errors.page_not_found"
handler500 = "osit.web.views.errors.server_error"


def test_unknown_url_is_the_friendly_404_page(client, personas):
    login(client, personas.tom)
    response = client.get("/no/such/page/")
    page = response.content.decode()
    assert response.status_code == 404
    assert "<h1>Page not found</h1>" in page
    assert 'href="/"' in page
    assert "Traceback" not in page and "urlpatterns" not in page


def test_unknown_ticket_url_is_404(client, personas):
    login(client, personas.tom)
    response = client.get("/tickets/not-a-number/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_404_for_anonymous_visitors_too(client):
    response = client.get("/tickets/12/nothing/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_403_page_text(client, personas):
    login(client, personas.bob)
    response = client.get(reverse("web:closed"))
    page = response.content.decode()
    assert response.status_code == 403
    assert "<h1>Access denied</h1>" in page
    assert "You may not see this page." in page
    assert "Your requests are in the portal." in page
    assert 'href="/"' in page


@pytest.mark.urls("tests.web.test_errors")
def test_403_without_a_message(client, personas):
    login(client, personas.tom)
    response = client.get("/denied/")
    assert response.status_code == 403
    assert "You may not see this page." in response.content.decode()


@pytest.mark.urls("tests.web.test_errors")
def test_400_page(client, personas):
    response = client.get("/suspicious/")
    page = response.content.decode()
    assert response.status_code == 400
    assert "<h1>Bad request</h1>" in page
    assert "forged header" not in page


@pytest.mark.urls("tests.web.test_errors")
def test_500_page_is_plain_and_hides_the_error(personas):
    client = Client(raise_request_exception=False)
    login(client, personas.tom)
    response = client.get("/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "<h1>Server error</h1>" in page
    assert 'href="/"' in page
    assert "hunter2" not in page and "Traceback" not in page
    # Stand-alone: not the base template (its navigation needs the database).
    assert "mainnav" not in page


def test_500_page_renders_without_touching_the_database():
    request = RequestFactory().get("/")
    with CaptureQueriesContext(connection) as queries:
        response = errors.server_error(request)
    assert response.status_code == 500
    assert "Server error" in response.content.decode()
    assert len(queries) == 0


def test_domain_errors_render_their_page_with_the_message(personas):
    from osit.core.errors import Conflict, Forbidden, NotFound

    request = RequestFactory().get("/")
    request.user = personas.tom
    for exc, status, heading in (
        (NotFound("Ticket #9 does not exist."), 404, "Page not found"),
        (Forbidden("Only a manager may decide."), 403, "Access denied"),
        (Conflict("The ticket is already closed."), 400, "Bad request"),
    ):
        response = errors.render_domain_error(request, exc)
        page = response.content.decode()
        assert response.status_code == status
        assert heading in page and exc.message in page
