"""One ticket as a row of a ticket table: the list page and the review queue.

Written in Python rather than as an included template because every list page
has twenty of them and a template row cost about as much as the rest of the
page's markup together (a dozen conditions, twenty variable lookups, two URL
reversals, a date filter and a translation per row). The markup is what
``{% ticket_rows %}`` (tickets_tags) writes into the table; the page decides
the columns (``Columns``) to match its header, and the column labels come from
the page, translated once for all rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from html import escape as _escape

from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import Truncator
from django.utils.translation import gettext, pgettext

from .models import Resolution, TicketStatus
from .templatetags.tickets_tags import countdown_formats, countdown_html, hours_minutes

MUTED_DASH = '<span class="muted">—</span>'
PREVIEW_CHARS = 28

# What a row reads of its ticket and of the shop, order, service type and
# handler the scope joins, and the keys the pages are ordered by: the list
# pages and the review queue load only these (``.only(*ROW_FIELDS)``). The
# scope's joins select about sixty columns; for twenty rows, reading them and
# building the four objects per row cost more CPU than the query itself.
ROW_FIELDS = (
    "number", "content", "status", "resolution", "reject_count",
    "created_at", "deadline", "last_replied_at",
    "shop", "shop__name", "order", "order__number",
    "service_type", "service_type__name_zh", "service_type__name_en",
    "handler", "handler__username",
)
# The review queue's rows have no order or handler column: joined without them.
QUEUE_ROW_FIELDS = tuple(name for name in ROW_FIELDS
                         if name.split("__")[0] not in ("order", "handler"))


@dataclass(frozen=True)
class Columns:
    """Which cells a row has. The number, service type and reject count are
    always there, the order unless ``order`` is false (the workbench's narrow
    queue: its pane shows the order). ``select``: the batch checkbox;
    ``preview``: the buyer's request; ``waiting``: time since the reply;
    ``action``: "handle it"; ``review_links``: the number opens the reply in
    the workbench (keeping ``filter_query``), marked when it is ``current``."""

    select: bool = False
    shop: bool = False
    order: bool = True
    preview: bool = False
    status: bool = False
    created: bool = False
    waiting: bool = False
    time_left: bool = False
    result: bool = False
    handler: bool = False
    action: bool = False
    review_links: bool = False


@dataclass(frozen=True)
class RowContext:
    """What every row of one table shares: column labels (``labels[name]``
    for the cells' data-label), the clock and the workbench's links."""

    labels: dict
    now: datetime
    filter_query: str = ""
    current_pk: int | None = None


def _url_maker(name: str):
    """``reverse(name, args=[number])`` for any ticket number, reversed once per
    table: the number is the only part that changes (always 16 digits)."""
    placeholder = "0" * 16
    prefix, suffix = reverse(name, args=[placeholder]).rsplit(placeholder, 1)
    return lambda number: f"{prefix}{number}{suffix}"


def escape(value) -> str:
    """Django's ``escape`` without its lazy-string and SafeString wrapping (the
    same characters escaped, by the same standard-library function): the rows
    call it ten times each, and mark the whole table safe once."""
    return _escape(str(value))


def ticket_rows(tickets, columns: Columns, shared: RowContext) -> SafeString:
    """The rows for ``tickets``, one ``<tr>`` each."""
    # Per table rather than per row: the active language's labels, the time zone.
    status_labels = {value: escape(label) for value, label in TicketStatus.choices}
    resolution_labels = {value: escape(label) for value, label in Resolution.choices}
    zone = timezone.get_current_timezone()
    labels = {name: escape(label) for name, label in shared.labels.items()}
    detail_url = _url_maker("tickets:detail")
    review_url = _url_maker("tickets:review_ticket") if columns.review_links else None
    formats = countdown_formats()
    query = f"?{escape(shared.filter_query)}" if shared.filter_query else ""
    handle = escape(pgettext("row action", "Handle"))
    select_label = gettext("Select ticket %(number)s")
    out = []
    for ticket in tickets:
        number = escape(ticket.number)
        timed_out = columns.result and ticket.resolution == Resolution.TIMED_OUT
        cells = ['<tr class="row-timed-out">' if timed_out else "<tr>"]
        if columns.select:
            aria = select_label % {"number": number}
            cells.append(f'<td class="select-cell"><input type="checkbox" name="numbers" '
                         f'value="{number}" form="batch-form" aria-label="{aria}"></td>')
        if review_url is not None:
            url = f"{review_url(number)}{query}"
            current = ' aria-current="true"' if shared.current_pk == ticket.pk else ""
            link = f'<a class="mono" href="{url}" hx-get="{url}"{current}>{number}</a>'
        else:
            link = f'<a class="mono" href="{detail_url(number)}">{number}</a>'
        cells.append(f'<td data-label="{labels["ticket_number"]}">{link}</td>')
        if columns.shop:
            cells.append(f'<td data-label="{labels["shop"]}" class="shop-cell">'
                         f'{escape(ticket.shop.name)}</td>')
        if columns.order:
            cells.append(f'<td data-label="{labels["order_number"]}" class="mono">'
                         f'{escape(ticket.order.number)}</td>')
        cells.append(f'<td data-label="{labels["service_type"]}" class="type-cell">'
                     f'{escape(ticket.service_type.name)}</td>')
        if columns.preview:
            cells.append(f'<td data-label="{labels["request"]}" class="preview">'
                         f'{escape(Truncator(ticket.content).chars(PREVIEW_CHARS))}</td>')
        if columns.status:
            cells.append(f'<td data-label="{labels["status"]}"><span class="badge '
                         f'status-{escape(ticket.status)}">'
                         f'{status_labels.get(ticket.status) or escape(ticket.status)}</span></td>')
        if columns.created:
            created = ticket.created_at.astimezone(zone)
            cells.append(f'<td data-label="{labels["created"]}" class="nowrap">'
                         f'{created:%Y-%m-%d %H:%M}</td>')
        if columns.waiting:
            cells.append(f'<td data-label="{labels["waiting"]}" class="nowrap">'
                         f'{escape(hours_minutes(ticket.last_replied_at, shared.now))}</td>')
        if columns.time_left:
            left = (countdown_html(ticket, shared.now, formats)
                    if ticket.status == TicketStatus.PENDING else MUTED_DASH)
            cells.append(f'<td data-label="{labels["time_left"]}">{left}</td>')
        if columns.result:
            result = (f'<span class="badge resolution-{escape(ticket.resolution)}">'
                      f'{resolution_labels.get(ticket.resolution) or escape(ticket.resolution)}'
                      '</span>'
                      if ticket.resolution else MUTED_DASH)
            cells.append(f'<td data-label="{labels["result"]}">{result}</td>')
        if columns.handler:
            handler = (escape(ticket.handler.get_username())
                       if ticket.handler_id is not None else MUTED_DASH)
            cells.append(f'<td data-label="{labels["handler"]}">{handler}</td>')
        cells.append(f'<td data-label="{labels["rejected"]}" class="num">'
                     f'{ticket.reject_count}</td>')
        if columns.action:
            action = (f'<a class="button small" href="{detail_url(number)}#reply">{handle}</a>'
                      if ticket.status == TicketStatus.PENDING else "")
            cells.append(f'<td class="action-cell">{action}</td>')
        cells.append("</tr>")
        out.append("\n  ".join(cells))
    return mark_safe("\n".join(out))
