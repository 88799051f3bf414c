"""The scorecard's live counts: each shop's open tickets, pending and under
review, right now, and how many of the pending ones are due soon.

On PostgreSQL the open ones are kept counted: the database adds a row to
``OpenTicketChange`` for every statement that changes them (migration 0004),
so reading them costs a sum over a few rows per shop whatever the number of
tickets, where counting them read an index entry per open ticket (200,000 for
the ranking at 1,000,000 tickets). Elsewhere (SQLite, the embedded run) they
are counted from the tickets. "Due soon" depends on the moment asked, so it is
always counted: a narrow range of deadlines, read off the ``ticket_open`` index.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import Count, Q, Sum

from tickets.id_lists import in_ids
from tickets.models import ServiceType, Ticket, TicketStatus
from tickets.selectors import due_soon_condition

from .models import OpenTicketChange

# Every status but closed (the status check constraint names them all).
OPEN_STATUSES = tuple(status for status in TicketStatus.values if status != TicketStatus.CLOSED)


class OpenCounts(NamedTuple):
    pending: int = 0
    under_review: int = 0
    due_soon: int = 0


def kept() -> bool:
    """Whether the database keeps the open tickets counted (the triggers)."""
    return connection.vendor == "postgresql"


def open_counts(shop_ids: list[int], *, service_type: ServiceType | None, group: str,
                now: dt.datetime) -> dict[int, OpenCounts]:
    """Right now, not from the rollups: the open tickets of the shops (of
    ``service_type``, when given) per value of ``group`` (``shop_id`` or
    ``service_type_id``); groups with none are left out."""
    if not kept():
        return _counted(shop_ids, service_type=service_type, group=group, now=now)
    counts: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0])
    changes = OpenTicketChange.objects.filter(shop_id__in=shop_ids)
    if service_type is not None:
        changes = changes.filter(service_type=service_type)
    pending_shops, pending_types = set(), set()
    for row in (changes.values("shop_id", "service_type_id", "status")
                .annotate(open=Sum("change")).order_by()):
        if row["status"] == TicketStatus.PENDING:
            counts[row[group]][0] += row["open"]
            if row["open"]:
                pending_shops.add(row["shop_id"])
                pending_types.add(row["service_type_id"])
        else:
            counts[row[group]][1] += row["open"]
    if pending_shops:
        # Spelled so that each (shop, service type) with pending tickets is one
        # range of ticket_open (shop, service type, status, deadline):
        # PostgreSQL reads only the deadlines in the window, where "shop IN
        # (...)" alone made it walk every open ticket of the shops.
        due = Ticket.objects.filter(due_soon_condition(now), shop_id__in=sorted(pending_shops),
                                    service_type_id__in=sorted(pending_types),
                                    status=TicketStatus.PENDING)
        for row in due.values(group).annotate(due_soon=Count("status")).order_by():
            counts[row[group]][2] = row["due_soon"]
    return {key: OpenCounts(*values) for key, values in counts.items() if any(values)}


def _counted(shop_ids: list[int], *, service_type: ServiceType | None, group: str,
             now: dt.datetime) -> dict[int, OpenCounts]:
    """One grouped count over the open tickets. COUNT(status), not COUNT(id)
    (status is never null): every column the query reads is in the partial
    index ticket_open, so the database answers from the index alone."""
    tickets = Ticket.objects.filter(shop_id__in=shop_ids, status__in=OPEN_STATUSES)
    if service_type is not None:
        tickets = tickets.filter(service_type=service_type)
    counts = (tickets.values(group)
              .annotate(pending=Count("status", filter=Q(status=TicketStatus.PENDING)),
                        under_review=Count("status",
                                           filter=Q(status=TicketStatus.UNDER_REVIEW)),
                        due_soon=Count("status", filter=due_soon_condition(now)))
              .order_by())
    return {row[group]: OpenCounts(row["pending"], row["under_review"], row["due_soon"])
            for row in counts}


def compact() -> int:
    """Fold the kept changes into one row per (shop, service type, status)
    (none for a sum of zero); returns how many rows it removed. The refresh
    task runs it, so the rows a count sums stay few.

    The rows read are locked and exactly those are deleted: a change committed
    meanwhile is neither summed nor deleted, and a second compaction at once
    waits, then finds those rows gone."""
    if not kept():
        return 0
    with transaction.atomic():
        rows = list(OpenTicketChange.objects.select_for_update()
                    .values_list("pk", "shop_id", "service_type_id", "status", "change"))
        sums: dict[tuple[int, int, str], int] = defaultdict(int)
        for _pk, shop_id, type_id, status, change in rows:
            sums[(shop_id, type_id, status)] += change
        if len(rows) == len(sums) and all(sums.values()):
            return 0  # already one row per group
        OpenTicketChange.objects.filter(pk__in=in_ids([row[0] for row in rows])).delete()
        OpenTicketChange.objects.bulk_create(
            OpenTicketChange(shop_id=shop_id, service_type_id=type_id, status=status,
                             change=change)
            for (shop_id, type_id, status), change in sums.items() if change)
    return len(rows) - sum(1 for change in sums.values() if change)
