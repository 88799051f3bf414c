"""The sentence a notification shows, written at display time from its kind and
parameters in the active language (the stored row holds no text of ours)."""

from django.utils import timezone
from django.utils.dateparse import parse_datetime
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


def describe(notification: Notification) -> str:
    ticket, params = notification.ticket, notification.params or {}
    number = ticket.number
    kind = notification.kind
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
