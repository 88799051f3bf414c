"""Template helpers for the ticket pages: the countdown, and the header's
current section. Links that change the query string use Django's own
``{% querystring %}``."""

from html import escape

from django import template
from django.conf import settings
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext

register = template.Library()

# The same strings format the server's first rendering and the browser's ticking
# (static/js/countdown.js reads them from the page), so both always agree.
def countdown_formats() -> dict:
    return {
        "hm": gettext("%(hours)s h %(minutes)s min left"),
        "ms": gettext("%(minutes)s min %(seconds)s s left"),
        "s": gettext("%(seconds)s s left"),
        "overdue": pgettext("countdown", "Overdue"),
    }


def countdown_text(seconds: int, formats: dict | None = None) -> str:
    formats = formats or countdown_formats()
    if seconds <= 0:
        return formats["overdue"]
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return formats["hm"] % {"hours": hours, "minutes": minutes}
    if minutes:
        return formats["ms"] % {"minutes": minutes, "seconds": secs}
    return formats["s"] % {"seconds": secs}


def countdown_state(seconds: int) -> str:
    if seconds <= 0:
        return "overdue"
    if seconds < settings.TICKET_DUE_SOON_HOURS * 3600:
        return "due-soon"
    return "ok"


def countdown_html(ticket, now, formats: dict | None = None) -> str:
    """Time left on a pending ticket, correct on page load without JavaScript;
    ``data-deadline`` (the server's deadline, ISO) lets the browser tick it."""
    if ticket.deadline is None:
        return ""
    seconds = int((ticket.deadline - now).total_seconds())
    # format_html's escaping, spelled out: a list page writes twenty of these.
    return mark_safe(
        f'<span class="countdown countdown-{escape(countdown_state(seconds))}" '
        f'data-deadline="{escape(ticket.deadline.isoformat())}" role="timer">'
        f'{escape(countdown_text(seconds, formats))}</span>')


@register.simple_tag(takes_context=True)
def countdown(context, ticket):
    return countdown_html(ticket, context.get("now_utc") or timezone.now())


# The column labels a ticket table's page translates once (col_<name>).
ROW_LABELS = ("ticket_number", "shop", "order_number", "service_type", "request", "status",
              "created", "waiting", "time_left", "result", "handler", "rejected")


@register.simple_tag(takes_context=True)
def ticket_rows(context, tickets, **columns):
    """The rows of a ticket table (tickets.rows) with the columns named
    (``shop=True``, ...), the page's col_* labels, its clock (now_utc) and, in
    the workbench, its filter_query and selected reply (pane)."""
    from ..rows import Columns, RowContext
    from ..rows import ticket_rows as rows

    pane = context.get("pane")
    return rows(tickets, Columns(**columns), RowContext(
        labels={name: context.get(f"col_{name}", "") for name in ROW_LABELS},
        now=context.get("now_utc") or timezone.now(),
        filter_query=context.get("filter_query") or "",
        current_pk=pane.ticket.pk if pane else None))


@register.simple_tag
def countdown_config():
    """The formats, the amber threshold and the server's clock for the ticking
    script (it corrects for a browser clock that is off)."""
    return {**countdown_formats(),
            "due_soon_seconds": int(settings.TICKET_DUE_SOON_HOURS * 3600),
            "server_now": timezone.now().isoformat()}


@register.filter
def startswith(value, prefix) -> bool:
    """For the header's "you are here": every page under a section's URL."""
    return str(value).startswith(str(prefix))


@register.filter
def hours_minutes(start, end) -> str:
    """How long from ``start`` to ``end`` as "6 h 4 min" (Django's timesince
    says "6 hours, 4 minutes", which reads badly in Chinese: "6 小时，4 分钟")."""
    if start is None or end is None:
        return ""
    minutes = max(0, int((end - start).total_seconds() // 60))
    hours, minutes = divmod(minutes, 60)
    if hours:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)s min") % {"minutes": minutes}


@register.filter
def minutes_since(start, end) -> int:
    """Whole minutes from ``start`` to ``end`` (the presence note's "2 minutes ago")."""
    return max(0, int((end - start).total_seconds() // 60))


@register.simple_tag
def filter_bar_fields(form, with_status, sees_all_shops) -> list:
    """The fields of the ticket filter's form that the filter bar shows: the
    status only where no tabs pick it (``with_status``), the shop only for who
    sees every shop, the filters the scorecard's links set only when they have
    a value (``form.advanced_fields``). Chosen here in one pass: spelled as
    template conditions on all fifteen fields they cost more than rendering
    the widgets that are shown."""
    return [field for field in form
            if (with_status or field.name != "status")
            and (sees_all_shops or field.name != "shop")
            and (field.name not in form.advanced_fields or field.value())]
