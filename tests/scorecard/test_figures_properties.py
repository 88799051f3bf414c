"""Property: for any history of tickets driven through the real lifecycle with a
moving clock (several shops in different time zones, several service types,
the sweep timing tickets out, refreshes in between), every scorecard figure
equals a brute-force computation from the tickets and events themselves.

The brute force below is written from the definitions, not from the
scorecard's code: it reads ``Ticket`` and ``TicketEvent`` rows, cuts days with
``zoneinfo`` and computes medians and percentiles its own way."""

import datetime as dt
import zoneinfo

import time_machine
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from scorecard import figures, open_counts
from scorecard.refresh import refresh
from tests.factories import MerchantFactory, OrderFactory, ServiceTypeFactory, UserFactory
from tickets import lifecycle, reasons
from tickets.errors import TicketError
from tickets.models import EventKind, Resolution, Shop, Ticket, TicketEvent, TicketStatus
from tickets.sweep import sweep_deadlines

# The history crosses the end of daylight saving time in Los Angeles (1 Nov
# 2026: a 25-hour day) and midnights of every zone at different UTC hours.
START = dt.datetime(2026, 10, 27, 15, 40, tzinfo=dt.UTC)
ZONES = ("Asia/Shanghai", "America/Los_Angeles", "Asia/Kathmandu")
DUE_SOON = dt.timedelta(hours=2)  # TICKET_DUE_SOON_HOURS's default

NEEDS = {"reply": TicketStatus.PENDING, "approve": TicketStatus.UNDER_REVIEW,
         "reject": TicketStatus.UNDER_REVIEW, "close": TicketStatus.UNDER_REVIEW}

steps = st.lists(
    st.tuples(
        st.sampled_from(["create", "create", "reply", "reply", "approve", "approve",
                         "reject", "close", "sweep", "refresh"]),
        st.integers(min_value=0, max_value=len(ZONES) - 1),  # which shop
        st.integers(min_value=0, max_value=1),  # which service type (create)
        st.integers(min_value=0, max_value=50),  # which of the shop's tickets
        # How long the clock moves first: minutes, seconds and microseconds, so
        # durations are rarely whole seconds.
        st.one_of(st.integers(min_value=0, max_value=90),
                  st.integers(min_value=0, max_value=120),
                  st.integers(min_value=3 * 60, max_value=24 * 60)),
        st.integers(min_value=0, max_value=59),
        st.integers(min_value=0, max_value=999_999),
    ),
    min_size=10,
    max_size=40,
)


class ScorecardEqualsBruteForce(TestCase):
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(steps, st.integers(min_value=0, max_value=36 * 60))
    def test_every_figure_equals_a_brute_force_count(self, history, final_wait):
        # Rejections take a coded reason (transactional tests elsewhere may have
        # emptied the catalogue the migration seeds).
        reasons.seed_catalogue()
        agent = UserFactory(role="agent")
        types = [ServiceTypeFactory(code="shipping_urge", handling_hours=12),
                 ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice",
                                    handling_hours=40)]
        merchants = []
        for index, zone in enumerate(ZONES):
            merchant = MerchantFactory(membership__shop__name=f"店{index}",
                                       membership__shop__time_zone=zone)
            merchants.append(merchant)
        shops = [merchant.shop_membership.shop for merchant in merchants]

        now = START
        for action, shop_no, type_no, pick, minutes, seconds, micros in history:
            now += dt.timedelta(minutes=minutes, seconds=seconds, microseconds=micros)
            shop = shops[shop_no]
            with time_machine.travel(now, tick=False):
                if action == "create":
                    lifecycle.create_ticket(actor=agent, order=OrderFactory(shop=shop),
                                            service_type=types[type_no], content="买家催发货")
                elif action == "sweep":
                    sweep_deadlines()
                elif action == "refresh":
                    # As the refresh task does: the rollups, then the kept
                    # open counts folded.
                    refresh()
                    open_counts.compact()
                else:
                    # Mostly a ticket the action can start from, so that
                    # histories get far; sometimes any (the lifecycle refuses).
                    wanted = Ticket.objects.filter(status=NEEDS[action]).order_by("id")
                    tickets = list(wanted if pick % 4 else
                                   Ticket.objects.filter(shop=shop).order_by("id"))
                    if tickets:
                        ticket = tickets[pick % len(tickets)]
                        self.attempt(action, ticket, merchants[shops.index(ticket.shop)],
                                     agent)
        now += dt.timedelta(minutes=final_wait, seconds=7)
        with time_machine.travel(now, tick=False):
            refresh()

        event(f"timed out: {Ticket.objects.filter(resolution=Resolution.TIMED_OUT).exists()}")
        event(f"decided: {TicketEvent.objects.filter(kind=EventKind.APPROVED).exists()}")
        event(f"replied: {TicketEvent.objects.filter(kind=EventKind.REPLIED).exists()}")
        event(f"days: {(now - START).days // 5 * 5}+")
        for shop in shops:
            for days in (7, 30):
                for service_type in (None, *types):
                    got = figures.shop_figures(shop, days=days, service_type=service_type,
                                               now=now)
                    expected = brute_force(shop, days, service_type, now)
                    assert as_dict(got) == expected, (shop.time_zone, days, service_type)
        for days in (7, 30):
            ranked = figures.ranking(days=days, service_type=types[0], now=now)
            assert {item.shop.id: as_dict(item, daily=False) for item in ranked} == {
                shop.id: brute_force(shop, days, types[0], now, daily=False) for shop in shops}
            rates = [item.on_time_rate for item in ranked]
            known = [rate for rate in rates if rate is not None]
            assert known == sorted(known)
            assert rates == known + [None] * (len(rates) - len(known))

    def attempt(self, action, ticket, merchant, agent):
        try:
            if action == "reply":
                lifecycle.reply(ticket, actor=merchant, body="已发货")
            elif action == "approve":
                lifecycle.approve(ticket, actor=agent)
            elif action == "reject":
                lifecycle.reject(ticket, actor=agent, reason_code="other", reason="请补充单号")
            else:
                lifecycle.close_as_agreed(ticket, actor=agent)
        except TicketError:
            pass  # not allowed in its state now: the history goes on


