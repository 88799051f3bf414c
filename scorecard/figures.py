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
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Sum
from django.utils import timezone

from tickets.models import ServiceType, Shop

from . import durations
from .durations import ALL_TYPES, Durations
from .durations import NONE as NO_DURATIONS
from .models import ShopDay
from .open_counts import OpenCounts, open_counts
from .refresh import last_refreshed_at, rollup_version

PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
COUNTERS = ("received", "closed", "approved", "agreed", "timed_out", "replies", "rejections")
# A counter's sum over rollup rows, by name (an annotation may not reuse a field's).
TOTALS = {name: f"total_{name}" for name in COUNTERS}


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
    durations: Durations = NO_DURATIONS
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
        return self.durations.first_reply_median

    @property
    def first_reply_p90_seconds(self) -> int | None:
        return self.durations.first_reply_p90

    @property
    def review_wait_median_seconds(self) -> float | None:
        return self.durations.review_wait_median


def _on_time(closed: int, timed_out: int) -> float | None:
    return (closed - timed_out) / closed if closed else None


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


def shop_with_breakdown(shop: Shop, *, days: int, now: dt.datetime | None = None
                        ) -> tuple[ShopFigures, list[ShopFigures]]:
    """The drill-down over all service types: the shop's figures with the daily
    series, and its breakdown; the shop's open counts are the sums of the
    breakdown's (one count of its open tickets for both)."""
    now = now or timezone.now()
    rollups = rollup_version()
    card = _figures([shop], days=days, service_type=None, now=now, daily=True, live=False,
                    rollups=rollups)[0]
    rows = breakdown(shop, days=days, now=now, rollups=rollups)
    card.open_pending = sum(row.open_pending for row in rows)
    card.open_under_review = sum(row.open_under_review for row in rows)
    card.due_soon = sum(row.due_soon for row in rows)
    return card, rows


def breakdown(shop: Shop, *, days: int, now: dt.datetime | None = None,
              rollups: tuple | None = None) -> list[ShopFigures]:
    """The shop's figures per service type it had any activity or open ticket
    of: one pass over the shop's rollups and one grouped count of its open
    tickets, whatever the number of types (no daily series)."""
    now = now or timezone.now()
    refreshed_at, version = rollups or rollup_version()
    start = period_start(shop.zone, days, now)
    by_type: dict[int, ShopFigures] = {}

    def item(type_id: int) -> ShopFigures:
        if type_id not in by_type:
            by_type[type_id] = ShopFigures(shop=shop, days=days, service_type=None,
                                           start=start, as_of=refreshed_at)
        return by_type[type_id]

    for row in _rollups([shop.id], first=start.date(), days=days, service_type=None,
                        by="service_type_id"):
        _add_row(item(row["service_type_id"]), row)
    for type_id, counts in open_counts([shop.id], service_type=None, group="service_type_id",
                                       now=now).items():
        _set_open_counts(item(type_id), counts)
    per_type = durations.for_shops({shop.id: start.date()}, days=days, version=version)[shop.id]
    result = []
    for service_type in ServiceType.objects.filter(id__in=list(by_type)):
        figures = by_type[service_type.id]
        figures.service_type = service_type
        figures.durations = per_type.get(service_type.id, NO_DURATIONS)
        result.append(figures)
    return result


def as_of() -> dt.datetime | None:
    """When the rollups were last brought up to date."""
    return last_refreshed_at()


def warm(*, now: dt.datetime | None = None) -> None:
    """Compute every shop's durations of each period now (the refresh task
    runs this right after refreshing), so no page waits for them."""
    now = now or timezone.now()
    _refreshed_at, version = rollup_version()
    shops = list(Shop.objects.all())
    for days in PERIODS:
        durations.for_shops({shop.id: period_start(shop.zone, days, now).date()
                             for shop in shops}, days=days, version=version)


def week_figures(shop: Shop, *, first: dt.date) -> ShopFigures:
    """The shop's figures over the seven days from ``first`` (a past week of
    its calendar), from the rollups only: no daily series, no open counts."""
    end = dt.datetime.combine(first + dt.timedelta(days=7), dt.time.min, tzinfo=shop.zone)
    return _figures([shop], days=7, service_type=None, now=end - dt.timedelta(microseconds=1),
                    daily=False, live=False)[0]


def _figures(shops: list[Shop], *, days: int, service_type: ServiceType | None,
             now: dt.datetime, daily: bool, live: bool = True,
             rollups: tuple | None = None) -> list[ShopFigures]:
    """``live``: with the open counts of right now (``now`` is now).
    ``rollups``: ``rollup_version()``, when the caller has just read it."""
    # The version before the rows: rows read after it are at least that new.
    refreshed_at, version = rollups or rollup_version()
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
        for row in _rollups(shop_ids, first=first, days=days, service_type=service_type,
                            by=("shop_id", "day") if daily else "shop_id"):
            _add_row(figures[row["shop_id"]], row)
    if live:
        for shop_id, counts in open_counts(list(figures), service_type=service_type,
                                           group="shop_id", now=now).items():
            _set_open_counts(figures[shop_id], counts)
    type_key = service_type.id if service_type is not None else ALL_TYPES
    found = durations.for_shops({shop_id: item.start.date() for shop_id, item in figures.items()},
                                days=days, version=version)
    for shop_id, item in figures.items():
        item.durations = found[shop_id].get(type_key, NO_DURATIONS)
    return list(figures.values())


def _rollups(shop_ids: list[int], *, first: dt.date, days: int,
             service_type: ServiceType | None, by: str | tuple[str, ...]):
    """The counters of the shops' rollup rows of ``days`` days from ``first``
    (shops of one time zone: they share their calendar), summed by the database
    per value of the column(s) ``by``: a 90-day ranking reads a row per shop,
    not one per shop, service type and day (the durations are read apart,
    ``scorecard.durations``)."""
    rows = ShopDay.objects.filter(shop_id__in=shop_ids, day__gte=first,
                                  day__lt=first + dt.timedelta(days=days))
    if service_type is not None:
        rows = rows.filter(service_type=service_type)
    by = (by,) if isinstance(by, str) else by
    return rows.values(*by).annotate(
        **{total: Sum(name) for name, total in TOTALS.items()}).order_by()


def _add_row(item: ShopFigures, row: dict) -> None:
    """Add one row of summed counters to the figures (and, when it is one day's
    and the figures have a daily series, to that day)."""
    for name, total in TOTALS.items():
        setattr(item, name, getattr(item, name) + row[total])
    if item.daily and "day" in row:
        day = item.daily[(row["day"] - item.daily[0].day).days]
        day.received += row[TOTALS["received"]]
        day.closed += row[TOTALS["closed"]]
        day.timed_out += row[TOTALS["timed_out"]]


def _set_open_counts(item: ShopFigures, counts: OpenCounts) -> None:
    item.open_pending, item.open_under_review, item.due_soon = counts
