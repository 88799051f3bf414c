"""Sessions live in the cache (written through to the database) and the
session's user is loaded with its role and shop: a session that logged out, or
whose user changed password or was deactivated, is refused all the same."""

from django.test import Client

TICKETS = "/tickets/"


def test_a_session_that_logged_out_is_refused_everywhere(client, merchant):
    client.force_login(merchant)
    cookie = client.cookies["sessionid"].value
    assert client.get(TICKETS).status_code == 200
    client.post("/accounts/logout/")
    thief = Client()
    thief.cookies["sessionid"] = cookie
    response = thief.get(TICKETS)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_password_change_ends_other_sessions(client, merchant):
    client.force_login(merchant)
    assert client.get(TICKETS).status_code == 200
    merchant.set_password("a-new-password-2026")
    merchant.save()
    assert client.get(TICKETS).status_code == 302


def test_a_deactivated_user_is_logged_out(client, merchant):
    client.force_login(merchant)
    assert client.get(TICKETS).status_code == 200
    merchant.is_active = False
    merchant.save()
    assert client.get(TICKETS).status_code == 302
