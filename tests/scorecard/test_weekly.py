"""The weekly summary: each shop's merchants are told last week's on-time rate
and timeouts with the change from the week before, once per shop and week, and
only once the rollups cover the whole week."""

import datetime as dt
import zoneinfo

import pytest
import time_machine
from django.utils import translation

from notifications.models import Notification, NotificationKind
from scorecard import tasks, weekly
from scorecard.models import WeeklySummary
from scorecard.refresh import refresh
from tests.factories import MerchantFactory, ShopFactory
from tickets import lifecycle
from tickets.sweep import sweep_deadlines

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
# Monday 30 November 2026, 01:00 in Shanghai: last week is 23-29 November.
MONDAY = dt.datetime(2026, 11, 30, 1, 0, tzinfo=SHANGHAI)
LAST_WEEK = dt.date(2026, 11, 23)


def summaries():
    return Notification.objects.filter(kind=NotificationKind.WEEKLY_SCORECARD)


def at(moment):
    return time_machine.travel(moment, tick=False)


def closed_tickets(make_ticket, merchant, agent, *, created, approved: int, timed_out: int):
    """Tickets created at ``created``: ``approved`` replied and approved the
    same day, ``timed_out`` left to time out (24 hours later)."""
    with at(created):
        answered = [make_ticket() for _ in range(approved)]
        for _ in range(timed_out):
            make_ticket()
    with at(created + dt.timedelta(hours=1)):
        for ticket in answered:
            lifecycle.reply(ticket, actor=merchant, body="已发货")
    with at(created + dt.timedelta(hours=2)):
        for ticket in answered:
            lifecycle.approve(ticket, actor=agent)
    with at(created + dt.timedelta(hours=25)):
        sweep_deadlines()


@pytest.fixture
def two_weeks(make_ticket, merchant, agent, shop_a):
    """Shop A: the week before last closes 2 tickets, 1 of them timed out
    (50 %); last week closes 4, 1 timed out (75 %); then, on Monday, the
    rollups are brought up to date."""
    closed_tickets(make_ticket, merchant, agent,
                   created=dt.datetime(2026, 11, 17, 10, 0, tzinfo=SHANGHAI),
                   approved=1, timed_out=1)
    closed_tickets(make_ticket, merchant, agent,
                   created=dt.datetime(2026, 11, 26, 10, 0, tzinfo=SHANGHAI),
                   approved=3, timed_out=1)
    with at(MONDAY - dt.timedelta(minutes=5)):
        refresh()


def test_each_merchant_of_the_shop_is_told_last_week_and_the_change(
        two_weeks, merchant, outsider, shop_a):
    colleague = MerchantFactory(username="merchant_a2", membership__shop=shop_a)
    with at(MONDAY):
        sent = weekly.send_weekly_summaries()
    mine = summaries().filter(recipient__in=[merchant, colleague])
    assert sorted(mine.values_list("recipient__username", flat=True)) == [
        "merchant_a", "merchant_a2"]
    note = mine.get(recipient=merchant)
    assert note.kind == NotificationKind.WEEKLY_SCORECARD
    assert note.ticket is None
    assert note.params == {"shop": shop_a.id, "week": "2026-11-23", "closed": 4,
                           "timed_out": 1, "previous_closed": 2, "previous_timed_out": 1}
    assert note.url == f"/scorecard/{shop_a.id}/"
    with translation.override("en"):
        assert note.text == (
            "Your shop last week (2026-11-23 to 2026-11-29): on-time rate 75.0% "
            "(+25.0 percentage points on the week before), 1 timed out "
            "(+0 on the week before).")
    with translation.override("zh-hans"):
        assert note.text == (
            "贵店上周（2026-11-23 至 2026-11-29）：准时率 75.0%（较前一周 +25.0 个百分点），"
            "超时 1 单（较前一周 +0）。")
    # The outsider's shop had nothing: told so, about their own shop.
    theirs = summaries().get(recipient=outsider)
    assert theirs.params["shop"] == outsider.shop_membership.shop_id
    assert theirs.params["closed"] == 0
    with translation.override("en"):
        assert "on-time rate none (nothing closed) (no comparison" in theirs.text
    assert sent == 3


def test_a_shop_week_is_sent_once_however_often_the_task_runs(two_weeks, merchant):
    with at(MONDAY):
        assert tasks.send_weekly_summaries() == 1
    with at(MONDAY + dt.timedelta(hours=5)):
        refresh()
        assert tasks.send_weekly_summaries() == 0
    assert summaries().filter(recipient=merchant).count() == 1
    assert WeeklySummary.objects.get().week == LAST_WEEK
    # A week later, the next week goes out.
    with at(MONDAY + dt.timedelta(days=7)):
        refresh()
        assert tasks.send_weekly_summaries() == 1
    assert (sorted(summaries().filter(recipient=merchant)
                   .values_list("params__week", flat=True))
            == ["2026-11-23", "2026-11-30"])


def test_nothing_is_sent_before_the_rollups_cover_the_whole_week(merchant):
    with at(MONDAY - dt.timedelta(hours=2)):
        refresh()  # covers Sunday evening only
    with at(MONDAY):
        assert weekly.send_weekly_summaries() == 0
        refresh()
        assert weekly.send_weekly_summaries() == 1


def test_nothing_is_sent_before_the_first_refresh(merchant):
    with at(MONDAY):
        assert weekly.send_weekly_summaries() == 0
    assert not WeeklySummary.objects.exists()


def test_the_week_is_the_shop_s_own(db):
    los_angeles = ShopFactory(time_zone="America/Los_Angeles")
    shanghai = ShopFactory()
    # Monday 01:00 in Shanghai is still Sunday in Los Angeles.
    assert weekly.last_week(shanghai, MONDAY) == LAST_WEEK
    assert weekly.last_week(los_angeles, MONDAY) == LAST_WEEK - dt.timedelta(days=7)
