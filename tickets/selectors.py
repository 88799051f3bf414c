"""What the ticket lists show: the list page's tabs and their counts (the agents'
review queue is tickets.workbench).

Plain functions of a user and already parsed parameters (a bound ``TicketFilter``,
a tab, cursors), returning data and never a response, so the pages and the JSON
API read tickets through the same code. Every selection starts from
``Ticket.objects.visible_to(user)`` and costs a fixed number of queries whatever
the page depth: keyset pagination and tab counts that stop counting at a bound.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import NoneType
from typing import NamedTuple, TypedDict

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet, ValidationError
from django.db import connections, models
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import roles
from .compiled import CompiledShapes, prepared_selects
from .fast_timestamps import psycopg_timestamps
from .filters import TicketFilter
from .models import Ticket, TicketStatus
from .pagination import (
    PAGE_SIZE,
    Cursor,
    KeysetPage,
    forward_page,
    forward_page_query,
    keyset_page,
)
from .rows import ROW_FIELDS

# Tab counts stop at this bound and show "10,000+". An exact COUNT over a large
# scope (every closed ticket of the platform: ~900,000 rows at 1,000,000
# tickets) costs 90 ms on PostgreSQL, three times the page budget; counting
# through a LIMITed subquery reads at most COUNT_CAP index entries. Nobody
# pages through ten thousand tickets: past the bound they narrow the filter.
COUNT_CAP = 10_000

# A tab count that reached the cap is remembered in the cache for this long,
# keyed by what was counted (the scope and filter's query, the tab, the cap):
# a large shop's full tabs cost ~2 ms of index reads each on every page
# otherwise. Only "10,000+" is remembered, never an exact figure, so the
# staleness is bounded: a tab that drops below the cap keeps showing
# "10,000+" for at most this long; every count under the cap is exact.
CAPPED_COUNT_SECONDS = 60
CAPPED_COUNT_KEY_PREFIX = "tabcount"

ALL = "all"
# Pending with less than TICKET_DUE_SOON_HOURS left (and not yet past), soonest first.
DUE_SOON = "due_soon"
# Pending and assigned to the reader (?assigned=me), soonest first: merchants only.
MINE = "mine"
TABS = [
    (TicketStatus.PENDING, _("Pending")),
    (DUE_SOON, _("Due soon")),
    (MINE, _("Assigned to me")),
    (TicketStatus.UNDER_REVIEW, _("Under review")),
    (TicketStatus.CLOSED, _("Closed")),
    (ALL, _("All")),
]
# The tabs ordered by the deadline, the closest first.
DEADLINE_TABS = (TicketStatus.PENDING, DUE_SOON, MINE)

# Not filters: the tab is the status filter applied on top of the others (so
# the other tabs can be counted on the same filtered scope), ``assigned=me``
# picks the "assigned to me" tab, the cursors and the page number belong to
# the pager.
NOT_FILTER_PARAMS = ("status", "assigned", "after", "before", "page")
ASSIGNED_TO_ME = "me"


class Order(NamedTuple):
    key: str
    descending: bool


class Tab(TypedDict):
    code: str
    label: str
    count: int | None  # None when the filter was invalid and nothing was counted
    capped: bool


@dataclass(frozen=True)
class TicketListing:
    tab: str
    order: Order
    page: KeysetPage  # rows, next_cursor, prev_cursor
    tabs: list[Tab]


def default_tab(user) -> str:
    """Merchants land on their work (pending, soonest deadline first); agents
    have the review queue for theirs, so they and ops land on everything."""
    return TicketStatus.PENDING if roles.is_merchant(user) else ALL


def list_filter(params: Mapping[str, str]) -> TicketFilter:
    """The one FilterSet bound to every list parameter but the tab and the
    cursors. Its queryset is never read: ``ticket_listing`` applies the
    cleaned filter to the user's scope itself."""
    # A shallow copy: a QueryDict's ``copy()`` deep-copies every key and value
    # (strings all); its ``__copy__`` gives a mutable one with lists of its own.
    data = copy.copy(params)
    for name in NOT_FILTER_PARAMS:
        data.pop(name, None)
    return TicketFilter(data, queryset=Ticket.objects.none())


def requested_tab(params: Mapping[str, str], default: str) -> str:
    """The tab a query string asks for: ``assigned=me`` is the "assigned to
    me" tab whatever the status says; then ``status``, else ``default``.
    Any other ``assigned`` value is returned as is, for ``check_tab`` to refuse."""
    assigned = params.get("assigned")
    if assigned:
        return MINE if assigned == ASSIGNED_TO_ME else f"assigned={assigned}"
    return params.get("status") or default


