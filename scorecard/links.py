"""For each figure, the ticket list filtered to exactly the tickets it counts
(parameters of the one FilterSet, ``tickets.filters.TicketFilter``). Bounds are
written as instants with the shop's UTC offset, so the list cuts the period
where the scorecard does, whatever the reader's time zone."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from django.urls import reverse

from tickets.models import Resolution, TicketStatus

from .figures import DayFigures, ShopFigures

ALL = "all"


def _url(figures: ShopFigures, **params) -> str:
    query = {"status": ALL, "shop": figures.shop.id}
    if figures.service_type is not None:
        query["service_type"] = figures.service_type.code
    query.update(params)
    return f"{reverse('tickets:list')}?{urlencode(query)}"


def figure_links(figures: ShopFigures) -> dict[str, str]:
    start = figures.start.isoformat()
    closed = {"status": TicketStatus.CLOSED, "closed_after": start}
    return {
        "received": _url(figures, created_after=start),
        "closed": _url(figures, **closed),
        "on_time_rate": _url(figures, **closed),
        "approved": _url(figures, **closed, resolution=Resolution.APPROVED),
        "agreed": _url(figures, **closed, resolution=Resolution.AGREED),
        "timed_out": _url(figures, **closed, resolution=Resolution.TIMED_OUT),
        "replies": _url(figures, replied_after=start),
        "rejections": _url(figures, rejected_after=start),
        "reject_rate": _url(figures, rejected_after=start),
        "first_reply": _url(figures, first_replied_after=start),
        "review_wait": _url(figures, decided_after=start),
        "open_pending": _url(figures, status=TicketStatus.PENDING),
        "open_under_review": _url(figures, status=TicketStatus.UNDER_REVIEW),
        "due_soon": _url(figures, status="due_soon"),
    }


def day_links(figures: ShopFigures, day: DayFigures) -> dict[str, str]:
    zone = figures.shop.zone
    low = dt.datetime.combine(day.day, dt.time.min, tzinfo=zone)
    # The list's upper bounds include the instant given: the day's last microsecond.
    high = (dt.datetime.combine(day.day + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
            - dt.timedelta(microseconds=1))
    return {
        "received": _url(figures, created_after=low.isoformat(),
                         created_before=high.isoformat()),
        "timed_out": _url(figures, status=TicketStatus.CLOSED, resolution=Resolution.TIMED_OUT,
                          closed_after=low.isoformat(), closed_before=high.isoformat()),
    }
