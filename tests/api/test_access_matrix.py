"""Who may call what on which ticket through the API: the pages' matrix. Another
shop's ticket is 404 (never 403), a wrong role 403, a read-only token 403 on
every write, a revoked or expired token 401, no credentials 401."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from api import tokens
from api.models import ApiToken
from tests.api.conftest import bearer, problem
from tests.factories import OrderFactory
from tickets.models import Ticket, TicketStatus

WRITES = {
    "reply": {"body": "已处理"},
    "approve": {},
    "reject": {"reason_code": "other", "reason": "请补充凭证"},
    "close": {"note": "协商一致"},
}


def _post(client, ticket, action):
    return client.post(f"/api/v1/tickets/{ticket.number}/{action}/", WRITES[action],
                       format="json")


@pytest.mark.parametrize("action", list(WRITES))
def test_another_shops_ticket_is_404_for_every_call(outsider_api, under_review_ticket, action):
    problem(outsider_api.get(f"/api/v1/tickets/{under_review_ticket.number}/"), 404, "not_found")
    problem(_post(outsider_api, under_review_ticket, action), 404, "not_found")
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.UNDER_REVIEW


def test_another_shops_ticket_is_not_listed(outsider_api, pending_ticket):
    assert outsider_api.get("/api/v1/tickets/").json()["results"] == []
    assert outsider_api.get(
        "/api/v1/tickets/", {"number": pending_ticket.number}).json()["results"] == []


def test_another_shops_evidence_is_404(outsider_api, pending_ticket):
    problem(outsider_api.get(f"/api/v1/tickets/{pending_ticket.number}/evidence/1/"),
            404, "not_found")


@pytest.mark.parametrize("action", ["approve", "reject", "close"])
def test_merchant_may_not_decide(merchant_api, under_review_ticket, action):
    problem(_post(merchant_api, under_review_ticket, action), 403, "not_permitted")
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.UNDER_REVIEW


def test_merchant_may_not_create(merchant_api, service_type, order):
    problem(merchant_api.post("/api/v1/tickets/", {
        "order_number": order.number, "service_type": service_type.code, "content": "x"},
        format="json"), 403, "not_permitted")
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("user_fixture", ["agent", "ops"])
def test_staff_may_not_reply(request, user_fixture, token_for, pending_ticket):
    client = bearer(token_for(request.getfixturevalue(user_fixture)))
    problem(_post(client, pending_ticket, "reply"), 403, "not_permitted")
    assert Ticket.objects.get(pk=pending_ticket.pk).status == TicketStatus.PENDING


@pytest.mark.parametrize("action", ["approve", "reject", "close"])
def test_ops_may_not_decide(ops_api, under_review_ticket, action):
    problem(_post(ops_api, under_review_ticket, action), 403, "not_permitted")


def test_agent_may_not_export(agent_api):
    problem(agent_api.post("/api/v1/exports/", {}, format="json"), 403, "not_permitted")


@pytest.mark.parametrize("action", ["approve", "reject", "close"])
def test_agent_decides(agent_api, under_review_ticket, action):
    response = _post(agent_api, under_review_ticket, action)
    assert response.status_code == 200, response.content
    expected = TicketStatus.PENDING if action == "reject" else TicketStatus.CLOSED
    assert response.json()["status"] == expected
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == expected


def test_wrong_state_is_409(agent_api, pending_ticket):
    problem(_post(agent_api, pending_ticket, "approve"), 409, "wrong_state")


def test_reply_after_the_deadline_is_409(merchant_api, make_ticket):
    ticket = make_ticket(now=timezone.now() - timedelta(days=30))
    problem(_post(merchant_api, ticket, "reply"), 409, "deadline_passed")
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.PENDING


@pytest.mark.parametrize("action", list(WRITES))
def test_read_only_token_may_not_write(readonly_merchant_api, readonly_agent_api,
                                       under_review_ticket, pending_ticket, action):
    client = readonly_merchant_api if action == "reply" else readonly_agent_api
    ticket = pending_ticket if action == "reply" else under_review_ticket
    before = ticket.status
    problem(_post(client, ticket, action), 403, "not_permitted")
    assert Ticket.objects.get(pk=ticket.pk).status == before


def test_read_only_token_reads(readonly_merchant_api, pending_ticket):
    assert readonly_merchant_api.get(f"/api/v1/tickets/{pending_ticket.number}/").status_code \
        == 200


def test_read_only_token_may_not_create_or_export(readonly_agent_api, readonly_merchant_api,
                                                  service_type, order):
    problem(readonly_agent_api.post("/api/v1/tickets/", {
        "order_number": order.number, "service_type": service_type.code, "content": "x"},
        format="json"), 403, "not_permitted")
    problem(readonly_merchant_api.post("/api/v1/exports/", {}, format="json"),
            403, "not_permitted")


def test_revoked_token_is_401(merchant, token_for, pending_ticket):
    raw = token_for(merchant)
    token = ApiToken.objects.get(user=merchant)
    assert tokens.revoke(user=merchant, token_id=token.pk)
    response = bearer(raw).get("/api/v1/tickets/")
    problem(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_expired_token_is_401(merchant, token_for, time_machine):
    raw = token_for(merchant, expires_at=timezone.now() + timedelta(days=1))
    assert bearer(raw).get("/api/v1/tickets/").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(days=1, seconds=1))
    problem(bearer(raw).get("/api/v1/tickets/"), 401, "not_authenticated")


def test_a_tampered_token_is_401(merchant, token_for):
    raw = token_for(merchant)
    problem(bearer(raw[:-2] + "xx").get("/api/v1/tickets/"), 401, "not_authenticated")
    problem(bearer("nonsense").get("/api/v1/tickets/"), 401, "not_authenticated")


def test_no_credentials_is_401(db):
    problem(APIClient().get("/api/v1/tickets/"), 401, "not_authenticated")


def test_token_of_deactivated_user_is_401(merchant, token_for):
    raw = token_for(merchant)
    merchant.is_active = False
    merchant.save()
    problem(bearer(raw).get("/api/v1/tickets/"), 401, "not_authenticated")


def test_other_shops_order_can_be_ticketed_by_agent(agent_api, service_type, shop_b):
    order = OrderFactory(shop=shop_b)
    response = agent_api.post("/api/v1/tickets/", {
        "order_number": order.number, "service_type": service_type.code, "content": "催发货"},
        format="json")
    assert response.status_code == 201, response.content
    assert response.json()["status"] == "pending"