def check_tab(ticket_filter: TicketFilter, tab: str) -> bool:
    """Whether ``tab`` is "all", "due soon", "assigned to me" or a status. A
    bad one becomes the status field's error, with the status filter's own
    message, beside any other."""
    if tab in (ALL, DUE_SOON, MINE):
        return True
    if tab.startswith("assigned="):
        ticket_filter.form.add_error(None, _("“assigned” can only be “me”."))
        return False
    try:
        ticket_filter.filters["status"].field.clean(tab)
    except ValidationError as error:
        ticket_filter.form.add_error("status", error)
        return False
    return True


def empty_tabs(user=None) -> list[Tab]:
    """The tabs without counts, for a page whose filter could not be applied."""
    merchant = user is not None and roles.is_merchant(user)
    return [tab for tab in _tabs(None) if merchant or tab["code"] != MINE]


def list_order(tab: str) -> Order:
    # Pending, due soon, assigned to me: the deadline closest first
    # (ticket_shop_deadline / ticket_pending_deadline / ticket_handler_deadline);
    # every other tab: newest first (the *_created indexes).
    if tab in DEADLINE_TABS:
        return Order("deadline", descending=False)
    return Order("created_at", descending=True)


def ticket_listing(*, user, ticket_filter: TicketFilter, tab: str, after: str | None = None,
                   before: str | None = None, now: datetime | None = None) -> TicketListing:
    """One page of the tab ``tab`` of the user's tickets matching the filter,
    with every tab's count. ``ticket_filter`` comes from ``list_filter`` and
    must be valid, ``tab`` must have passed ``check_tab``. A broken cursor
    raises ``pagination.InvalidCursor``."""
    now = now or timezone.now()
    base = _filtered(user, ticket_filter)
    status_filter = ticket_filter.filters["status"]
    order = list_order(tab)
    page = keyset_page(_in_tab(ticket_filter, base, tab, first_page=not (after or before),
                               user=user, now=now).only(*ROW_FIELDS),
                       key=order.key, descending=order.descending, after=after, before=before,
                       row_values=tab == MINE)
    counted = {status: status_filter.filter(base, status) for status in TicketStatus.values}
    counted[DUE_SOON] = _due_soon(base, now, user)
    # Only merchants have tickets assigned to them: nobody else gets the tab.
    if roles.is_merchant(user):
        counted[MINE] = _mine(base, user)
    # "Assigned to me" is the reader's own: remembered per reader.
    remembered = {**count_keys(base, [tab for tab in counted if tab != MINE]),
                  **count_keys(base, [MINE] if MINE in counted else [], reader=user)}
    counts: dict[str, int | None] = {MINE: None,
                                     **capped_counts(counted, remembered=remembered)}
    # "All" is the sum of the three, so it costs no count of its own; when a
    # part reached the cap, so does the sum.
    counts[ALL] = sum(counts[status] for status in TicketStatus.values)
    return TicketListing(tab=tab, order=order, page=page, tabs=_tabs(counts))


def due_soon_condition(now: datetime) -> Q:
    """Less than TICKET_DUE_SOON_HOURS left and not yet past (such a deadline
    is pending by a database constraint): the tab, and the scorecard's count."""
    window = timedelta(hours=settings.TICKET_DUE_SOON_HOURS)
    return Q(deadline__gt=now, deadline__lte=now + window)


def _due_soon(base: QuerySet, now: datetime, user) -> QuerySet:
    """A deadline within the window is pending by a database constraint. A
    merchant's scope reads the range off ticket_shop_deadline alone (saying
    status = 'pending' too made PostgreSQL AND it with a bitmap of every pending
    ticket: 190 ms at 1,000,000); across shops ticket_pending_deadline serves,
    and it needs the status named."""
    due = base.filter(due_soon_condition(now))
    return due if roles.is_merchant(user) else due.filter(status=TicketStatus.PENDING)


def _mine(base: QuerySet, user) -> QuerySet:
    # Its pages after a cursor compare (deadline, id) as one row value
    # (pagination.keyset_page's row_values): the same index range, read in order.
    # Pending is spelled "deadline IS NOT NULL" (the same rows: a database
    # constraint) so the condition is exactly ticket_handler_deadline's. With
    # status = 'pending' as well, PostgreSQL multiplies the selectivities of
    # shop, status and handler as if independent (a shop's handler's tickets are
    # all of that shop), expects 30 rows where there are 10,000 and sorts them
    # all instead of reading the index in deadline order.
    return base.filter(handler_id=user.pk, deadline__isnull=False)


