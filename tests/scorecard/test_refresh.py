"""The refresh: set-based, rebuilding only the days that changed since the last
run, catching events that commit late, and equal to a full rebuild."""

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone

from scorecard import figures
from scorecard.models import RefreshState, ShopDay
from scorecard.refresh import refresh
from tickets import lifecycle

pytestmark = pytest.mark.django_db


def rollups() -> list[tuple]:
    return sorted(ShopDay.objects.values_list(
        "shop_id", "service_type_id", "day", "received", "closed", "approved", "agreed",
        "timed_out", "replies", "rejections", "first_reply_seconds", "review_wait_seconds"))


def test_a_refresh_rebuilds_only_the_days_with_new_events(history, make_ticket, shop_a):
    earlier_days = dict(ShopDay.objects.exclude(day=timezone.localdate())
                        .values_list("id", "day"))
    assert earlier_days
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=5), tick=False):
        make_ticket()
        result = refresh()
    assert result.days == 1  # shop A, today
    # The other days' rows were not touched (same ids), today's counts the new ticket.
    assert dict(ShopDay.objects.exclude(day=timezone.localdate())
                .values_list("id", "day")) == earlier_days
    assert figures.shop_figures(shop_a, days=7).received == 5
    # The new event was too fresh to be taken as settled: the next refresh looks
    # at its day once more; the one after that has nothing left to do.
    with time_machine.travel(timezone.now() + dt.timedelta(hours=1), tick=False):
        assert refresh().days == 1
        assert refresh().days == 0


def test_an_event_stamped_before_a_refresh_but_committed_after_it_is_counted_next_time(
        make_ticket, shop_a):
    # Yesterday, in Shanghai: a day no later event touches.
    noon = timezone.now().replace(hour=4, minute=0) - dt.timedelta(days=1)
    with time_machine.travel(noon, tick=False):
        refresh()
    # A transaction that stamped its event 5 s before that refresh read, and
    # committed just after it.
    make_ticket(now=noon - dt.timedelta(seconds=5))
    with time_machine.travel(noon + dt.timedelta(minutes=5), tick=False):
        refresh()
        assert figures.shop_figures(shop_a, days=7).received == 1


def test_the_full_rebuild_equals_the_incremental_one(history, make_ticket, merchant):
    with time_machine.travel(timezone.now() + dt.timedelta(minutes=3), tick=False):
        lifecycle.reply(history["pending"], actor=merchant, body="已处理")
        refresh()
    incremental = rollups()
    call_command("refresh_scorecard", "--full", stdout=open("/dev/null", "w"))
    assert rollups() == incremental
    assert RefreshState.objects.get().refreshed_at is not None


def test_a_shop_in_another_time_zone_gets_its_own_days(make_ticket, shop_a):
    shop_a.time_zone = "America/Los_Angeles"
    shop_a.save()
    # 02:00 UTC on 3 Dec is 18:00 on 2 Dec in Los Angeles (10:00 on 3 Dec in Shanghai).
    make_ticket(now=dt.datetime(2026, 12, 3, 2, 0, tzinfo=dt.UTC))
    refresh(now=dt.datetime(2026, 12, 3, 3, 0, tzinfo=dt.UTC))
    assert list(ShopDay.objects.values_list("day", flat=True)) == [dt.date(2026, 12, 2)]


def test_finding_the_changed_days_costs_a_query_per_time_zone_not_per_shop(
        make_ticket, shop_a, shop_b, django_assert_num_queries):
    from scorecard.refresh import _changed_shop_days
    from tests.factories import ShopFactory

    ShopFactory(time_zone="America/Los_Angeles")
    make_ticket()
    make_ticket(shop=shop_b)
    # The zones, then one grouped query for Shanghai's two shops and one for
    # Los Angeles'.
    with django_assert_num_queries(3):
        changed = _changed_shop_days(None)
    assert {shop_id for shop_id, _ in changed["Asia/Shanghai"]} == {shop_a.id, shop_b.id}
