"""Stored rows keep codes and parameters; the text follows the reader's language."""

import datetime as dt

import pytest
from django.utils import translation

from notifications.models import Notification
from notifications.services import notify
from tickets import lifecycle

pytestmark = pytest.mark.django_db


def text_in(language, notification):
    with translation.override(language):
        return Notification.objects.select_related("ticket__service_type").get(
            pk=notification.pk).text


@pytest.fixture
def rejected(under_review_ticket, agent, merchant):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="物流单号无效")
    return Notification.objects.get(recipient=merchant, kind="rejected")


def test_the_stored_row_holds_codes_and_parameters_not_sentences(rejected):
    assert rejected.kind == "rejected"
    assert rejected.params == {"reason": "物流单号无效", "reason_code": "other"}


def test_the_same_notification_reads_in_chinese_and_in_english(rejected):
    number = rejected.ticket.number
    assert text_in("zh-hans", rejected) == f"服务单 {number} 的回复被驳回：物流单号无效"
    assert text_in("en", rejected) == \
        f"The reply to ticket {number} was rejected: 物流单号无效"


@pytest.mark.parametrize("kind, zh, en", [
    ("new_ticket", "新服务单", "New ticket"),
    ("status_changed", "审核", "waiting for review"),
    ("timed_out", "超时", "timed out"),
    ("due_soon", "即将超时", "due soon"),
    ("assigned", "分配给你", "assigned to you"),
])
def test_every_kind_has_both_languages(make_ticket, merchant, colleague, kind, zh, en):
    ticket = make_ticket()
    if kind == "status_changed":
        # The colleague replies: nobody is told of their own reply.
        ticket = lifecycle.reply(ticket, actor=colleague, body="好的")
    else:
        notify(ticket, kind, now=ticket.created_at)
    notification = Notification.objects.filter(recipient=merchant, kind=kind).latest("id")
    assert zh in text_in("zh-hans", notification)
    assert en in text_in("en", notification)


def test_due_soon_shows_the_deadline_in_the_shop_time_zone(make_ticket, merchant):
    ticket = make_ticket(now=dt.datetime(2026, 3, 1, 1, 0, tzinfo=dt.UTC))  # 09:00 Shanghai
    notify(ticket, "due_soon", now=ticket.created_at)
    notification = Notification.objects.get(recipient=merchant, kind="due_soon")
    # 24 h handling time: 2026-03-02 09:00 in Asia/Shanghai.
    assert "2026-03-02 09:00" in text_in("en", notification)


def test_switching_language_translates_the_list_page(client, merchant, rejected):
    client.force_login(merchant)
    client.cookies["django_language"] = "en"
    english = client.get("/notifications/").content.decode()
    client.cookies["django_language"] = "zh-hans"
    chinese = client.get("/notifications/").content.decode()
    assert "was rejected: 物流单号无效" in english
    assert "的回复被驳回：物流单号无效" in chinese
    assert "Mark as read" in english and "标为已读" in chinese
