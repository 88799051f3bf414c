"""The scorecard's ranking as an export (ops): its request and its rows, built
by the same job machinery as a ticket export (cap, cooldown, progress, file
storage, retention). The figures are ``scorecard.figures.ranking``'s."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from scorecard import figures
from scorecard.params import ScorecardParams
from tickets.models import Shop

from .writer import NUMBER, TEXT, Column

FIELDS = ("days", "service_type")


def columns() -> list[Column]:
    return [
        Column(_("Shop"), "shop", TEXT, width=22),
        Column(_("Time zone"), "time_zone", TEXT, width=18),
        Column(_("Received"), "received", NUMBER, width=10),
        Column(_("Closed"), "closed", NUMBER, width=10),
        Column(_("Approved"), "approved", NUMBER, width=10),
        Column(_("Agreement reached"), "agreed", NUMBER, width=10),
        Column(_("Timed out"), "timed_out", NUMBER, width=10),
        Column(_("On-time rate (%)"), "on_time_rate", NUMBER, width=12),
        Column(_("Replies"), "replies", NUMBER, width=10),
        Column(_("Rejections"), "rejections", NUMBER, width=10),
        Column(_("Reject rate (%)"), "reject_rate", NUMBER, width=12),
        Column(_("First reply, median (s)"), "first_reply_median_seconds", NUMBER, width=14),
        Column(_("First reply, 90th percentile (s)"), "first_reply_p90_seconds", NUMBER,
               width=14),
        Column(_("Review wait, median (s)"), "review_wait_median_seconds", NUMBER, width=14),
        Column(_("Pending now"), "open_pending", NUMBER, width=10),
        Column(_("Under review now"), "open_under_review", NUMBER, width=10),
        Column(_("Due soon"), "due_soon", NUMBER, width=10),
    ]


def parse(params) -> ScorecardParams:
    """The request's period and service type, as the scorecard page reads them."""
    return ScorecardParams({name: params.get(name) for name in FIELDS if params.get(name)})


def stored_params(form: ScorecardParams) -> dict[str, str]:
    service_type = form.cleaned_data["service_type"]
    return {"days": str(form.cleaned_data["days"]),
            **({"service_type": service_type.code} if service_type else {})}


def row_count() -> int:
    return Shop.objects.count()


def rows(filter_params: dict) -> list[tuple]:
    form = parse(filter_params)
    if not form.is_valid():
        raise ValueError(f"stored scorecard parameters no longer valid: {form.errors.as_json()}")
    result = []
    for item in figures.ranking(days=form.cleaned_data["days"],
                                service_type=form.cleaned_data["service_type"]):
        values = []
        for column in columns():
            if column.field == "shop":
                value = item.shop.name
            elif column.field == "time_zone":
                value = item.shop.time_zone
            else:
                value = getattr(item, column.field)
                if column.field.endswith("_rate") and value is not None:
                    value = round(value * 100, 1)
            values.append(value)
        result.append(tuple(values))
    return result
