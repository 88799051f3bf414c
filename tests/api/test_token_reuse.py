"""A web process reuses a token it checked moments ago (API_TOKEN_REUSE_SECONDS):
a change made in the same process applies to the very next request, one made
elsewhere once the reuse time is over."""

from django.utils import timezone

from api import tokens
from api.models import ApiToken
from tests.api.conftest import bearer, problem


def _numbers(response):
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


def test_revoking_a_token_in_use_applies_to_its_next_request(merchant, token_for,
                                                             pending_ticket):
    client = bearer(token_for(merchant))
    assert _numbers(client.get("/api/v1/tickets/")) == [pending_ticket.number]
    assert tokens.revoke(user=merchant, token_id=ApiToken.objects.get(user=merchant).pk)
    problem(client.get("/api/v1/tickets/"), 401, "not_authenticated")


def test_deactivating_the_user_of_a_token_in_use_applies_at_once(merchant, token_for):
    client = bearer(token_for(merchant))
    assert client.get("/api/v1/tickets/").status_code == 200
    merchant.is_active = False
    merchant.save()
    problem(client.get("/api/v1/tickets/"), 401, "not_authenticated")


def test_moving_a_merchant_to_another_shop_changes_what_their_token_sees_at_once(
        merchant, token_for, pending_ticket, shop_b, make_ticket):
    theirs = make_ticket(shop=shop_b)
    client = bearer(token_for(merchant))
    assert _numbers(client.get("/api/v1/tickets/")) == [pending_ticket.number]
    membership = merchant.shop_membership
    membership.shop = shop_b
    membership.save()
    assert _numbers(client.get("/api/v1/tickets/")) == [theirs.number]
    problem(client.get(f"/api/v1/tickets/{pending_ticket.number}/"), 404, "not_found")


def test_leaving_the_merchant_group_applies_at_once(merchant, token_for, pending_ticket):
    client = bearer(token_for(merchant))
    assert _numbers(client.get("/api/v1/tickets/")) == [pending_ticket.number]
    merchant.groups.clear()
    # No role: nothing visible.
    assert _numbers(client.get("/api/v1/tickets/")) == []


def test_a_revocation_elsewhere_applies_once_the_reuse_time_is_over(
        merchant, token_for, pending_ticket, settings, monkeypatch):
    settings.API_TOKEN_REUSE_SECONDS = 2
    clock = [1000.0]
    monkeypatch.setattr(tokens, "monotonic", lambda: clock[0])
    client = bearer(token_for(merchant))
    assert client.get("/api/v1/tickets/").status_code == 200
    # Another web process revokes it: this process hears nothing of it (an
    # UPDATE sends no signal).
    ApiToken.objects.update(revoked_at=timezone.now())
    clock[0] += 1.9
    assert client.get("/api/v1/tickets/").status_code == 200
    clock[0] += 0.2
    problem(client.get("/api/v1/tickets/"), 401, "not_authenticated")


def test_with_no_reuse_every_request_reads_its_token(merchant, token_for, settings):
    settings.API_TOKEN_REUSE_SECONDS = 0
    client = bearer(token_for(merchant))
    assert client.get("/api/v1/tickets/").status_code == 200
    ApiToken.objects.update(revoked_at=timezone.now())
    problem(client.get("/api/v1/tickets/"), 401, "not_authenticated")
