"""The weekly in-site summary: each shop's merchants are told last week's
on-time rate and timeouts, with the change from the week before.

A week is Monday to Sunday of the shop's own calendar (``Shop.time_zone``), so
shops east and west of the server get theirs at their own Monday midnight: beat
runs ``send_weekly_summaries`` every hour, and each run sends what has become
due. A week is sent only once the rollups cover it (the refresh's
``covered_until`` is past its end), so the figures are final; a ``WeeklySummary``
row, written in the same transaction as the notifications, makes each shop's
week go out exactly once.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from notifications.services import notify_users
from tickets import roles
from tickets.models import Shop
from tickets.transitions import NotificationKind

from .figures import ShopFigures, week_figures
from .models import RefreshState, WeeklySummary

WEEK = dt.timedelta(days=7)


def last_week(shop: Shop, now: dt.datetime) -> dt.date:
    """The Monday of the shop's last whole week before ``now``."""
    today = now.astimezone(shop.zone).date()
    return today - dt.timedelta(days=today.weekday()) - WEEK


def _week_end(shop: Shop, week: dt.date) -> dt.datetime:
    return dt.datetime.combine(week + WEEK, dt.time.min, tzinfo=shop.zone)


def send_weekly_summaries(*, now: dt.datetime | None = None) -> int:
    """Send every shop's last week that is due and not sent yet; returns how
    many notifications were created."""
    now = now or timezone.now()
    covered_until = RefreshState.objects.filter(pk=1).values_list("covered_until",
                                                                  flat=True).first()
    if covered_until is None:
        return 0
    shops = list(Shop.objects.order_by("id"))
    weeks = {shop.id: last_week(shop, now) for shop in shops}
    sent = set(WeeklySummary.objects.filter(week__gte=min(weeks.values(), default=now.date()))
               .values_list("shop_id", "week"))
    created = 0
    for shop in shops:
        week = weeks[shop.id]
        if (shop.id, week) in sent or covered_until < _week_end(shop, week):
            continue
        created += _send(shop, week, now=now)
    return created


def _send(shop: Shop, week: dt.date, *, now: dt.datetime) -> int:
    this, before = week_figures(shop, first=week), week_figures(shop, first=week - WEEK)
    with transaction.atomic():
        # A second run at once waits here for the first to commit, then finds the row.
        _summary, new = WeeklySummary.objects.get_or_create(shop=shop, week=week,
                                                            defaults={"sent_at": now})
        if not new:
            return 0
        recipients = (roles.merchant_memberships().filter(shop=shop)
                      .values_list("user_id", flat=True).distinct())
        return notify_users(recipients, NotificationKind.WEEKLY_SCORECARD,
                            params=_params(shop, week, this, before), now=now)


def _params(shop: Shop, week: dt.date, this: ShopFigures, before: ShopFigures) -> dict:
    """Counts, not rates or sentences: the text (and the rates) are written
    when the notification is read, in the reader's language."""
    return {"shop": shop.id, "week": week.isoformat(),
            "closed": this.closed, "timed_out": this.timed_out,
            "previous_closed": before.closed, "previous_timed_out": before.timed_out}
