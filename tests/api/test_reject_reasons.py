"""Rejections through the API take a coded reason (``reason_code``, optional
``reason``; text required for ``other``), the events show the code, and a
reply another agent has claimed is refused with 409 ``claimed``."""

import pytest

from tests.api.conftest import bearer, problem
from tests.factories import ServiceTypeFactory, UserFactory
from tickets import claims
from tickets.models import Ticket, TicketStatus


def reject_url(ticket):
    return f"/api/v1/tickets/{ticket.number}/reject/"


@pytest.mark.parametrize("data, field", [
    ({"reason": "请补充"}, "reason_code"),
    ({"reason_code": "no_such_code"}, "non_field_errors"),
    ({"reason_code": "other"}, "non_field_errors"),
    ({"reason_code": "other", "reason": "   "}, "non_field_errors"),
])
def test_a_bad_reason_is_400(agent_api, under_review_ticket, data, field):
    body = problem(agent_api.post(reject_url(under_review_ticket), data, format="json",
                                  HTTP_ACCEPT_LANGUAGE="zh-hans"), 400, "validation_error")
    assert field in body["errors"]
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.UNDER_REVIEW


def test_a_reason_of_another_service_type_is_400(agent_api, under_review_ticket,
                                                 reject_reasons):
    invoice = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    reject_reasons["unclear_evidence"].service_types.set([invoice])
    body = problem(agent_api.post(reject_url(under_review_ticket),
                                  {"reason_code": "unclear_evidence"}, format="json",
                                  HTTP_ACCEPT_LANGUAGE="en"), 400, "validation_error")
    assert "does not apply to this service type" in body["detail"]


def test_events_show_the_reason_code(agent_api, merchant_api, under_review_ticket):
    response = agent_api.post(reject_url(under_review_ticket),
                              {"reason_code": "invalid_tracking", "reason": "单号查不到"},
                              format="json")
    assert response.status_code == 200
    rejected = [e for e in response.json()["events"] if e["kind"] == "rejected"]
    assert [(e["reason_code"], e["text"]) for e in rejected] == [
        ("invalid_tracking", "单号查不到")]
    created = [e for e in merchant_api.get(f"/api/v1/tickets/{under_review_ticket.number}/")
               .json()["events"] if e["kind"] == "created"]
    assert created[0]["reason_code"] is None


def test_a_reply_claimed_by_another_agent_is_409_claimed(agent_api, under_review_ticket,
                                                         token_for):
    holder = UserFactory(username="holder", role="agent")
    claims.claim(under_review_ticket, holder)
    body = problem(agent_api.post(f"/api/v1/tickets/{under_review_ticket.number}/approve/"),
                   409, "claimed")
    assert "holder" in body["detail"]
    problem(agent_api.post(reject_url(under_review_ticket), {"reason_code": "not_solved"},
                           format="json"), 409, "claimed")
    # The holder's own token goes through.
    assert bearer(token_for(holder)).post(
        f"/api/v1/tickets/{under_review_ticket.number}/approve/").status_code == 200
