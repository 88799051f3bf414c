"""Reply, approve, reject and close from the detail page: success redirects
with a message, a form error is 400, a wrong state 409, a wrong role 403,
another shop's ticket 404, anonymous users go to log in; never a 500."""

import datetime as dt

import pytest
from django.test import override_settings

from tickets import lifecycle
from tickets.models import EventKind, Evidence, TicketStatus

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def action_url(ticket, action):
    return f"/tickets/{ticket.number}/{action}/"


def status_of(ticket):
    ticket.refresh_from_db()
    return ticket.status


# --- reply -----------------------------------------------------------------------

def test_merchant_reply_with_evidence_goes_to_review(client, merchant, pending_ticket,
                                                     image_upload):
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"),
                           {"body": "已联系快递，今天发出",
                            "evidence": [image_upload("a.png"), image_upload("b.png")]})
    assert response.status_code == 303
    assert response["Location"] == f"/tickets/{pending_ticket.number}/"
    assert status_of(pending_ticket) == TicketStatus.UNDER_REVIEW
    stored = Evidence.objects.filter(event__ticket=pending_ticket)
    assert sorted(e.original_name for e in stored) == ["a.png", "b.png"]
    page = client.get(response["Location"]).content.decode()
    assert "回复已提交，等待平台审核。" in page
    assert page.count("/evidence/") == 4  # two thumbnails, each a link and an image


def test_reply_without_evidence_is_fine_when_not_required(client, merchant, pending_ticket):
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"), {"body": "好的"})
    assert response.status_code == 303


def test_reply_needs_a_body(client, merchant, pending_ticket):
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"), {"body": "  "})
    assert response.status_code == 400
    assert "body" in response.context["reply_form"].errors
    assert status_of(pending_ticket) == TicketStatus.PENDING


def test_reply_refuses_more_than_four_images(client, merchant, pending_ticket, image_upload):
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"),
                           {"body": "见图", "evidence": [image_upload(f"{i}.png")
                                                        for i in range(5)]})
    assert response.status_code == 400
    assert "最多上传 4 张图片。" in response.content.decode()
    assert status_of(pending_ticket) == TicketStatus.PENDING
    assert not Evidence.objects.exists()


def test_reply_refuses_a_file_that_is_not_an_image_whatever_its_name(client, merchant,
                                                                     pending_ticket,
                                                                     image_upload):
    client.force_login(merchant)
    fake = image_upload("photo.png", content=b"%PDF-1.4 not an image at all")
    response = client.post(action_url(pending_ticket, "reply"), {"body": "见图",
                                                                 "evidence": [fake]})
    assert response.status_code == 400
    assert "evidence" in response.context["reply_form"].errors
    assert status_of(pending_ticket) == TicketStatus.PENDING


@override_settings(EVIDENCE_MAX_BYTES=100)
def test_reply_refuses_an_image_over_the_size_limit(client, merchant, pending_ticket,
                                                    image_upload):
    from tests.tickets.conftest import png_bytes

    big = image_upload("big.png", content=png_bytes(size=(200, 200)))
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"), {"body": "见图",
                                                                 "evidence": [big]})
    assert response.status_code == 400
    message = response.context["reply_form"].errors["evidence"][0]
    assert message.replace("\xa0", " ") == "big.png 超过了 100 字节。"


def test_reply_without_evidence_where_required_is_400(client, merchant, make_ticket,
                                                      evidence_type):
    ticket = make_ticket(service_type_=evidence_type)
    client.force_login(merchant)
    response = client.post(action_url(ticket, "reply"), {"body": "已退款"})
    assert response.status_code == 400
    assert "该服务类型要求至少上传一张凭证图片。" in response.content.decode()
    assert status_of(ticket) == TicketStatus.PENDING


def test_second_reply_is_409_already_replied(client, merchant, under_review_ticket):
    client.force_login(merchant)
    response = client.post(action_url(under_review_ticket, "reply"), {"body": "再说一次"})
    assert response.status_code == 409
    assert "该服务单已回复，无需重复回复。" in response.content.decode()


def test_reply_after_the_deadline_is_409_even_before_the_sweep(client, merchant, make_ticket,
                                                               image_upload):
    import time_machine

    ticket = make_ticket(now=T0)
    client.force_login(merchant)
    with time_machine.travel(T0 + dt.timedelta(hours=24, seconds=1), tick=False):
        response = client.post(action_url(ticket, "reply"),
                               {"body": "晚了", "evidence": [image_upload()]})
    assert response.status_code == 409
    assert "该服务单已超过处理时效，无法再回复。" in response.content.decode()
    assert status_of(ticket) == TicketStatus.PENDING
    assert not Evidence.objects.exists()  # nothing half-written


def test_reply_to_a_closed_ticket_is_409(client, merchant, agent, pending_ticket):
    lifecycle.close_as_agreed(pending_ticket, actor=agent)
    client.force_login(merchant)
    response = client.post(action_url(pending_ticket, "reply"), {"body": "你好"})
    assert response.status_code == 409


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_only_merchants_reply(client, request, role, pending_ticket):
    client.force_login(request.getfixturevalue(role))
    response = client.post(action_url(pending_ticket, "reply"), {"body": "我来回复"})
    assert response.status_code == 403
    assert status_of(pending_ticket) == TicketStatus.PENDING


