"""A login with a user name longer than any account's is a wrong login (the form
again, counted by the lockout), not a 500: django-axes stores the name it counts
in a 255-character column, which PostgreSQL enforces."""

import pytest


@pytest.mark.parametrize("username", ["x" * 100_000, "中" * 50_000])
def test_an_overlong_user_name_is_a_failed_login_not_a_500(require_postgres, client, username):
    response = client.post("/accounts/login/", {"username": username, "password": "pw-test-123"})
    assert response.status_code == 200
    assert 'name="username"' in response.content.decode()
