"""For each figure, the ticket list filtered to exactly the tickets it counts
(parameters of the one FilterSet, ``tickets.filters.TicketFilter``). Bounds are
written as instants with the shop's UTC offset, so the list cuts the period
where the scorecard does, whatever the reader's time zone."""

from __future__ import annotations

import datetime as dt
from urllib.parse import quote_plus, urlencode

from django.urls import reverse

from tickets.models import Resolution, TicketStatus

from .figures import DayFigures, ShopFigures

ALL = "all"


class _Links:
    """The ticket list's URL with the figures' shop (and service type) set:
    reversed and encoded once for all of a card's links, not once per link
    (a ranking or a 90-day series has hundreds)."""

    def __init__(self, figures: ShopFigures):
        query = {"status": ALL, "shop": figures.shop.id}
        if figures.service_type is not None:
            query["service_type"] = figures.service_type.code
        self.base = f"{reverse('tickets:list')}?{urlencode(query)}"
        self.fixed = query

    def __call__(self, **params) -> str:
        # A parameter given again (status) replaces the base's own.
        if params.keys() & self.fixed.keys():
            return self.base.split("?")[0] + "?" + urlencode({**self.fixed, **params})
        return f"{self.base}&{urlencode(params)}"


def figure_links(figures: ShopFigures) -> dict[str, str]:
    _url = _Links(figures)
    start = figures.start.isoformat()
    closed = {"status": TicketStatus.CLOSED, "closed_after": start}
    return {
        "received": _url(created_after=start),
        "closed": _url(**closed),
        "on_time_rate": _url(**closed),
        "approved": _url(**closed, resolution=Resolution.APPROVED),
        "agreed": _url(**closed, resolution=Resolution.AGREED),
        "timed_out": _url(**closed, resolution=Resolution.TIMED_OUT),
        "replies": _url(replied_after=start),
        "rejections": _url(rejected_after=start),
        "reject_rate": _url(rejected_after=start),
        "first_reply": _url(first_replied_after=start),
        "review_wait": _url(decided_after=start),
        "open_pending": _url(status=TicketStatus.PENDING),
        "open_under_review": _url(status=TicketStatus.UNDER_REVIEW),
        "due_soon": _url(status="due_soon"),
    }


def daily_links(figures: ShopFigures, days: list[DayFigures]) -> list[dict[str, str]]:
    """For each of ``days``, its received and timed-out figures' lists (the
    day's bounds in the shop's time zone): the same URLs ``_Links`` writes,
    with only the bounds encoded per day (a 90-day series has 180 links)."""
    _url = _Links(figures)
    received = _url.base + "&created_after={low}&created_before={high}"
    timed_out = (_url(status=TicketStatus.CLOSED, resolution=Resolution.TIMED_OUT)
                 + "&closed_after={low}&closed_before={high}")
    zone = figures.shop.zone
    result = []
    for day in days:
        bounds = {
            "low": quote_plus(dt.datetime.combine(day.day, dt.time.min, tzinfo=zone).isoformat()),
            # The list's upper bounds include the instant given: the day's last microsecond.
            "high": quote_plus((dt.datetime.combine(day.day + dt.timedelta(days=1), dt.time.min,
                                                    tzinfo=zone)
                                - dt.timedelta(microseconds=1)).isoformat()),
        }
        result.append({"received": received.format(**bounds),
                       "timed_out": timed_out.format(**bounds)})
    return result
