"""The ticket detail page: who may open it, what it shows (order, rule,
countdown, thread, rejection reason) and the evidence images behind it."""

import datetime as dt
import re

import pytest
import time_machine
from django.utils import timezone

from tickets import lifecycle
from tickets.models import Evidence

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)  # 10:00 in Shanghai


def url(ticket):
    return f"/tickets/{ticket.number}/"


# --- role × page --------------------------------------------------------------

@pytest.mark.parametrize("role, status", [
    ("merchant", 200), ("outsider", 404), ("agent", 200), ("ops", 200)])
def test_who_may_open_the_detail(client, request, pending_ticket, role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(url(pending_ticket)).status_code == status


def test_anonymous_is_sent_to_log_in(client, pending_ticket):
    response = client.get(url(pending_ticket))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_unknown_ticket_is_404(client, merchant):
    client.force_login(merchant)
    assert client.get("/tickets/0000000000000000/").status_code == 404


def test_outsider_404_looks_like_a_missing_ticket(client, outsider, pending_ticket):
    client.force_login(outsider)
    missing = client.get("/tickets/0000000000000000/").content.decode()
    hidden = client.get(url(pending_ticket)).content.decode()
    assert pending_ticket.content not in hidden
    # Same page as for a number that does not exist (CSRF tokens aside).
    def strip(html, number):
        volatile = r'(csrfmiddlewaretoken" value=|X-CSRFToken": |"server_now": )"[^"]+"'
        return re.sub(volatile, "", html).replace(number, "")

    assert strip(hidden, pending_ticket.number) == strip(missing, "0000000000000000")


# --- what it shows ---------------------------------------------------------------

def test_detail_shows_order_panel_content_and_rule(client, merchant, pending_ticket):
    order = pending_ticket.order
    order.tracking_number = "SF1234567890"
    order.save()
    client.force_login(merchant)
    html = client.get(url(pending_ticket)).content.decode()
    for text in (pending_ticket.number, order.number, order.product_title, order.sku,
                 "299.00", "快****猫", "SF1234567890", "买家询问什么时候发货",
                 "请在 24 小时内回复；逾期未回复，平台将关闭服务单并计为超时。", "待处理"):
        assert text in html
    assert order.buyer_nickname not in html


def test_detail_shows_times_in_the_shop_time_zone(client, merchant, make_ticket):
    ticket = make_ticket(now=T0)
    client.force_login(merchant)
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        html = client.get(url(ticket)).content.decode()
    assert "2026-11-26 10:00" in html  # created, Shanghai time
    assert "2026-11-27 10:00" in html  # deadline


@pytest.mark.parametrize("elapsed, text, state", [
    (dt.timedelta(hours=1, minutes=48), "剩余 22 小时 12 分", "countdown-ok"),
    (dt.timedelta(hours=22, minutes=30), "剩余 1 小时 30 分", "countdown-due-soon"),
    (dt.timedelta(hours=23, minutes=58, seconds=20), "剩余 1 分 40 秒", "countdown-due-soon"),
    # Under a minute there is no "0 分": just the seconds.
    (dt.timedelta(hours=23, minutes=59, seconds=51), "剩余 9 秒", "countdown-due-soon"),
    (dt.timedelta(hours=24, minutes=1), "已超时", "countdown-overdue"),
])
def test_countdown_is_right_without_javascript(client, merchant, make_ticket, elapsed, text,
                                               state):
    ticket = make_ticket(now=T0)
    client.force_login(merchant)
    with time_machine.travel(T0 + elapsed, tick=False):
        html = client.get(url(ticket)).content.decode()
    assert f'class="countdown {state}" data-deadline="{ticket.deadline.isoformat()}"' in html
    assert text in html


def test_overdue_ticket_offers_no_reply_form(client, merchant, make_ticket):
    ticket = make_ticket(now=T0)
    client.force_login(merchant)
    with time_machine.travel(T0 + dt.timedelta(hours=25), tick=False):
        response = client.get(url(ticket))
    assert response.context["may"]["reply"] is False
    assert "该服务单已超过处理时效，无法再回复。" in response.content.decode()


def test_merchant_sees_reply_form_and_no_review_buttons(client, merchant, pending_ticket):
    client.force_login(merchant)
    html = client.get(url(pending_ticket)).content.decode()
    assert f'action="/tickets/{pending_ticket.number}/reply/"' in html
    assert "/approve/" not in html and "/reject/" not in html


def test_agent_sees_review_buttons_on_a_reply(client, agent, under_review_ticket):
    client.force_login(agent)
    html = client.get(url(under_review_ticket)).content.decode()
    assert "/approve/" in html and "/reject/" in html and "/close/" in html
    assert "/reply/" not in html


def test_agent_can_only_close_a_pending_ticket(client, agent, pending_ticket):
    client.force_login(agent)
    html = client.get(url(pending_ticket)).content.decode()
    assert "/close/" in html
    assert "/approve/" not in html


def test_ops_is_read_only(client, ops, under_review_ticket):
    client.force_login(ops)
    html = client.get(url(under_review_ticket)).content.decode()
    for action in ("/reply/", "/approve/", "/reject/", "/close/"):
        assert action not in html


def test_closed_ticket_shows_resolution_and_close_time(client, merchant, agent, make_ticket):
    ticket = make_ticket(now=T0)
    lifecycle.close_as_agreed(ticket, actor=agent, note="买家已同意",
                              now=T0 + dt.timedelta(hours=3))
    client.force_login(merchant)
    html = client.get(url(ticket)).content.decode()
    assert "协商一致" in html and "2026-11-26 13:00" in html
    assert 'class="countdown' not in html


def test_rejected_ticket_shows_the_reason_above_the_reply_form(client, merchant, agent,
                                                                under_review_ticket):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="请补充物流单号")
    client.force_login(merchant)
    html = client.get(url(under_review_ticket)).content.decode()
    assert html.index('id="rejection"') < html.index('id="reply"')
    assert "请补充物流单号" in html[html.index('id="rejection"'):html.index('id="reply"')]


