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
    """The ticket list's URLs with the figures' shop (and service type) set:
    reversed and encoded once for all of a card's links, each link then
    written from strings already encoded (a ranking has 300 links, a 90-day
    series 180): the same URLs as ``urlencode`` of the whole query."""

    def __init__(self, figures: ShopFigures):
        rest = {"shop": figures.shop.id}
        if figures.service_type is not None:
            rest["service_type"] = figures.service_type.code
        self.path = reverse("tickets:list")
        self.rest = urlencode(rest)
        self.base = self.with_status(ALL)

    def with_status(self, status: str) -> str:
        # status leads the query, the shop (and service type) follow.
        return f"{self.path}?status={quote_plus(status)}&{self.rest}"

    def __call__(self, status: str = ALL, **params) -> str:
        return f"{self.with_status(status)}&{urlencode(params)}" if params else \
            self.with_status(status)


def figure_links(figures: ShopFigures) -> dict[str, str]:
    _url = _Links(figures)
    start = quote_plus(figures.start.isoformat())
    closed = f"{_url.with_status(TicketStatus.CLOSED)}&closed_after={start}"
    rejected = f"{_url.base}&rejected_after={start}"
    return {
        "received": f"{_url.base}&created_after={start}",
        "closed": closed,
        "on_time_rate": closed,
        "approved": f"{closed}&resolution={Resolution.APPROVED}",
        "agreed": f"{closed}&resolution={Resolution.AGREED}",
        "timed_out": f"{closed}&resolution={Resolution.TIMED_OUT}",
        "replies": f"{_url.base}&replied_after={start}",
        "rejections": rejected,
        "reject_rate": rejected,
        "first_reply": f"{_url.base}&first_replied_after={start}",
        "review_wait": f"{_url.base}&decided_after={start}",
        "open_pending": _url.with_status(TicketStatus.PENDING),
        "open_under_review": _url.with_status(TicketStatus.UNDER_REVIEW),
        "due_soon": _url.with_status("due_soon"),
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