def test_outsider_reply_is_404(client, outsider, pending_ticket):
    client.force_login(outsider)
    assert client.post(action_url(pending_ticket, "reply"), {"body": "x"}).status_code == 404
    assert status_of(pending_ticket) == TicketStatus.PENDING


# --- approve / reject / close ---------------------------------------------------

def test_agent_approves_a_reply(client, agent, under_review_ticket):
    client.force_login(agent)
    response = client.post(action_url(under_review_ticket, "approve"))
    assert response.status_code == 303
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.status == TicketStatus.CLOSED
    assert under_review_ticket.resolution == "approved"
    assert "回复已审核通过，服务单已关闭。" in client.get(response["Location"]).content.decode()


def test_agent_rejects_with_a_reason(client, agent, under_review_ticket):
    client.force_login(agent)
    response = client.post(action_url(under_review_ticket, "reject"),
                           {"reason_code": "other", "reason": "请补充单号"})
    assert response.status_code == 303
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.status == TicketStatus.PENDING
    assert under_review_ticket.reject_count == 1
    assert under_review_ticket.events.last().text == "请补充单号"


def test_reject_needs_a_reason(client, agent, under_review_ticket):
    client.force_login(agent)
    response = client.post(action_url(under_review_ticket, "reject"), {"reason": ""})
    assert response.status_code == 400
    assert "reason_code" in response.context["reject_form"].errors
    assert status_of(under_review_ticket) == TicketStatus.UNDER_REVIEW


def test_agent_closes_as_agreed_with_a_note(client, agent, pending_ticket):
    client.force_login(agent)
    response = client.post(action_url(pending_ticket, "close"), {"note": "买家撤回"})
    assert response.status_code == 303
    pending_ticket.refresh_from_db()
    assert pending_ticket.resolution == "agreed"
    assert pending_ticket.events.last().kind == EventKind.AGREED


def test_close_note_is_optional(client, agent, under_review_ticket):
    client.force_login(agent)
    assert client.post(action_url(under_review_ticket, "close"), {}).status_code == 303


@pytest.mark.parametrize("action, data", [
    ("approve", {}), ("reject", {"reason_code": "other", "reason": "不行"})])
def test_review_of_a_pending_ticket_is_409(client, agent, pending_ticket, action, data):
    client.force_login(agent)
    response = client.post(action_url(pending_ticket, action), data)
    assert response.status_code == 409
    assert "服务单状态已变化，无法执行此操作，请刷新页面。" in response.content.decode()
    assert status_of(pending_ticket) == TicketStatus.PENDING


def test_approving_twice_is_409(client, agent, under_review_ticket):
    client.force_login(agent)
    client.post(action_url(under_review_ticket, "approve"))
    assert client.post(action_url(under_review_ticket, "approve")).status_code == 409


def test_closing_a_closed_ticket_is_409(client, agent, pending_ticket):
    lifecycle.close_as_agreed(pending_ticket, actor=agent)
    client.force_login(agent)
    assert client.post(action_url(pending_ticket, "close"), {}).status_code == 409


@pytest.mark.parametrize("action, data", [
    ("approve", {}), ("reject", {"reason_code": "other", "reason": "不行"}),
    ("close", {"note": ""})])
@pytest.mark.parametrize("role", ["merchant", "ops"])
def test_agent_actions_are_403_for_other_roles(client, request, under_review_ticket, role,
                                               action, data):
    client.force_login(request.getfixturevalue(role))
    assert client.post(action_url(under_review_ticket, action), data).status_code == 403
    assert status_of(under_review_ticket) == TicketStatus.UNDER_REVIEW


@pytest.mark.parametrize("action", ["approve", "reject", "close"])
def test_agent_actions_are_404_for_the_outsider(client, outsider, under_review_ticket, action):
    client.force_login(outsider)
    assert client.post(action_url(under_review_ticket, action),
                       {"reason_code": "other", "reason": "x"}).status_code == 404


@pytest.mark.parametrize("action", ["reply", "approve", "reject", "close"])
def test_actions_send_anonymous_users_to_log_in(client, under_review_ticket, action):
    response = client.post(action_url(under_review_ticket, action),
                           {"reason_code": "other", "reason": "x", "body": "x"})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("action", ["reply", "approve", "reject", "close"])
def test_actions_refuse_get(client, agent, under_review_ticket, action):
    client.force_login(agent)
    assert client.get(action_url(under_review_ticket, action)).status_code == 405


@pytest.mark.parametrize("action", ["reply", "approve", "reject", "close"])
def test_actions_on_an_unknown_ticket_are_404(client, agent, merchant, action):
    client.force_login(merchant if action == "reply" else agent)
    assert client.post(f"/tickets/9999/{action}/",
                       {"body": "x", "reason_code": "other", "reason": "x"}).status_code \
        == 404