def ticket_page(*, user, ticket_filter: TicketFilter, tab: str, after: str | None = None,
                size: int = PAGE_SIZE, updated_after=None, settled_before=None,
                columns: Sequence[str] | None = None,
                now: datetime | None = None) -> KeysetPage:
    """One page of the list without the tab counts (the API's list): the same
    filter, tab and order as ``ticket_listing``; with ``updated_after``, the
    tickets changed at or after it and before ``settled_before``, the oldest
    change first (incremental sync, keyset on ``(updated_at, id)``; see
    ``tickets.writes`` for why a sync must not read the newest changes).
    ``columns``: rows are dicts of these fields (they must include ``id``
    and the sort key) instead of model instances. Same preconditions as
    ``ticket_listing``."""
    now = now or timezone.now()
    if updated_after is not None:
        return _sync_page(user=user, ticket_filter=ticket_filter, tab=tab, after=after,
                          size=size, updated_after=updated_after,
                          settled_before=settled_before, columns=columns, now=now)
    base = _filtered(user, ticket_filter)
    order = list_order(tab)
    # Pages of up to 100 rows with three timestamps each.
    with psycopg_timestamps():
        return keyset_page(_columns(_in_tab(ticket_filter, base, tab, first_page=not after,
                                            user=user, now=now), columns),
                           key=order.key, descending=order.descending, after=after, size=size,
                           row_values=tab == MINE)


# Marker values for a sync page's varying values (updated_after, settled
# before, the cursor's time and id): times no ticket has, an id none has.
_SYNC_MARKS = tuple(
    (datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC),
     datetime(year + 2, 1, 1, tzinfo=UTC), -year)
    for year in (1001, 1011))
_SYNC_SHAPES = CompiledShapes(marks=_SYNC_MARKS)


def _sync_page(*, user, ticket_filter: TicketFilter, tab: str, after: str | None, size: int,
               updated_after, settled_before, columns: Sequence[str] | None,
               now: datetime) -> KeysetPage:
    """A page of an incremental sync: the tickets changed at or after
    ``updated_after`` (and before ``settled_before``), oldest change first.

    A sync asks for page after page of the same query, only the cursor moving,
    so the page's query is prepared once per database connection (planned
    once) and, for row dicts, compiled once per shape (``CompiledShapes``:
    building the queryset cost more than reading its rows)."""
    cursor = Cursor.decode(after) if after else None

    def build(values) -> QuerySet:
        since, settled, cursor_value, cursor_id = values
        base = _filtered(user, ticket_filter)
        changed = _in_tab(ticket_filter, base, tab, first_page=False, user=user,
                          now=now).filter(updated_at__gte=since)
        if settled_before is not None:
            changed = changed.filter(updated_at__lt=settled)
        return forward_page_query(
            _columns(changed, columns), key="updated_at", descending=False,
            after=Cursor(cursor_value, cursor_id) if cursor else None, size=size)

    values = (updated_after, settled_before,
              cursor.value if cursor else None, cursor.id if cursor else None)
    shape = _sync_shape(user, ticket_filter, tab, size=size, columns=columns,
                        with_cursor=cursor is not None, settled=settled_before is not None)
    with prepared_selects(), psycopg_timestamps():
        rows = None if shape is None else _SYNC_SHAPES.rows(shape, build, values)
        if rows is None:
            rows = list(build(values))
    return forward_page(rows, key="updated_at", size=size, after=after)


def _sync_shape(user, ticket_filter: TicketFilter, tab: str, *, size: int,
                columns: Sequence[str] | None, with_cursor: bool, settled: bool):
    """Everything a sync page's SQL depends on besides its varying values, or
    None when that cannot be said for sure (then the page is built as usual):
    the reader (scope, role, shop), the tab, every filter value, the columns,
    the page size and which of the varying values are given."""
    # Due soon depends on the time of the request itself; model instances
    # (dicts of ``values()`` only) are not compiled.
    if columns is None or tab == DUE_SOON:
        return None
    filters = []
    for name, value in sorted(ticket_filter.form.cleaned_data.items()):
        if isinstance(value, models.Model):
            value = (type(value).__name__, value.pk)
        elif not isinstance(value, str | int | bool | datetime | date | NoneType):
            return None
        filters.append((name, value))
    return (user.pk, roles.role_of(user), roles.shop_id_of(user), tab, tuple(filters),
            tuple(columns), size, with_cursor, settled)


def _columns(qs: QuerySet, columns: Sequence[str] | None) -> QuerySet:
    return qs if columns is None else qs.values(*columns)


