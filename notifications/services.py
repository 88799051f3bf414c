"""Creating, reading and pruning notifications.

``notify`` / ``notify_many`` are the one entry point the ticket lifecycle (and the
deadline sweep) uses. They run inside the caller's transaction, so a rolled-back
transition leaves no notification behind and a committed one has exactly one per
recipient.
"""

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from tickets import roles
from tickets.models import ShopMembership, Ticket, TicketStatus
from tickets.roles import Role

from .models import Notification, NotificationKind

PRUNE_BATCH_SIZE = 5000


def _params(kind: str, ticket, event) -> dict:
    """What the text needs besides the ticket itself, frozen at the moment of the
    transition (the ticket moves on; the notification must still say what happened)."""
    if kind == NotificationKind.STATUS_CHANGED:
        return {"status": event.to_status if event is not None else ticket.status,
                "resolution": ticket.resolution}
    if kind == NotificationKind.REJECTED:
        return {"reason": event.text if event is not None else ""}
    if kind == NotificationKind.DUE_SOON and ticket.deadline is not None:
        return {"deadline": ticket.deadline.isoformat()}
    return {}


def _merchants_by_shop(shop_ids: set[int]) -> dict[int, list[int]]:
    """Every active merchant of these shops right now, in one query. Someone who
    joins a shop later gets only what happens after they joined."""
    members = defaultdict(list)
    rows = (
        ShopMembership.objects.filter(
            shop_id__in=shop_ids, user__is_active=True, user__groups__name=Role.MERCHANT
        )
        .order_by("shop_id", "user_id")
        .values_list("shop_id", "user_id")
    )
    for shop_id, user_id in rows:
        members[shop_id].append(user_id)
    return members


def notify_many(tickets: Sequence, kind: str, *, now: datetime,
                events: Sequence | None = None) -> int:
    """Create one notification of ``kind`` per recipient for each ticket (the
    merchants of the ticket's shop), in bulk. ``events`` (same length as
    ``tickets``, or None) are the TicketEvents that caused them, for
    parameters such as a rejection reason. Returns how many were created.

    Costs two queries whatever the batch size: the memberships of all the
    batch's shops, and one INSERT (SQLite splits it to stay under its limit on
    query parameters)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    if events is not None and len(events) != len(tickets):
        raise ValueError("events must be None or as long as tickets")
    if not tickets:
        return 0
    members = _merchants_by_shop({ticket.shop_id for ticket in tickets})
    rows = []
    for index, ticket in enumerate(tickets):
        event = events[index] if events is not None else None
        params = _params(kind, ticket, event)
        rows.extend(
            Notification(recipient_id=user_id, kind=kind, ticket_id=ticket.pk, params=params,
                         created_at=now)
            for user_id in members.get(ticket.shop_id, ())
        )
    if rows:
        Notification.objects.bulk_create(rows)
    return len(rows)


def notify(ticket, kind: str, *, now: datetime, event=None) -> int:
    return notify_many([ticket], kind, now=now, events=[event] if event is not None else None)


def unread_count(user) -> int:
    """COUNT over the user's unread rows only (the partial index notification_unread)."""
    return Notification.objects.for_user(user).unread().count()


def review_queue_count(user) -> int | None:
    """Tickets waiting for review, for the agent's header; None for everybody else.
    A COUNT over the partial index ticket_review_queue."""
    if not roles.is_agent(user):
        return None
    return Ticket.objects.visible_to(user).filter(status=TicketStatus.UNDER_REVIEW).count()


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
