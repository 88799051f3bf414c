"""Every ticket transition, and the only code that writes ``Ticket.status``.

Each function is one transaction that locks the ticket row, re-reads its state
from the locked row, checks role, state and deadline against a single ``now``,
writes the ticket with ``update_fields``, appends a ``TicketEvent`` and creates
the notifications. A committed transition therefore always has its event and
notifications, a rolled-back one has neither.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.services import notify, notify_many

from . import roles
from .errors import AlreadyReplied, DeadlinePassed, InvalidInput, NotPermitted, TransitionNotAllowed
from .evidence import ProcessedImage, process_uploads
from .models import (
    EventKind,
    Evidence,
    Order,
    Resolution,
    ServiceType,
    Ticket,
    TicketEvent,
    TicketStatus,
    new_ticket_number,
)

# Notification kinds, by the event that causes them.
NOTIFICATION_FOR_EVENT = {
    EventKind.CREATED: "new_ticket",
    EventKind.REPLIED: "status_changed",
    EventKind.APPROVED: "status_changed",
    EventKind.AGREED: "status_changed",
    EventKind.REJECTED: "rejected",
    EventKind.TIMED_OUT: "timed_out",
}


def deadline_from(now: datetime, service_type: ServiceType) -> datetime:
    """Calendar hours from the moment the ticket (re-)enters pending."""
    return now + timedelta(hours=service_type.handling_hours)


def _lock(ticket: Ticket | int) -> Ticket:
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    return (
        Ticket.objects.select_for_update(of=("self",))
        .select_related("service_type", "shop", "order")
        .get(pk=pk)
    )


def _record(ticket: Ticket, *, kind: EventKind, actor, from_status: str, now: datetime,
            text: str = "") -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=kind,
        from_status=from_status,
        to_status=ticket.status,
        text=text,
        created_at=now,
    )
    notify(ticket, NOTIFICATION_FOR_EVENT[kind], now=now, event=event)
    return event


def _require(condition: bool) -> None:
    if not condition:
        raise NotPermitted()


def _require_text(value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    return value


def create_ticket(*, actor, order: Order, service_type: ServiceType, content: str,
                  now: datetime | None = None) -> Ticket:
    _require(roles.can_create_tickets(actor))
    content = _require_text(content, _("Describe what the buyer needs."))
    if not service_type.is_active:
        raise InvalidInput(_("This service type is no longer in use."))
    now = now or timezone.now()
    # The random number may (very rarely) collide with an existing one; the
    # savepoint lets us draw again without losing the caller's transaction.
    for attempt in range(5):
        number = new_ticket_number(now)
        try:
            with transaction.atomic():
                ticket = Ticket.objects.create(
                    number=number,
                    shop_id=order.shop_id,
                    order=order,
                    service_type=service_type,
                    status=TicketStatus.PENDING,
                    content=content,
                    deadline=deadline_from(now, service_type),
                    created_by=actor,
                    created_at=now,
                )
                _record(ticket, kind=EventKind.CREATED, actor=actor, from_status="", now=now,
                        text=content)
                return ticket
        except IntegrityError:
            if attempt == 4 or not Ticket.objects.filter(number=number).exists():
                raise
    raise AssertionError("unreachable")


def _store_evidence(images: Sequence[ProcessedImage]) -> list[Evidence]:
    """Write the images and thumbnails to storage before the row lock is taken
    (slow I/O never happens while a ticket is locked); the caller deletes them
    on failure, and so does this if writing fails part-way."""
    stored = []
    try:
        for image in images:
            evidence = Evidence(original_name=image.original_name, size=image.original_size,
                                sha256=image.sha256, content_type=image.format.content_type,
                                width=image.width, height=image.height)
            stored.append(evidence)
            evidence.image.save("image", ContentFile(image.data), save=False)
            evidence.thumbnail.save("thumbnail", ContentFile(image.thumbnail), save=False)
    except BaseException:
        _delete_evidence_files(stored)
        raise
    return stored


def _delete_evidence_files(stored: Sequence[Evidence]) -> None:
    for item in stored:
        item.image.delete(save=False)
        item.thumbnail.delete(save=False)


def reply(ticket: Ticket | int, *, actor, body: str,
          evidence: Sequence[UploadedFile | ProcessedImage] = (),
          now: datetime | None = None) -> Ticket:
    """The merchant answers a pending ticket; it goes to review. ``evidence``
    may be uploads or images the form already processed (none is decoded twice)."""
    _require(roles.is_merchant(actor))
    body = _require_text(body, _("Write a reply."))
    stored = _store_evidence(process_uploads(evidence))
    try:
        with transaction.atomic():
            ticket = _lock(ticket)
            now = now or timezone.now()
            _require(ticket.shop_id == roles.shop_id_of(actor))
            if ticket.status == TicketStatus.UNDER_REVIEW:
                raise AlreadyReplied()
            if ticket.status != TicketStatus.PENDING:
                raise TransitionNotAllowed()
            # The server's deadline decides, whether or not the sweep ran yet.
            if now >= ticket.deadline:
                raise DeadlinePassed()
            if ticket.service_type.evidence_required and not stored:
                raise InvalidInput(_("This service type requires at least one evidence image."))
            ticket.status = TicketStatus.UNDER_REVIEW
            ticket.deadline = None
            ticket.first_replied_at = ticket.first_replied_at or now
            ticket.last_replied_at = now
            ticket.save(update_fields=["status", "deadline", "first_replied_at",
                                       "last_replied_at"])
            event = _record(ticket, kind=EventKind.REPLIED, actor=actor,
                            from_status=TicketStatus.PENDING, now=now, text=body)
            for item in stored:
                item.event = event
            Evidence.objects.bulk_create(stored)
    except BaseException:
        _delete_evidence_files(stored)
        raise
    return ticket


def approve(ticket: Ticket | int, *, actor, now: datetime | None = None) -> Ticket:
    _require(roles.is_agent(actor))
    with transaction.atomic():
        ticket = _lock(ticket)
        now = now or timezone.now()
        if ticket.status != TicketStatus.UNDER_REVIEW:
            raise TransitionNotAllowed()
        _close(ticket, Resolution.APPROVED, now)
        _record(ticket, kind=EventKind.APPROVED, actor=actor,
                from_status=TicketStatus.UNDER_REVIEW, now=now)
    return ticket


def reject(ticket: Ticket | int, *, actor, reason: str, now: datetime | None = None) -> Ticket:
    """Back to the merchant with a reason and a fresh handling deadline."""
    _require(roles.is_agent(actor))
    reason = _require_text(reason, _("Give a reason for the rejection."))
    with transaction.atomic():
        ticket = _lock(ticket)
        now = now or timezone.now()
        if ticket.status != TicketStatus.UNDER_REVIEW:
            raise TransitionNotAllowed()
        ticket.status = TicketStatus.PENDING
        ticket.deadline = deadline_from(now, ticket.service_type)
        ticket.reject_count += 1
        ticket.save(update_fields=["status", "deadline", "reject_count"])
        _record(ticket, kind=EventKind.REJECTED, actor=actor,
                from_status=TicketStatus.UNDER_REVIEW, now=now, text=reason)
    return ticket


def close_as_agreed(ticket: Ticket | int, *, actor, note: str = "",
                    now: datetime | None = None) -> Ticket:
    _require(roles.is_agent(actor))
    with transaction.atomic():
        ticket = _lock(ticket)
        now = now or timezone.now()
        if ticket.status not in (TicketStatus.PENDING, TicketStatus.UNDER_REVIEW):
            raise TransitionNotAllowed()
        from_status = ticket.status
        _close(ticket, Resolution.AGREED, now)
        _record(ticket, kind=EventKind.AGREED, actor=actor, from_status=from_status, now=now,
                text=(note or "").strip())
    return ticket


def time_out(ticket: Ticket | int, *, now: datetime | None = None) -> Ticket:
    """The platform closes a pending ticket whose deadline has passed."""
    with transaction.atomic():
        ticket = _lock(ticket)
        now = now or timezone.now()
        if ticket.status != TicketStatus.PENDING:
            raise TransitionNotAllowed()
        if now < ticket.deadline:
            raise TransitionNotAllowed()
        _close(ticket, Resolution.TIMED_OUT, now)
        _record(ticket, kind=EventKind.TIMED_OUT, actor=None,
                from_status=TicketStatus.PENDING, now=now)
    return ticket


def _close(ticket: Ticket, resolution: Resolution, now: datetime) -> None:
    ticket.status = TicketStatus.CLOSED
    ticket.resolution = resolution
    ticket.deadline = None
    ticket.closed_at = now
    ticket.save(update_fields=["status", "resolution", "deadline", "closed_at"])


# --- Batch paths for the deadline sweep (tickets.sweep) -------------------------
#
# The same rules as ``time_out`` for many tickets at once: claim rows under lock,
# change them with one guarded UPDATE, append one event per ticket and notify in
# bulk, all in one transaction per batch. At 100,000 tickets a save() per row
# costs 6 times one bare UPDATE (40 times with a commit per row) on this project's
# machines; ``manage.py bench_sweep`` measures this path against that floor.


@contextmanager
def _batch_transaction():
    """One batch, one transaction. On PostgreSQL its commit does not wait for the
    WAL flush: if the server crashes right after, the whole batch (events and
    notifications included) is lost together and the next sweep redoes it, so
    nothing is half-done; it saves a disk flush per batch."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        yield


