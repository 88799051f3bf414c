"""Every error is problem+json with a stable code, translated by Accept-Language
(Chinese by default); bad input never becomes a 500 and leaves nothing behind."""

import pytest
from rest_framework.test import APIClient

from tests.api.conftest import problem
from tickets.models import Ticket, TicketStatus


def test_detail_is_chinese_by_default_and_english_on_request(merchant_api, under_review_ticket):
    url = f"/api/v1/tickets/{under_review_ticket.number}/reply/"
    zh = problem(merchant_api.post(url, {"body": "x"}, format="json"), 409, "already_replied")
    en = problem(merchant_api.post(url, {"body": "x"}, format="json",
                                   HTTP_ACCEPT_LANGUAGE="en"), 409, "already_replied")
    assert en["detail"] == "This ticket has already been replied to; no need to reply again."
    assert zh["detail"] != en["detail"] and any("\u4e00" <= c <= "\u9fff" for c in zh["detail"])


def test_field_errors(merchant_api, pending_ticket):
    body = problem(merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/",
                                     {"body": ""}, format="json"), 400, "validation_error")
    assert list(body["errors"]) == ["body"]
    assert Ticket.objects.get(pk=pending_ticket.pk).status == TicketStatus.PENDING


def test_blank_reply_is_refused_by_the_lifecycle_as_validation(merchant_api, pending_ticket):
    problem(merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/",
                              {"body": "   "}, format="json"), 400, "validation_error")


@pytest.mark.parametrize("payload", ['[1, 2]', '"text"', "null", "{bad json"])
def test_a_body_that_is_not_an_object(merchant_api, pending_ticket, payload):
    response = merchant_api.generic("POST", f"/api/v1/tickets/{pending_ticket.number}/reply/",
                                    payload, content_type="application/json")
    problem(response, 400, "validation_error")


@pytest.mark.parametrize("params,field", [
    ({"status": "nope"}, "status"),
    ({"service_type": "no-such-type"}, "service_type"),
    ({"created_after": "yesterday"}, "created_after"),
    ({"updated_after": "soon"}, "updated_after"),
    ({"page_size": "101"}, "page_size"),
    ({"page_size": "0"}, "page_size"),
    ({"page_size": "many"}, "page_size"),
    ({"cursor": "garbage"}, "cursor"),
    ({"cursor": "99999999999999999999999_1"}, "cursor"),
    ({"number": "a\x00b"}, "number"),
    ({"order_number": "x" * 100}, "order_number"),
])
def test_hostile_list_parameters_are_400(merchant_api, pending_ticket, params, field):
    body = problem(merchant_api.get("/api/v1/tickets/", params), 400, "validation_error")
    assert field in body["errors"]


def test_unknown_api_path_is_a_problem(merchant_api):
    problem(merchant_api.get("/api/v1/nothing-here/"), 404, "not_found")
    problem(merchant_api.delete("/api/v1/nothing-here/"), 404, "not_found")


def test_wrong_method_is_405(merchant_api):
    problem(merchant_api.delete("/api/v1/tickets/"), 405, "method_not_allowed")


def test_unsupported_media_type(merchant_api, pending_ticket):
    response = merchant_api.generic("POST", f"/api/v1/tickets/{pending_ticket.number}/reply/",
                                    "body=x", content_type="text/plain")
    problem(response, 415, "unsupported_media_type")


def test_unexpected_exception_is_a_problem_500(merchant_api, monkeypatch, pending_ticket):
    from api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.selectors, "ticket_page", explode)
    client = merchant_api
    client.raise_request_exception = False
    body = problem(client.get("/api/v1/tickets/"), 500, "server_error")
    assert "boom" not in body["detail"]


def test_oversized_body_is_a_problem_413(merchant_api, settings, pending_ticket):
    settings.REQUEST_BODY_MAX_BYTES = 100
    response = merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/",
                                 {"body": "x" * 500}, format="json")
    problem(response, 413, "request_too_large")
    assert Ticket.objects.get(pk=pending_ticket.pk).status == TicketStatus.PENDING


def test_session_post_without_csrf_is_403(merchant, pending_ticket):
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(merchant)
    assert client.get(f"/api/v1/tickets/{pending_ticket.number}/").status_code == 200
    problem(client.post(f"/api/v1/tickets/{pending_ticket.number}/reply/", {"body": "x"},
                        format="json"), 403, "not_permitted")
    assert Ticket.objects.get(pk=pending_ticket.pk).status == TicketStatus.PENDING


def test_api_titles_and_details_are_translated(db):
    zh = problem(APIClient().get("/api/v1/tickets/"), 401, "not_authenticated")
    en = problem(APIClient().get("/api/v1/tickets/", HTTP_ACCEPT_LANGUAGE="en"), 401,
                 "not_authenticated")
    assert (zh["title"], en["title"]) == ("未登录", "Not signed in")
    assert zh["detail"] != en["detail"]
    missing = problem(APIClient().get("/api/v1/nowhere/", HTTP_ACCEPT_LANGUAGE="zh-hans"),
                      404, "not_found")
    assert missing["detail"] == "未找到。"
