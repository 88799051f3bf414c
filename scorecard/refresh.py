"""The only writer of the scorecard's rollups (``ShopDay``).

Every figure of a day comes from that day's ticket events: a ticket is received
by its ``created`` event, closed by its ``approved`` / ``agreed`` / ``timed_out``
event (the lifecycle stamps ``closed_at`` and the event with the same ``now``),
first replied by the ``replied`` event stamped at its ``first_replied_at``. So
the days a refresh must rebuild are exactly the days of the events stamped since
the last one, and each rebuild is a few grouped queries over one time range
(the ``event_created`` index), never a loop over tickets.

A transaction stamps its events before it commits, so an event stamped just
before a refresh may become visible only after it. Every ticket write commits
within ``tickets.writes``' bound; a refresh therefore remembers
``settled_before(now)`` as covered, not ``now``, and the next refresh rebuilds
the days of everything stamped after that, late commits included.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Count, DurationField, ExpressionWrapper, F, OuterRef, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from tickets.models import EventKind, Shop, TicketEvent
from tickets.writes import settled_before

from .models import RefreshState, ShopDay

# Which counter of a day each event kind adds to.
COUNTED_EVENTS = {
    EventKind.CREATED: "received",
    EventKind.APPROVED: "approved",
    EventKind.AGREED: "agreed",
    EventKind.TIMED_OUT: "timed_out",
    EventKind.REPLIED: "replies",
    EventKind.REJECTED: "rejections",
}
CLOSING_EVENTS = (EventKind.APPROVED, EventKind.AGREED, EventKind.TIMED_OUT)
DECIDING_EVENTS = (EventKind.APPROVED, EventKind.REJECTED)
SECOND = dt.timedelta(seconds=1)


@dataclass(frozen=True)
class RefreshResult:
    days: int  # shop-days rebuilt
    rows: int  # ShopDay rows written
    refreshed_at: dt.datetime


def refresh(*, full: bool = False, now: dt.datetime | None = None) -> RefreshResult:
    """Bring the rollups up to date: rebuild every shop-day with an event stamped
    since the last refresh (``full``: every day of every shop)."""
    now = now or timezone.now()
    with transaction.atomic():
        RefreshState.objects.get_or_create(pk=1, defaults={"refreshed_at": now})
        # Two refreshes at once (beat and the command) take turns here.
        state = RefreshState.objects.select_for_update().get(pk=1)
        since = None if full or state.covered_until is None else state.covered_until
        days = rows = 0
        if full:
            # Also the rows of days that no longer have events, or were cut in
            # a time zone the shop has left.
            ShopDay.objects.all().delete()
        for zone_name, shop_days in _changed_shop_days(since).items():
            zone = zoneinfo.ZoneInfo(zone_name)
            days += len(shop_days)
            rows += _rebuild(zone, shop_days)
        state.covered_until = settled_before(now)
        state.refreshed_at = now
        state.version = uuid.uuid4()
        state.save(update_fields=["covered_until", "refreshed_at", "version"])
    return RefreshResult(days=days, rows=rows, refreshed_at=now)


def last_refreshed_at() -> dt.datetime | None:
    return RefreshState.objects.filter(pk=1).values_list("refreshed_at", flat=True).first()


def rollup_version() -> tuple[dt.datetime | None, uuid.UUID | None]:
    """When the rollups were last brought up to date, and their version (None,
    None before the first refresh)."""
    row = RefreshState.objects.filter(pk=1).values_list("refreshed_at", "version").first()
    return row if row is not None else (None, None)


def _local_day(field: str, zone: zoneinfo.ZoneInfo) -> TruncDate:
    return TruncDate(field, tzinfo=zone)


def _changed_shop_days(since: dt.datetime | None) -> dict[str, set[tuple[int, dt.date]]]:
    """Per shop time zone, the (shop, local day) pairs with an event stamped at
    or after ``since`` (every event when None): one grouped query per zone."""
    changed: dict[str, set[tuple[int, dt.date]]] = {}
    # order_by(): the model's default ordering (id) would make DISTINCT per shop,
    # and this a query per shop instead of per zone.
    for zone_name in Shop.objects.values_list("time_zone", flat=True).order_by().distinct():
        events = TicketEvent.objects.filter(ticket__shop__time_zone=zone_name)
        if since is not None:
            events = events.filter(created_at__gte=since)
        pairs = set(events.annotate(day=_local_day("created_at", zoneinfo.ZoneInfo(zone_name)))
                    .values_list("ticket__shop_id", "day").distinct().order_by())
        if pairs:
            changed[zone_name] = pairs
    return changed


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=zone)


def _rebuild(zone: zoneinfo.ZoneInfo, shop_days: set[tuple[int, dt.date]]) -> int:
    """Recompute the rows of the given shops of one time zone over the span of
    the given days (a rectangle of shops × days: usually today's active shops),
    then replace them. Returns the number of rows written."""
    shop_ids = sorted({shop_id for shop_id, _ in shop_days})
    first = min(day for _, day in shop_days)
    last = max(day for _, day in shop_days)
    events = TicketEvent.objects.filter(
        created_at__gte=_day_start(first, zone),
        created_at__lt=_day_start(last + dt.timedelta(days=1), zone),
        ticket__shop_id__in=shop_ids,
    ).annotate(day=_local_day("created_at", zone))
    key_fields = ("ticket__shop_id", "ticket__service_type_id", "day")

    days: dict[tuple[int, int, dt.date], ShopDay] = {}

    def row(key) -> ShopDay:
        if key not in days:
            shop_id, type_id, day = key
            days[key] = ShopDay(shop_id=shop_id, service_type_id=type_id, day=day,
                                first_reply_seconds=[], review_wait_seconds=[])
        return days[key]

    counted = (events.filter(kind__in=list(COUNTED_EVENTS))
               .values(*key_fields, "kind").annotate(n=Count("id")).order_by())
    for group in counted:
        key = tuple(group[name] for name in key_fields)
        setattr(row(key), COUNTED_EVENTS[group["kind"]], group["n"])

    # The first reply of a ticket is the reply stamped at its first_replied_at.
    first_replies = (events.filter(kind=EventKind.REPLIED,
                                   ticket__first_replied_at=F("created_at"))
                     .annotate(took=_elapsed("created_at", "ticket__created_at"))
                     .values_list(*key_fields, "took").order_by())
    for *key, took in first_replies:
        row(tuple(key)).first_reply_seconds.append(took // SECOND)

    # A decision decides the latest reply before it (the event_thread index).
    decided_reply = (TicketEvent.objects
                     .filter(ticket_id=OuterRef("ticket_id"), kind=EventKind.REPLIED,
                             created_at__lte=OuterRef("created_at"))
                     .order_by("-created_at", "-id").values("created_at")[:1])
    decisions = (events.filter(kind__in=DECIDING_EVENTS)
                 .annotate(replied_at=Subquery(decided_reply))
                 .annotate(waited=_elapsed("created_at", "replied_at"))
                 .values_list(*key_fields, "waited").order_by())
    for *key, waited in decisions:
        if waited is not None:
            row(tuple(key)).review_wait_seconds.append(waited // SECOND)

    for shop_day in days.values():
        shop_day.closed = shop_day.approved + shop_day.agreed + shop_day.timed_out
        shop_day.first_reply_seconds.sort()
        shop_day.review_wait_seconds.sort()
    ShopDay.objects.filter(shop_id__in=shop_ids, day__gte=first, day__lte=last).delete()
    ShopDay.objects.bulk_create(days.values(), batch_size=1000)
    return len(days)


def _elapsed(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())
