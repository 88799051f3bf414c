"""Login throttling: after LOGIN_FAILURE_LIMIT failures for one username from
one address, that pair is refused for LOGIN_LOCKOUT_MINUTES with a 429 page in
the site's layout, even with the right password. Other users from that address
and the same user from another address still log in; a success resets the
count; the admin login is covered the same way."""

import datetime as dt

import pytest
from django.conf import settings

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "pw-test-123"
LOGIN = "/accounts/login/"
ATTACKER = "203.0.113.7"
T0 = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def log_in(client, username, password, *, address=ATTACKER, url=LOGIN):
    return client.post(url, {"username": username, "password": password},
                       REMOTE_ADDR=address)


def fail(client, username, times, **kwargs):
    """``times`` wrong passwords. Each is an ordinary "wrong password" answer,
    except the one reaching LOGIN_FAILURE_LIMIT, which already says "locked"."""
    for attempt in range(1, times + 1):
        expected = 429 if attempt == settings.LOGIN_FAILURE_LIMIT else 200
        assert log_in(client, username, "wrong-password", **kwargs).status_code == expected


@pytest.fixture
def victim(db):
    return UserFactory(username="merchant_victim", role="merchant")


def test_the_defaults_are_ten_failures_and_fifteen_minutes():
    assert settings.LOGIN_FAILURE_LIMIT == 10
    assert settings.LOGIN_LOCKOUT_MINUTES == 15


def test_brute_force_then_the_right_password_is_refused_with_a_429_page(client, victim):
    # 199 guesses: the first LOGIN_FAILURE_LIMIT - 1 are ordinary wrong-password
    # answers, the one reaching the limit and every one after are refused.
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)
    for _ in range(199 - settings.LOGIN_FAILURE_LIMIT):
        assert log_in(client, victim.username, "guess").status_code == 429

    response = log_in(client, victim.username, PASSWORD)

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session
    assert response["Retry-After"] == str(settings.LOGIN_LOCKOUT_MINUTES * 60)
    page = response.content.decode()
    assert "登录失败次数过多" in page  # the default language's message
    assert "15" in page
    assert 'class="topbar"' in page  # the site's layout, not a bare text answer


def test_the_lockout_page_speaks_english_when_asked(client, victim):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)

    response = log_in(client, victim.username, PASSWORD)

    assert response.status_code == 429
    assert "Too many failed logins" in response.content.decode()
    assert "blocked for 15 minutes" in response.content.decode()


def test_other_users_from_the_same_address_still_log_in(client, victim):
    colleague = UserFactory(username="merchant_colleague", role="merchant")
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)

    response = log_in(client, colleague.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(colleague.pk)


def test_the_same_user_from_another_address_still_logs_in(client, victim):
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)

    response = log_in(client, victim.username, PASSWORD, address="198.51.100.20")

    assert response.status_code == 302


def test_the_admin_login_is_throttled_too(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    fail(client, admin.username, settings.LOGIN_FAILURE_LIMIT, url="/admin/login/")

    response = log_in(client, admin.username, PASSWORD, url="/admin/login/")

    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_failures_on_one_login_form_count_on_the_other(client, victim):
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT, url="/admin/login/")

    assert log_in(client, victim.username, PASSWORD).status_code == 429


def test_a_successful_login_resets_the_count(client, victim):
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT - 1)
    assert log_in(client, victim.username, PASSWORD).status_code == 302
    client.post("/accounts/logout/")

    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT - 1)
    response = log_in(client, victim.username, PASSWORD)

    assert response.status_code == 302


def test_the_lockout_ends_after_the_lockout_minutes(client, victim, time_machine):
    time_machine.move_to(T0, tick=False)
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)

    time_machine.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=1))
    response = log_in(client, victim.username, PASSWORD)

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(victim.pk)


def test_the_lockout_still_holds_just_before_its_end(client, victim, time_machine):
    time_machine.move_to(T0, tick=False)
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)

    time_machine.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES, seconds=-1))

    assert log_in(client, victim.username, PASSWORD).status_code == 429


def test_an_attempt_during_the_lockout_restarts_it(client, victim, time_machine):
    # The lock runs LOGIN_LOCKOUT_MINUTES from the last refused attempt, so a
    # script that keeps guessing never gets through.
    time_machine.move_to(T0, tick=False)
    fail(client, victim.username, settings.LOGIN_FAILURE_LIMIT)
    time_machine.shift(dt.timedelta(minutes=10))
    assert log_in(client, victim.username, "guess").status_code == 429

    time_machine.shift(dt.timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES - 5))
    assert log_in(client, victim.username, PASSWORD).status_code == 429


@pytest.mark.parametrize("url", [LOGIN, "/admin/login/"])
@pytest.mark.parametrize("length", [151, 100_000])
def test_a_username_longer_than_any_user_s_is_a_form_error_and_no_attempt_is_recorded(
        client, url, length):
    """Django validates the login username's length only in the browser; the
    failed attempt's record (255 characters) made a long one a 500."""
    from axes.models import AccessAttempt

    response = log_in(client, "x" * length, PASSWORD, url=url)

    assert response.status_code == 200
    assert response.context["form"].errors["username"]
    assert not AccessAttempt.objects.exists()