def _claim(queryset, *, limit: int) -> list[Ticket]:
    """Lock up to ``limit`` rows of ``queryset``, soonest deadline first.

    The sweep may run in several workers at once: on PostgreSQL SKIP LOCKED lets
    each take rows the others have not locked, instead of queueing behind them.
    SQLite has no row locks; there the IMMEDIATE transaction (settings) makes the
    whole batch one writer, so a second sweep waits, then claims only what is
    still due."""
    # Only what the batch paths read: the guarded UPDATE needs the ids, the
    # notifications the deadline (due_soon); not the content and the rest.
    queryset = queryset.order_by("deadline", "id").only("id", "shop_id", "deadline")
    features = connection.features
    if features.has_select_for_update_skip_locked:
        # NO KEY UPDATE: the sweep never changes the key, so it need not block
        # rows elsewhere that reference the ticket (events, notifications).
        queryset = queryset.select_for_update(
            skip_locked=True, of=("self",), no_key=features.has_select_for_no_key_update)
    return list(queryset[:limit])


def _guarded_update(queryset, claimed: list[Ticket], **values) -> None:
    """One UPDATE for the claimed rows, still under the claim's conditions. The
    rows are locked, so every one must still match; if not, roll the batch back
    rather than write events or notifications for tickets that did not change."""
    updated = queryset.filter(pk__in=[t.pk for t in claimed]).update(**values)
    if updated != len(claimed):
        raise RuntimeError(
            f"sweep batch claimed {len(claimed)} tickets but could update {updated}"
        )


