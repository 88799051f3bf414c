"""What the agents' review workbench shows: the queue (oldest reply first,
without the replies other agents are reviewing) and the selected reply with
everything needed to decide it. Plain functions of a user and parsed
parameters, like ``tickets.selectors``; the pages render them.

Each function costs a fixed number of queries whatever the queue's length:
the queue is a keyset page of the partial index ``ticket_review_queue``, and
the previous/next reply are one keyset step each from the selected one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q, QuerySet, Subquery

from . import claims, selectors
from .filters import TicketFilter
from .models import EventKind, Ticket, TicketEvent, TicketStatus
from .pagination import KeysetPage, keyset_page
from .rows import QUEUE_ROW_FIELDS

# Replies tried when opening "the next one": each may be claimed by another
# agent between reading the queue and claiming it.
CLAIM_ATTEMPTS = 5


@dataclass(frozen=True)
class ReviewQueue:
    page: KeysetPage
    count: int  # at most COUNT_CAP + 1
    capped: bool


@dataclass
class Rejection:
    """An earlier rejection and the reply it sent back."""

    event: TicketEvent
    reply: TicketEvent | None


@dataclass
class ReviewPane:
    ticket: Ticket
    latest_reply: TicketEvent | None
    rejections: list[Rejection] = field(default_factory=list)
    prev_number: str | None = None
    next_number: str | None = None


def _filtered_scope(user, ticket_filter: TicketFilter) -> QuerySet:
    if not ticket_filter.is_valid():
        raise ValueError("the review queue needs a valid filter")
    return ticket_filter.filter_queryset(Ticket.objects.visible_to(user))


def queue_scope(user, ticket_filter: TicketFilter, now: datetime) -> QuerySet:
    """The replies ``user`` may review now, matching the filter: under review,
    within the user's scope, not claimed by another agent (an expired claim
    is no claim). ``ticket_filter`` must be valid."""
    return _in_queue(_filtered_scope(user, ticket_filter), ticket_filter, user, now)


def _in_queue(scope: QuerySet, ticket_filter: TicketFilter, user, now: datetime) -> QuerySet:
    under_review = ticket_filter.filters["status"].filter(scope, TicketStatus.UNDER_REVIEW)
    return under_review.filter(claims.free_for(user, now))


def review_queue(user, ticket_filter: TicketFilter, *, now: datetime,
                 after: str | None = None, before: str | None = None) -> ReviewQueue:
    """One page of the queue and its capped count. A broken cursor raises
    ``pagination.InvalidCursor``."""
    scope = _filtered_scope(user, ticket_filter)
    queue = _in_queue(scope, ticket_filter, user, now)
    rows = queue.select_related(None).select_related("shop", "service_type")
    page = keyset_page(rows.only(*QUEUE_ROW_FIELDS), key="last_replied_at", descending=False,
                       after=after, before=before)
    # Counting a full queue reads 10,000 rows (the claim columns are not in
    # the queue's index): like a list tab at the cap, "10,000+" is remembered
    # for a short while (selectors.CAPPED_COUNT_SECONDS), per agent, as the
    # claims of others are left out of their count.
    counted = {"review_queue": queue}
    count = selectors.capped_counts(
        counted, remembered=selectors.count_keys(scope, counted, reader=user))["review_queue"]
    return ReviewQueue(page=page, count=count, capped=count > selectors.COUNT_CAP)


def _after(queue: QuerySet, ticket: Ticket) -> QuerySet:
    # The bound first, then the tie-break: the (last_replied_at, id) index is
    # read from the ticket on instead of scanning the whole queue.
    return (queue.filter(last_replied_at__gte=ticket.last_replied_at)
            .filter(Q(last_replied_at__gt=ticket.last_replied_at) | Q(id__gt=ticket.pk))
            .order_by("last_replied_at", "id"))


def _before(queue: QuerySet, ticket: Ticket) -> QuerySet:
    return (queue.filter(last_replied_at__lte=ticket.last_replied_at)
            .filter(Q(last_replied_at__lt=ticket.last_replied_at) | Q(id__lt=ticket.pk))
            .order_by("-last_replied_at", "-id"))


def _neighbours(queue: QuerySet, ticket: Ticket) -> tuple[str | None, str | None]:
    """The numbers of the replies before and after ``ticket`` in the queue:
    one keyset step each way, asked as two scalar subqueries of one query (a
    round trip less on every fragment; a UNION of the two would not run on
    SQLite, which refuses LIMIT inside a compound query)."""
    def first_number(side: QuerySet) -> Subquery:
        return Subquery(side.values("number")[:1])

    return (Ticket.objects.filter(pk=ticket.pk)
            .values_list(first_number(_before(queue, ticket)), first_number(_after(queue, ticket)))
            .get())


def claim_next(user, ticket_filter: TicketFilter, *, now: datetime,
               after: Ticket | None = None) -> Ticket | None:
    """Claim and return the next reply for ``user``: the first of the queue
    after ``after`` (the one just decided or skipped), else from the queue's
    start; None when nothing is left that another agent is not reviewing."""
    queue = queue_scope(user, ticket_filter, now).order_by("last_replied_at", "id")
    attempts = [queue]
    if after is not None and after.last_replied_at is not None:
        attempts.insert(0, _after(queue, after))
    for candidates in attempts:
        if after is not None:
            candidates = candidates.exclude(pk=after.pk)
        ticket = claims.claim_first(list(candidates[:CLAIM_ATTEMPTS]), user, now=now)
        if ticket is not None:
            return ticket
    return None


def review_pane(user, ticket: Ticket, ticket_filter: TicketFilter, *,
                now: datetime) -> ReviewPane:
    """The selected reply: the thread read once (with reasons, actors and
    evidence), split into the latest reply and the earlier rejections, each
    with the reply it rejected; and the previous and next reply in the queue."""
    events = list(ticket.events.select_related("actor", "reason")
                  .prefetch_related("evidence"))
    latest_reply, rejections, last_reply = None, [], None
    for event in events:
        if event.kind == EventKind.REPLIED:
            last_reply = event
        elif event.kind == EventKind.REJECTED:
            rejections.append(Rejection(event=event, reply=last_reply))
            last_reply = None
    if ticket.status == TicketStatus.UNDER_REVIEW:
        latest_reply = last_reply
    pane = ReviewPane(ticket=ticket, latest_reply=latest_reply,
                      rejections=rejections[::-1])
    if ticket.last_replied_at is not None:
        queue = queue_scope(user, ticket_filter, now)
        pane.prev_number, pane.next_number = _neighbours(queue, ticket)
    return pane
