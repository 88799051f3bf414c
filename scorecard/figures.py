"""The scorecard's figures, read from the daily rollups (``ShopDay``) plus a
few live counts: plain functions the pages, the API and the export share.

A period of N days is the shop's last N calendar days in its own time zone,
today included (up to now): for 7 days on a Shanghai Monday, from the Tuesday
before at 00:00 Shanghai time. Durations are whole seconds (truncated); the
median of an even number of values is the mean of the two middle ones, the
90th percentile is the nearest-rank one (the smallest value that at least 90 %
of the values do not exceed).
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone

from tickets.models import ServiceType, Shop, Ticket, TicketStatus
from tickets.selectors import due_soon_condition

from .models import ShopDay
from .refresh import last_refreshed_at

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
COUNTERS = ("received", "closed", "approved", "agreed", "timed_out", "replies", "rejections")


@dataclass
class DayFigures:
    day: dt.date
    received: int = 0
    closed: int = 0
    timed_out: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return _on_time(self.closed, self.timed_out)


@dataclass
class ShopFigures:
    shop: Shop
    days: int
    service_type: ServiceType | None
    start: dt.datetime  # the period's first midnight, in the shop's time zone
    as_of: dt.datetime | None = None  # when the rollups were last brought up to date
    received: int = 0
    closed: int = 0
    approved: int = 0
    agreed: int = 0
    timed_out: int = 0
    replies: int = 0
    rejections: int = 0
    first_reply_seconds: list[int] = field(default_factory=list, repr=False)
    review_wait_seconds: list[int] = field(default_factory=list, repr=False)
    open_pending: int = 0
    open_under_review: int = 0
    due_soon: int = 0
    daily: list[DayFigures] = field(default_factory=list)

    @property
    def on_time_rate(self) -> float | None:
        return _on_time(self.closed, self.timed_out)

    @property
    def reject_rate(self) -> float | None:
        return self.rejections / self.replies if self.replies else None

    @property
    def first_reply_median_seconds(self) -> float | None:
        return median(self.first_reply_seconds)

    @property
    def first_reply_p90_seconds(self) -> int | None:
        return p90(self.first_reply_seconds)

    @property
    def review_wait_median_seconds(self) -> float | None:
        return median(self.review_wait_seconds)


def _on_time(closed: int, timed_out: int) -> float | None:
    return (closed - timed_out) / closed if closed else None


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[int]) -> int | None:
    """Nearest rank: the ceil(0.9 n)-th smallest of the sorted ``values``."""
    if not values:
        return None
    return values[math.ceil(0.9 * len(values)) - 1]


def period_start(zone: zoneinfo.ZoneInfo, days: int, now: dt.datetime) -> dt.datetime:
    today = now.astimezone(zone).date()
    return dt.datetime.combine(today - dt.timedelta(days=days - 1), dt.time.min, tzinfo=zone)


def shop_figures(shop: Shop, *, days: int, service_type: ServiceType | None = None,
                 now: dt.datetime | None = None) -> ShopFigures:
    """Every figure of one shop over its last ``days`` days, with the daily series."""
    now = now or timezone.now()
    return _figures([shop], days=days, service_type=service_type, now=now, daily=True)[0]


def ranking(*, days: int, service_type: ServiceType | None = None,
            now: dt.datetime | None = None) -> list[ShopFigures]:
    """Every shop's figures, the worst on-time rate first (shops that closed
    nothing last), then by name."""
    now = now or timezone.now()
    rows = _figures(list(Shop.objects.order_by("id")), days=days, service_type=service_type,
                    now=now, daily=False)
    return sorted(rows, key=ranking_key)


def ranking_key(figures: ShopFigures):
    rate = figures.on_time_rate
    return (rate is None, rate if rate is not None else 0, figures.shop.name)


def breakdown(shop: Shop, *, days: int, now: dt.datetime | None = None) -> list[ShopFigures]:
    """The shop's figures per service type it had any activity or open ticket of."""
    now = now or timezone.now()
    start = period_start(shop.zone, days, now)
    type_ids = set(ShopDay.objects.filter(shop=shop, day__gte=start.date())
                   .values_list("service_type_id", flat=True))
    type_ids |= set(Ticket.objects.filter(shop=shop).exclude(status=TicketStatus.CLOSED)
                    .values_list("service_type_id", flat=True).order_by())
    return [shop_figures(shop, days=days, service_type=service_type, now=now)
            for service_type in ServiceType.objects.filter(id__in=type_ids)]


def as_of() -> dt.datetime | None:
    """When the rollups were last brought up to date."""
    return last_refreshed_at()


def _figures(shops: list[Shop], *, days: int, service_type: ServiceType | None,
             now: dt.datetime, daily: bool) -> list[ShopFigures]:
    refreshed_at = last_refreshed_at()
    figures = {shop.id: ShopFigures(shop=shop, days=days, service_type=service_type,
                                    start=period_start(shop.zone, days, now),
                                    as_of=refreshed_at)
               for shop in shops}
    if daily:
        for item in figures.values():
            first = item.start.date()
            item.daily = [DayFigures(day=first + dt.timedelta(days=offset))
                          for offset in range(days)]
    # One query per time zone: each zone's period starts on its own day.
    by_zone: dict[str, list[int]] = defaultdict(list)
    for shop in shops:
        by_zone[shop.time_zone].append(shop.id)
    for shop_ids in by_zone.values():
        first = figures[shop_ids[0]].start.date()
        rows = ShopDay.objects.filter(shop_id__in=shop_ids, day__gte=first)
        if service_type is not None:
            rows = rows.filter(service_type=service_type)
        for row in rows.order_by():
            item = figures[row.shop_id]
            for name in COUNTERS:
                setattr(item, name, getattr(item, name) + getattr(row, name))
            item.first_reply_seconds.extend(row.first_reply_seconds)
            item.review_wait_seconds.extend(row.review_wait_seconds)
            offset = (row.day - first).days
            if daily and offset < days:
                day = item.daily[offset]
                day.received += row.received
                day.closed += row.closed
                day.timed_out += row.timed_out
    for item in figures.values():
        item.first_reply_seconds.sort()
        item.review_wait_seconds.sort()
    _add_open_counts(figures, service_type=service_type, now=now)
    return list(figures.values())


def _add_open_counts(figures: dict[int, ShopFigures], *, service_type, now) -> None:
    """Right now, not from the rollups: one grouped count over open tickets."""
    tickets = Ticket.objects.filter(shop_id__in=list(figures)).exclude(status=TicketStatus.CLOSED)
    if service_type is not None:
        tickets = tickets.filter(service_type=service_type)
    counts = (tickets.values("shop_id")
              .annotate(pending=Count("id", filter=Q(status=TicketStatus.PENDING)),
                        under_review=Count("id", filter=Q(status=TicketStatus.UNDER_REVIEW)),
                        due_soon=Count("id", filter=due_soon_condition(now)))
              .order_by())
    for group in counts:
        item = figures[group["shop_id"]]
        item.open_pending = group["pending"]
        item.open_under_review = group["under_review"]
        item.due_soon = group["due_soon"]