FIELDS = ("received", "closed", "approved", "agreed", "timed_out", "on_time_rate",
          "replies", "rejections", "reject_rate", "first_reply_median_seconds",
          "first_reply_p90_seconds", "review_wait_median_seconds", "open_pending",
          "open_under_review", "due_soon")


def as_dict(item, daily=True) -> dict:
    result = {name: getattr(item, name) for name in FIELDS}
    if daily:
        result["daily"] = [(day.day, day.received, day.timed_out, day.on_time_rate)
                           for day in item.daily]
    return result


def whole_seconds(delta: dt.timedelta) -> int:
    assert delta >= dt.timedelta(0)
    return delta.days * 86_400 + delta.seconds  # the microseconds dropped


def middle(values: list[int]):
    if not values:
        return None
    ordered = sorted(values)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return (ordered[half - 1] + ordered[half]) / 2


def ninetieth(values: list[int]):
    """The smallest value that at least 90 % of the values do not exceed."""
    if not values:
        return None
    return min(value for value in values
               if 10 * sum(other <= value for other in values) >= 9 * len(values))


def brute_force(shop: Shop, days: int, service_type, now: dt.datetime, daily=True) -> dict:
    zone = zoneinfo.ZoneInfo(shop.time_zone)
    today = now.astimezone(zone).date()
    first_day = today - dt.timedelta(days=days - 1)

    def midnight(day):
        return dt.datetime.combine(day, dt.time.min).replace(tzinfo=zone)

    start = midnight(first_day)
    tickets = [ticket for ticket in Ticket.objects.filter(shop=shop)
               if service_type is None or ticket.service_type_id == service_type.id]
    ids = {ticket.id for ticket in tickets}
    events = [event for event in TicketEvent.objects.order_by("created_at", "id")
              if event.ticket_id in ids]

    def in_period(moment):
        return moment is not None and start <= moment <= now

    closed = [ticket for ticket in tickets if in_period(ticket.closed_at)]
    by_resolution = {resolution: sum(ticket.resolution == resolution for ticket in closed)
                     for resolution in Resolution.values}
    replies = [event for event in events if event.kind == EventKind.REPLIED]
    rejections = [event for event in events
                  if event.kind == EventKind.REJECTED and in_period(event.created_at)]
    waits = []
    for decision in events:
        if decision.kind in (EventKind.APPROVED, EventKind.REJECTED) \
                and in_period(decision.created_at):
            decided = [reply for reply in replies if reply.ticket_id == decision.ticket_id
                       and reply.created_at <= decision.created_at]
            waits.append(whole_seconds(decision.created_at - decided[-1].created_at))
    first_replies = [whole_seconds(ticket.first_replied_at - ticket.created_at)
                     for ticket in tickets if in_period(ticket.first_replied_at)]
    replies_in_period = sum(in_period(reply.created_at) for reply in replies)
    timed_out = by_resolution[Resolution.TIMED_OUT]
    pending = [ticket for ticket in tickets if ticket.status == TicketStatus.PENDING]
    result = {
        "received": sum(in_period(ticket.created_at) for ticket in tickets),
        "closed": len(closed),
        "approved": by_resolution[Resolution.APPROVED],
        "agreed": by_resolution[Resolution.AGREED],
        "timed_out": timed_out,
        "on_time_rate": (len(closed) - timed_out) / len(closed) if closed else None,
        "replies": replies_in_period,
        "rejections": len(rejections),
        "reject_rate": len(rejections) / replies_in_period if replies_in_period else None,
        "first_reply_median_seconds": middle(first_replies),
        "first_reply_p90_seconds": ninetieth(first_replies),
        "review_wait_median_seconds": middle(waits),
        "open_pending": len(pending),
        "open_under_review": sum(ticket.status == TicketStatus.UNDER_REVIEW
                                 for ticket in tickets),
        "due_soon": sum(now < ticket.deadline <= now + DUE_SOON for ticket in pending),
    }
    if daily:
        series = []
        for offset in range(days):
            day = first_day + dt.timedelta(days=offset)
            low, high = midnight(day), midnight(day + dt.timedelta(days=1))
            on_day = [ticket for ticket in tickets
                      if ticket.closed_at is not None and low <= ticket.closed_at < high]
            late = sum(ticket.resolution == Resolution.TIMED_OUT for ticket in on_day)
            series.append((day, sum(low <= ticket.created_at < high for ticket in tickets),
                           late, (len(on_day) - late) / len(on_day) if on_day else None))
        result["daily"] = series
    return result
