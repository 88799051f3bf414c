"""Creating, reading and pruning notifications.

``notify`` / ``notify_many`` are the one entry point the ticket lifecycle (and the
deadline sweep) uses. They run inside the caller's transaction, so a rolled-back
transition leaves no notification behind and a committed one has exactly one per
recipient.
"""

import json
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.db.models import JSONField
from django.utils import timezone

from tickets import review_queue, roles
from tickets.id_lists import in_ids, rows_subquery
from tickets.models import Ticket

from .models import Notification, NotificationKind

PRUNE_BATCH_SIZE = 5000


def _params(kind: str, ticket, event) -> dict:
    """What the text needs besides the ticket itself, frozen at the moment of the
    transition (the ticket moves on; the notification must still say what happened)."""
    if kind == NotificationKind.STATUS_CHANGED:
        return {"status": event.to_status if event is not None else ticket.status,
                "resolution": ticket.resolution}
    if kind == NotificationKind.REJECTED:
        if event is None:
            return {"reason": ""}
        return {"reason": event.text, "reason_code": event.reason_id or ""}
    if kind == NotificationKind.DUE_SOON and ticket.deadline is not None:
        return {"deadline": ticket.deadline.isoformat()}
    return {}


# The kinds whose text needs something of the ticket or its event (``_params``);
# every other kind's parameters are empty.
_KINDS_WITH_PARAMS = frozenset({NotificationKind.STATUS_CHANGED, NotificationKind.REJECTED,
                                NotificationKind.DUE_SOON})


def _grouped_params(kind: str, tickets: Sequence, events: Sequence | None) -> list[tuple]:
    """The tickets by their parameters, as [(params, [ticket ids]), ...]. Most kinds
    give every ticket of a batch the same parameters (a timeout has none), so
    there is usually one group."""
    if kind not in _KINDS_WITH_PARAMS:
        # One group, without asking each of a sweep batch's thousands of tickets.
        return [({}, [ticket.pk for ticket in tickets])]
    groups: dict[tuple, tuple] = {}
    for index, ticket in enumerate(tickets):
        params = _params(kind, ticket, events[index] if events is not None else None)
        # Every value is a string: the sorted items are a cheap key.
        groups.setdefault(tuple(sorted(params.items())), (params, []))[1].append(ticket.pk)
    return list(groups.values())


def _params_sql(groups: list[tuple], ticket_id: str) -> tuple[str, list]:
    """``(sql, params)`` of the ``params`` column: one value for the whole
    batch, or each ticket's (e.g. a reminder's deadline) looked up by
    ``ticket_id`` (a column) in one JSON object parameter ``{"<id>": params,
    ...}``. A CASE with a branch per distinct value made the database test a
    branch per ticket of the batch."""
    if len(groups) == 1:
        return "%s", [JSONField().get_db_prep_value(groups[0][0], connection)]
    by_id = json.dumps({str(pk): params for params, ids in groups for pk in ids})
    if connection.vendor == "postgresql":
        return f"(CAST(%s AS jsonb) -> CAST({ticket_id} AS text))", [by_id]
    # SQLite: an object comes out of json_extract as its JSON text.
    return f"json_extract(%s, '$.\"' || {ticket_id} || '\"')", [by_id]


def _batch_rows(tickets: Sequence, returned: bool) -> tuple[str, list]:
    """``(sql, params)`` of the batch's tickets as rows (id, shop_id,
    handler_id). PostgreSQL, when they are ``returned`` rows (a sweep batch's
    UPDATE ... RETURNING, the very values the database has now): as given.
    Read again by id, each lookup visited both the version the batch replaced
    and the new one (bench_sweep: about 15 ms of a batch of 5,000 timeouts,
    a fifth of the statement). Otherwise, and on SQLite, where reading a ticket by its rowid
    costs less than taking three values apart from a JSON row: from the table,
    so a caller's stale copy (an assignment's tickets still name the old
    handler) cannot decide who is told."""
    if returned and connection.vendor == "postgresql":
        return rows_subquery([(ticket.pk, ticket.shop_id, ticket.handler_id) for ticket in tickets],
                             ("id", "shop_id", "handler_id"))
    return (Ticket.objects.filter(pk__in=in_ids([ticket.pk for ticket in tickets])).order_by()
            .values("id", "shop_id", "handler_id").query.sql_with_params())