def test_thread_lists_every_event_with_actor_and_time(client, merchant, agent,
                                                      under_review_ticket):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="请补充物流单号")
    client.force_login(merchant)
    response = client.get(url(under_review_ticket))
    kinds = [e.kind for e in response.context["events"]]
    assert kinds == ["created", "replied", "rejected"]
    html = response.content.decode()
    assert "今天下午发出，单号稍后更新" in html
    assert "merchant_a" in html and "agent" in html


def test_timeout_event_is_shown_as_the_platform(client, merchant, make_ticket):
    ticket = make_ticket(now=T0)
    lifecycle.time_out(ticket, now=T0 + dt.timedelta(hours=24))
    client.force_login(merchant)
    html = client.get(url(ticket)).content.decode()
    assert "平台" in html and "已超时" in html


def test_detail_query_count_is_fixed(client, merchant, agent, make_ticket, image_upload,
                                     django_assert_max_num_queries):
    ticket = make_ticket()
    for i in range(3):
        lifecycle.reply(ticket, actor=merchant, body=f"回复 {i}",
                        evidence=[image_upload(), image_upload()])
        lifecycle.reject(ticket, actor=agent, reason_code="other", reason=f"原因 {i}")
    client.force_login(merchant)
    client.get(url(ticket))
    # the user with role and shop, ticket, events + actors, evidence, the reply
    # templates that fit, unread badge
    with django_assert_max_num_queries(6):
        client.get(url(ticket))


# --- evidence images -----------------------------------------------------------

@pytest.fixture
def evidence(merchant, pending_ticket, image_upload):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图", evidence=[image_upload("a.png")])
    return Evidence.objects.get(event__ticket=pending_ticket)


def evidence_url(evidence):
    return f"/tickets/{evidence.event.ticket.number}/evidence/{evidence.pk}/"


@pytest.mark.parametrize("role, status", [
    ("merchant", 200), ("outsider", 404), ("agent", 200), ("ops", 200)])
def test_evidence_is_served_only_to_who_sees_the_ticket(client, request, evidence, role,
                                                        status):
    client.force_login(request.getfixturevalue(role))
    response = client.get(evidence_url(evidence))
    assert response.status_code == status
    if status == 200:
        assert response["Content-Type"] == "image/png"
        assert b"".join(response.streaming_content).startswith(b"\x89PNG")


def test_evidence_needs_login(client, evidence):
    assert client.get(evidence_url(evidence)).status_code == 302


def test_evidence_of_another_ticket_is_404_under_this_number(client, merchant, evidence,
                                                            make_ticket):
    other = make_ticket()
    client.force_login(merchant)
    assert client.get(f"/tickets/{other.number}/evidence/{evidence.pk}/").status_code == 404


def test_evidence_thumbnails_link_to_the_guarded_view(client, merchant, evidence):
    client.force_login(merchant)
    html = client.get(f"/tickets/{evidence.event.ticket.number}/").content.decode()
    assert f'href="{evidence_url(evidence)}"' in html
    assert f'src="{evidence_url(evidence)}thumbnail/"' in html
    assert "/media/" not in html


def test_missing_evidence_file_is_404_not_500(client, merchant, evidence):
    evidence.image.delete(save=False)
    client.force_login(merchant)
    assert client.get(evidence_url(evidence)).status_code == 404


def test_detail_is_shown_at_the_current_time(client, merchant, pending_ticket):
    client.force_login(merchant)
    response = client.get(url(pending_ticket))
    assert abs(response.context["now_utc"] - timezone.now()) < dt.timedelta(seconds=5)
