"""Attachment download: through a visible ticket only, internal files to agents, safe headers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from osit.tickets import actions
from tests.web.conftest import login

pytestmark = pytest.mark.django_db


def download_url(attachment) -> str:
    return reverse("web:attachment", args=[attachment.pk, attachment.filename])


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def files(personas, make_ticket):
    """A public file (sent with a reply) and an internal one (with a note) on alice's ticket."""
    ticket = make_ticket()
    public = actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Here is the log.",
        uploads=[actions.Upload("server log.txt", b"public content", "text/plain")],
    ).attachments.get()
    internal = actions.add_comment(
        ticket,
        actor=personas.tom,
        channel="web",
        body="Credentials dump",
        visibility="internal",
        uploads=[actions.Upload("secrets.txt", b"internal content", "text/plain")],
    ).attachments.get()
    return public, internal


@pytest.mark.parametrize("name", ["alice", "olivia", "tom", "max", "ada"])
def test_the_file_is_served_as_a_download_with_its_name(client, personas, files, name):
    public, _internal = files
    login(client, personas.by_role(name))
    response = client.get(download_url(public))
    assert response.status_code == 200
    assert content_of(response) == b"public content"
    assert response["Content-Disposition"] == 'attachment; filename="server log.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "text/plain"


@pytest.mark.parametrize("name", ["bob", "nina"])
def test_a_file_of_an_invisible_ticket_does_not_exist(client, personas, files, name):
    public, internal = files
    login(client, personas.by_role(name))
    for attachment in (public, internal):
        response = client.get(download_url(attachment))
        assert response.status_code == 404
        assert b"public content" not in response.content
        assert b"internal content" not in response.content


def test_internal_files_are_not_for_the_requester(client, personas, files):
    _public, internal = files
    login(client, personas.alice)
    assert client.get(download_url(internal)).status_code == 404
    login(client, personas.tom)
    response = client.get(download_url(internal))
    assert response.status_code == 200
    assert content_of(response) == b"internal content"


def test_a_missing_attachment_is_404_like_a_hidden_one(client, personas, files):
    public, _internal = files
    login(client, personas.max)
    response = client.get(reverse("web:attachment", args=[public.pk + 100, "x.txt"]))
    assert response.status_code == 404
    assert f"Attachment {public.pk + 100} does not exist." in response.content.decode()


def test_anonymous_must_log_in(client, files):
    public, _internal = files
    response = client.get(download_url(public))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("web:login"))


def test_an_html_upload_is_never_rendered_inline(client, personas, make_ticket):
    ticket = make_ticket()
    attachment = actions.add_attachments(
        ticket,
        actor=personas.tom,
        channel="web",
        uploads=[actions.Upload("../../evil.html", b"<script>alert(1)</script>", "text/html")],
    )[0]
    login(client, personas.tom)
    response = client.get(download_url(attachment))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="evil.html"'
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "sandbox" in response["Content-Security-Policy"]


def test_the_file_name_in_the_url_does_not_matter(client, personas, files):
    public, _internal = files
    login(client, personas.tom)
    response = client.get(reverse("web:attachment", args=[public.pk, "renamed.exe"]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="server log.txt"'


def test_a_file_gone_from_storage_is_404_not_500(client, personas, files):
    public, _internal = files
    public.file.storage.delete(public.file.name)
    login(client, personas.tom)
    assert client.get(download_url(public)).status_code == 404


def test_the_ticket_page_links_the_file(client, personas, files):
    public, internal = files
    login(client, personas.tom)
    body = client.get(reverse("web:ticket", args=[public.ticket_id])).content.decode()
    assert f'href="{download_url(public)}"'.replace(" ", "%20") in body
    assert f'href="{download_url(internal)}"' in body
