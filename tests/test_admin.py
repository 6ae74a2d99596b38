"""The admin site: configuration editable, tickets and history read-only."""

import pytest


@pytest.fixture
def admin_client(client, personas):
    personas.ada.is_staff = True
    personas.ada.is_superuser = True
    personas.ada.save()
    client.force_login(personas.ada)
    return client


def test_admin_pages_open(admin_client, make_ticket):
    ticket = make_ticket()
    for url in (
        "/admin/",
        "/admin/directory/service/",
        "/admin/directory/user/",
        "/admin/tickets/ticket/",
        "/admin/audit/event/",
        f"/admin/tickets/ticket/{ticket.pk}/change/",
    ):
        assert admin_client.get(url).status_code == 200, url


def test_tickets_cannot_be_edited_in_the_admin(admin_client, make_ticket):
    ticket = make_ticket()
    response = admin_client.post(
        f"/admin/tickets/ticket/{ticket.pk}/change/", {"subject": "changed"}
    )
    assert response.status_code == 403
    ticket.refresh_from_db()
    assert ticket.subject == "Error message at login"
    assert admin_client.get(f"/admin/tickets/ticket/{ticket.pk}/delete/").status_code == 403


def test_a_bad_priority_matrix_is_refused_with_the_cell_named(admin_client, personas):
    url = f"/admin/directory/service/{personas.network.pk}/change/"
    response = admin_client.post(
        url,
        {
            "slug": "network",
            "name": "Network",
            "description": "",
            "email": "",
            "comment_email": "",
            "priority_matrix": '{"minor": {"blocking": 9}}',
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "priority for minor/blocking must be 1 to 5, not 9" in response.content.decode()


def test_requesters_are_kept_out_of_the_admin(client, personas):
    client.force_login(personas.alice)
    response = client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