def time_out_due(now: datetime, *, limit: int) -> int:
    """Time out up to ``limit`` pending tickets whose deadline is at or before
    ``now`` (the same moment ``reply`` starts refusing). Returns how many.

    A reply that committed before the rows were claimed has already moved its
    ticket out of pending, so it is not claimed; a reply waiting on a claimed row
    finds it closed when the batch commits and is refused."""
    due = Ticket.objects.due(now)
    with _batch_transaction():
        tickets = _claim(due, limit=limit)
        if not tickets:
            return 0
        _guarded_update(
            due,
            tickets,
            status=TicketStatus.CLOSED,
            resolution=Resolution.TIMED_OUT,
            deadline=None,
            closed_at=now,
        )
        for ticket in tickets:
            ticket.status = TicketStatus.CLOSED
            ticket.resolution = Resolution.TIMED_OUT
            ticket.deadline = None
            ticket.closed_at = now
        _append_timeout_events([ticket.pk for ticket in tickets], now)
        # A timeout's notification needs nothing from its event (no actor, no
        # text), so the events are not read back for it.
        notify_many(tickets, NOTIFICATION_FOR_EVENT[EventKind.TIMED_OUT], now=now)
    return len(tickets)


def _append_timeout_events(ticket_ids: list[int], now: datetime) -> None:
    """One TicketEvent per ticket, as ``time_out`` writes it, copied by the
    database in one INSERT ... SELECT. ``bulk_create`` builds and adapts every
    value in Python and was the largest cost of the sweep (about a third of its
    CPU time in bench_sweep); the ORM has no INSERT ... SELECT, hence the SQL."""
    quote = connection.ops.quote_name
    event = TicketEvent._meta
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in ("ticket", "actor", "kind", "from_status", "to_status", "text", "created_at")
    )
    placeholders = ", ".join(["%s"] * len(ticket_ids))
    # Through the field, so the time is stored exactly as the ORM stores it
    # (SQLite compares datetimes as text).
    created_at = event.get_field("created_at").get_db_prep_value(now, connection)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(event.db_table)} ({columns}) "
            f"SELECT {quote(Ticket._meta.pk.column)}, NULL, %s, %s, %s, '', %s "
            f"FROM {quote(Ticket._meta.db_table)} "
            f"WHERE {quote(Ticket._meta.pk.column)} IN ({placeholders})",
            [EventKind.TIMED_OUT.value, TicketStatus.PENDING.value, TicketStatus.CLOSED.value,
             created_at, *ticket_ids],
        )


def due_soon(now: datetime, window: timedelta):
    """Pending tickets with less than ``window`` left and no reminder yet for
    their current deadline (a reject sets a new deadline, so a new reminder)."""
    return Ticket.objects.pending().filter(
        Q(due_soon_sent_for__isnull=True) | ~Q(due_soon_sent_for=F("deadline")),
        deadline__gt=now,
        deadline__lte=now + window,
    )


def warn_due_soon(now: datetime, *, limit: int, window: timedelta) -> int:
    """Send the "about to time out" reminder for up to ``limit`` tickets, once per
    pending period: ``due_soon_sent_for`` records the deadline it was sent for.
    Returns how many tickets were reminded.

    No TicketEvent: the reminder changes no status, and the thread shows
    transitions only. The notification itself is the record."""
    unwarned = due_soon(now, window)
    with _batch_transaction():
        tickets = _claim(unwarned, limit=limit)
        if not tickets:
            return 0
        # Compare-and-set: only rows still without a reminder for this deadline.
        _guarded_update(unwarned, tickets, due_soon_sent_for=F("deadline"))
        for ticket in tickets:
            ticket.due_soon_sent_for = ticket.deadline
        notify_many(tickets, "due_soon", now=now)
    return len(tickets)
