"""The sentence a notification shows, written at display time from its kind and
parameters in the active language (the stored row holds no text of ours), and
where opening it leads."""

import datetime as dt

from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext

from tickets.models import RejectReason, Resolution, TicketStatus

from .models import Notification, NotificationKind


def _local_time(value: str | None) -> str:
    moment = parse_datetime(value or "")
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def _rejection_reason(params: dict) -> str:
    """The agent's words; without them, the coded reason's label."""
    if params.get("reason") or not params.get("reason_code"):
        return params.get("reason", "")
    reason = RejectReason.objects.filter(code=params["reason_code"]).first()
    return reason.label if reason is not None else params["reason_code"]


def _status_changed(number: str, params: dict) -> str:
    status, resolution = params.get("status"), params.get("resolution")
    if status == TicketStatus.UNDER_REVIEW:
        return gettext("Ticket %(number)s was replied to and is waiting for review.") % {
            "number": number}
    if status == TicketStatus.CLOSED and resolution == Resolution.APPROVED:
        return gettext("Ticket %(number)s: the reply was approved and the ticket closed.") % {
            "number": number}
    if status == TicketStatus.CLOSED and resolution == Resolution.AGREED:
        return gettext("Ticket %(number)s was closed: agreement reached.") % {"number": number}
    # A combination this code does not know (yet): still say something true.
    return gettext("The status of ticket %(number)s changed.") % {"number": number}


def _rate(closed: int, timed_out: int) -> float | None:
    """The scorecard's on-time rate: (closed - timed out) / closed."""
    return (closed - timed_out) / closed if closed else None


def _percent(rate: float | None) -> str:
    if rate is None:
        return gettext("none (nothing closed)")
    return f"{number_format(round(rate * 100, 1), decimal_pos=1)}%"


def _rate_change(rate: float | None, previous: float | None) -> str:
    if rate is None or previous is None:
        return gettext("no comparison")
    points = round((rate - previous) * 100, 1)
    return gettext("%(points)s percentage points") % {
        "points": f"{'+' if points > 0 else ''}{number_format(points, decimal_pos=1)}"}


def _weekly_scorecard(params: dict) -> str:
    """Last week's on-time rate and timeouts, each with its change from the
    week before (computed here from the stored counts)."""
    week = parse_date(params.get("week") or "")
    closed, timed_out = int(params.get("closed", 0)), int(params.get("timed_out", 0))
    before_closed = int(params.get("previous_closed", 0))
    before_timed_out = int(params.get("previous_timed_out", 0))
    rate = _rate(closed, timed_out)
    return gettext("Your shop last week (%(first)s to %(last)s): on-time rate %(rate)s "
                   "(%(rate_change)s on the week before), %(timed_out)s timed out "
                   "(%(timed_out_change)s on the week before).") % {
        "first": week.isoformat() if week else "",
        "last": (week + dt.timedelta(days=6)).isoformat() if week else "",
        "rate": _percent(rate),
        "rate_change": _rate_change(rate, _rate(before_closed, before_timed_out)),
        "timed_out": timed_out,
        "timed_out_change": f"{timed_out - before_timed_out:+d}",
    }


def describe(notification: Notification) -> str:
    ticket, params = notification.ticket, notification.params or {}
    kind = notification.kind
    if kind == NotificationKind.WEEKLY_SCORECARD:
        return _weekly_scorecard(params)
    if kind == NotificationKind.WEBHOOK_DISABLED and ticket is None:
        return gettext("Your webhook endpoint %(url)s was disabled after %(failures)s failed "
                       "deliveries in a row. Fix the receiver, then enable it again on the "
                       "webhooks page.") % {
            "url": params.get("url", ""), "failures": params.get("failures", "")}
    if ticket is None:
        # Only the kinds above are sent without a ticket.
        return gettext("Something changed.")
    number = ticket.number
    if kind == NotificationKind.NEW_TICKET:
        return gettext("New ticket %(number)s: %(service_type)s.") % {
            "number": number, "service_type": ticket.service_type.name}
    if kind == NotificationKind.STATUS_CHANGED:
        return _status_changed(number, params)
    if kind == NotificationKind.REJECTED:
        return gettext("The reply to ticket %(number)s was rejected: %(reason)s") % {
            "number": number, "reason": _rejection_reason(params)}
    if kind == NotificationKind.DUE_SOON:
        return gettext("Ticket %(number)s is due soon: reply before %(deadline)s.") % {
            "number": number, "deadline": _local_time(params.get("deadline"))}
    if kind == NotificationKind.TIMED_OUT:
        return gettext("Ticket %(number)s timed out and was closed by the platform.") % {
            "number": number}
    if kind == NotificationKind.ASSIGNED:
        return gettext("Ticket %(number)s was assigned to you: %(service_type)s.") % {
            "number": number, "service_type": ticket.service_type.name}
    if kind == NotificationKind.WEBHOOK_DISABLED:
        return gettext("Your webhook endpoint %(url)s was disabled after %(failures)s failed "
                       "deliveries in a row (the last about ticket %(number)s). Fix the "
                       "receiver, then enable it again on the webhooks page.") % {
            "url": params.get("url", ""), "failures": params.get("failures", ""),
            "number": number}
    return gettext("Ticket %(number)s was updated.") % {"number": number}


def link(notification: Notification) -> str:
    """Where opening the notification leads: its ticket; without one, the
    page it is about (last week's scorecard, the webhooks page)."""
    if notification.ticket_id is not None:
        return notification.ticket.get_absolute_url()
    if notification.kind == NotificationKind.WEEKLY_SCORECARD and notification.params.get("shop"):
        return reverse("scorecard:shop", args=[notification.params["shop"]])
    if notification.kind == NotificationKind.WEBHOOK_DISABLED:
        return reverse("webhooks:list")
    return reverse("notifications:list")