def _filtered(user, ticket_filter: TicketFilter) -> QuerySet:
    if not ticket_filter.is_valid():
        raise ValueError("the ticket list needs a valid filter")
    return ticket_filter.filter_queryset(Ticket.objects.visible_to(user))


def _in_tab(ticket_filter: TicketFilter, base: QuerySet, tab: str, *, first_page: bool,
            user, now: datetime):
    if tab == DUE_SOON:
        return _due_soon(base, now, user)
    if tab == MINE:
        return _mine(base, user)
    shown = base if tab == ALL else ticket_filter.filters["status"].filter(base, tab)
    if tab == TicketStatus.PENDING and first_page:
        # Always true (a database constraint), but saying it lets SQLite use the
        # partial index on (shop, deadline, id) WHERE deadline IS NOT NULL
        # instead of sorting the shop's pending tickets. Only on the first page:
        # a cursor's deadline bound implies it already, and repeating it there
        # makes PostgreSQL misjudge the row count and sort 15,000 rows (160 ms).
        shown = shown.filter(deadline__isnull=False)
    return shown


def capped_count(qs: QuerySet) -> int:
    """The number of rows, or COUNT_CAP + 1 when there are more:
    SELECT COUNT(*) FROM (SELECT ... LIMIT COUNT_CAP + 1) is bounded work."""
    return capped_counts({"rows": qs})["rows"]


def count_keys(base: QuerySet, names, *, reader=None) -> dict[str, str]:
    """Cache keys for capped counts over ``base`` (``capped_counts``'
    ``remembered``): the scope-and-filter query as compiled (its SQL names
    the shop and every filter value), each name (the tab), and the cap; with
    ``reader``, their id too (a count of what is theirs). Empty when
    ``base`` selects nothing (no role): nothing to remember."""
    # Compiled without the joins the pages print (they select no other rows).
    keyed = base.select_related(None).order_by().values("pk")
    try:
        sql, params = keyed.query.get_compiler(using=keyed.db).as_sql()
    except EmptyResultSet:
        return {}
    scope = hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()[:32]
    key = f"{CAPPED_COUNT_KEY_PREFIX}:{COUNT_CAP}:{scope}"
    suffix = f":{reader.pk}" if reader is not None else ""
    return {name: f"{key}:{name}{suffix}" for name in names}


def capped_counts(querysets: Mapping[str, QuerySet], *,
                  remembered: Mapping[str, str] | None = None) -> dict[str, int]:
    """``capped_count`` of each queryset, all in one statement: a list page's
    five tab counts were five round trips, each parsed and planned on its own
    (about 1.5 ms apiece on top of the counting). The ORM compiles each bounded
    subquery; only the outer SELECT of scalar subqueries is written here, as
    Django has no expression for a count over a sliced queryset.

    ``remembered`` maps names to cache keys: a count that reached the cap is
    kept there for CAPPED_COUNT_SECONDS, and read back instead of counted
    (as a constant in the same statement, so the page's queries stay the
    same whether or not it was remembered)."""
    if not querysets:
        return {}
    remembered = remembered or {}
    known = cache.get_many(remembered.values()) if remembered else {}
    parts, params, using = [], [], None
    for name, qs in querysets.items():
        if known.get(remembered.get(name)) == COUNT_CAP + 1:
            parts.append(str(COUNT_CAP + 1))
            using = using or qs.db
            continue
        # Without the scope's joins (select_related: shop, order, service type,
        # handler): they change no count, and the subquery would carry them.
        bounded = qs.select_related(None).order_by().values("pk")[: COUNT_CAP + 1]
        using = bounded.db
        try:
            sql, part_params = bounded.query.get_compiler(using=using).as_sql()
        except EmptyResultSet:  # .none(): the scope of someone with no role
            parts.append("0")
            continue
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) counted)")
        params.extend(part_params)
    with connections[using].cursor() as cursor:
        cursor.execute(f"SELECT {', '.join(parts)}", params)
        row = cursor.fetchone()
    counts = dict(zip(querysets, row, strict=True))
    reached = {remembered[name]: count for name, count in counts.items()
               if name in remembered and count > COUNT_CAP and remembered[name] not in known}
    if reached:
        cache.set_many(reached, timeout=CAPPED_COUNT_SECONDS)
    return counts


def _tabs(counts: dict[str, int | None] | None) -> list[Tab]:
    """Every tab, without counts when ``counts`` is None; a tab counted as None
    (assigned to me, for someone who is not a merchant) is not shown."""
    return [
        Tab(code=code, label=label,
            count=None if counts is None else min(counts[code], COUNT_CAP),
            capped=counts is not None and counts[code] > COUNT_CAP)
        for code, label in TABS
        if counts is None or counts[code] is not None
    ]