def _insert(tickets: Sequence, kind: str, groups: list[tuple], now: datetime, *,
            actor_id: int | None = None, returned: bool = False) -> int:
    """INSERT INTO notification (...) SELECT ...: one row per ticket and
    recipient, the database fanning the batch out and copying the values
    itself, instead of Python building a model object per notification for
    bulk_create (two thirds of the deadline sweep's CPU time in bench_sweep).

    The recipients of a ticket: its handler when it has one, otherwise every
    merchant of its shop right now (as ``roles.merchant_memberships`` defines
    them, so an agent who is also in the merchant group is not one); never
    ``actor_id``, the person whose action it was (nobody is told what they just
    did themselves). Someone who joins a shop later gets only what happens
    after they joined.

    The ORM writes the subqueries; it has no INSERT ... SELECT nor a join to a
    subquery, so the frame is SQL. The batch's tickets and the merchants are
    each read once into a table of their own, then joined on the shop: SQLite
    finds a ticket's merchants through an index it builds on the few merchant
    rows, where asking of every (ticket, membership) row whether it is a
    merchant's took two thirds of the statement (bench_sweep, a batch of 5,000
    timeouts); PostgreSQL, given the merchants and the tickets as one join,
    read every ticket of the merchants' shops."""
    opts = Notification._meta
    quote = connection.ops.quote_name
    columns = ", ".join(quote(opts.get_field(name).column)
                        for name in ("recipient", "kind", "ticket", "params", "created_at"))
    memberships = roles.merchant_memberships()
    if actor_id is not None:
        memberships = memberships.exclude(user_id=actor_id)
    # A user has one membership at most: (user, shop) rows without duplicates.
    merchants, merchants_params = (memberships.order_by().values("user_id", "shop_id")
                                   .query.sql_with_params())
    batch, batch_params = _batch_rows(tickets, returned)
    params_sql, params_params = _params_sql(groups, "t.id")
    at = opts.get_field("created_at").get_db_prep_value(now, connection)
    sql = (
        f"INSERT INTO {quote(opts.db_table)} ({columns}) "
        f"WITH m AS MATERIALIZED ({merchants}), t AS MATERIALIZED ({batch}) "
        f"SELECT m.user_id, %s, t.id, {params_sql}, %s FROM t "
        f"JOIN m ON m.shop_id = t.shop_id "
        f"WHERE t.handler_id IS NULL OR m.user_id = t.handler_id "
        # Ids in a stable order (ticket, then recipient), whatever plan is chosen.
        f"ORDER BY t.id, m.user_id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*merchants_params, *batch_params, kind, *params_params, at])
        return cursor.rowcount


def notify_many(tickets: Sequence, kind: str, *, now: datetime,
                events: Sequence | None = None, actor_id: int | None = None,
                returned: bool = False) -> int:
    """Create one notification of ``kind`` per recipient for each ticket (its
    handler, else the active merchants of the ticket's shop; never ``actor_id``,
    whose action it was), in bulk. ``events`` (same length as ``tickets``, or
    None) are the TicketEvents that caused them, for parameters such as a
    rejection reason. ``returned``: the tickets' ``shop_id`` and ``handler_id``
    are what a statement of this transaction returned (a sweep batch's
    UPDATE), so they need not be read again (``_batch_rows``). Returns how
    many were created.

    One INSERT ... SELECT whatever the batch size: the ticket ids are one query
    parameter (``tickets.id_lists``), and so are the parameters when they
    differ per ticket."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if events is not None and len(events) != len(tickets):
        raise ValueError("events must be None or as long as tickets")
    if not tickets:
        return 0
    groups = _grouped_params(kind, tickets, events)
    return _insert(tickets, kind, groups, now, actor_id=actor_id, returned=returned)


def notify(ticket, kind: str, *, now: datetime, event=None) -> int:
    """One ticket's notifications; the event's actor is not told of their own action."""
    return notify_many([ticket], kind, now=now, events=[event] if event is not None else None,
                       actor_id=event.actor_id if event is not None else None)


def notify_user(user_id: int, ticket_id: int | None, kind: str, *, params: dict,
                now: datetime) -> Notification:
    """One notification to one person, about something other than a ticket's
    own state (e.g. their webhook endpoint was switched off; it hangs on the
    ticket whose delivery failed last, when there is one)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    return Notification.objects.create(recipient_id=user_id, ticket_id=ticket_id, kind=kind,
                                       params=params, created_at=now)


def notify_users(user_ids, kind: str, *, params: dict, now: datetime) -> int:
    """One notification each to several people about no ticket (last week's
    scorecard of their shop), in one INSERT. Returns how many were created."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    return len(Notification.objects.bulk_create(
        Notification(recipient_id=user_id, kind=kind, params=params, created_at=now)
        for user_id in user_ids))


def unread_count(user) -> int:
    """COUNT over the user's unread rows only (the partial index notification_unread)."""
    return Notification.objects.for_user(user).unread().count()


def review_queue_count(user) -> int | None:
    """Tickets waiting for review, for the agent's header, counted like the
    list's tabs: at most ``COUNT_CAP + 1`` (shown "10,000+"), and kept in the
    cache until the queue changes, so a backlog or many agents polling never
    make the agent's badge poll dearer than a merchant's. None for everybody
    else."""
    if not roles.is_agent(user):
        return None
    return review_queue.size(user)


def mark_read(user, notification_id: int, *, now: datetime | None = None) -> Notification:
    """Mark one of the user's notifications read (again is harmless). Raises
    Notification.DoesNotExist for anybody else's id, so it cannot be probed."""
    notification = Notification.objects.for_user(user).select_related(
        "ticket", "ticket__service_type").get(pk=notification_id)
    if notification.read_at is None:
        notification.read_at = now or timezone.now()
        # Guarded by read_at IS NULL so a second tab does not move the time.
        Notification.objects.filter(pk=notification.pk, read_at__isnull=True).update(
            read_at=notification.read_at)
    return notification


def mark_all_read(user, *, up_to_id: int | None = None, now: datetime | None = None) -> int:
    """Mark the user's unread notifications read; with ``up_to_id``, only those the
    page showed (ids up to it), so one that arrived meanwhile stays unread."""
    unread = Notification.objects.for_user(user).unread()
    if up_to_id is not None:
        unread = unread.filter(pk__lte=up_to_id)
    return unread.update(read_at=now or timezone.now())


def prune_read_notifications(*, now: datetime | None = None,
                             batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete read notifications older than NOTIFICATION_RETENTION_DAYS, a batch
    per statement so no delete holds long locks (SQLite writers wait on it).
    Unread ones are kept: nobody has seen them yet. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.NOTIFICATION_RETENTION_DAYS)
    old = Notification.objects.filter(read_at__isnull=False, created_at__lt=cutoff)
    deleted = 0
    while True:
        ids = list(old.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = Notification.objects.filter(pk__in=ids).delete()
        deleted += count
