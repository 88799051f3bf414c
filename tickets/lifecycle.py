"""Every ticket transition, and the only code that writes ``Ticket.status``.

The rules (which statuses an action starts from, where it leaves the ticket, who
may do it, what it records and notifies, deadlines) are rows of
``tickets.transitions.TRANSITIONS``; the functions here enforce them and write.

Each function is one durable transaction that locks the ticket row, re-reads its
state from the locked row, checks role, state and deadline against a single
``now``, writes the ticket with ``update_fields``, appends a ``TicketEvent`` and
creates the notifications. A committed transition therefore always has its event
and notifications, a rolled-back one has neither; and being durable, no caller
can fold it into a longer transaction where a later failure would undo it after
the user was told it happened (Django raises RuntimeError instead).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from operator import itemgetter
from typing import NamedTuple

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import BooleanField, F, Q
from django.db.models.expressions import RawSQL
from django.db.models.sql import UpdateQuery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.services import notify, notify_many
from webhooks import outbox

from . import assignment, review_queue, roles
from .errors import (
    AlreadyReplied,
    Claimed,
    DeadlinePassed,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from .evidence import ProcessedImage, process_uploads
from .id_lists import ids_subquery
from .models import (
    Evidence,
    Order,
    RejectReason,
    ServiceType,
    Ticket,
    TicketEvent,
    TicketStatus,
    new_ticket_number,
)
from .transitions import (
    TRANSITIONS,
    Action,
    DeadlineRule,
    NotificationKind,
    Transition,
    WebhookEvent,
)
from .writes import ticket_write


def _lock(ticket: Ticket | int, *, actor=None) -> Ticket:
    """Lock the row, within what ``actor`` may see (the one scope): a ticket of
    another shop is refused exactly like one the actor may not act on."""
    pk = ticket.pk if isinstance(ticket, Ticket) else ticket
    tickets = Ticket.objects.all() if actor is None else Ticket.objects.visible_to(actor)
    try:
        return (
            tickets.select_for_update(of=("self",))
            .select_related("service_type", "shop", "order")
            .get(pk=pk)
        )
    except Ticket.DoesNotExist:
        if actor is None:
            raise
        raise NotPermitted() from None


def _require_role(actor, action: Action) -> None:
    if not roles.may(actor, action):
        raise NotPermitted()


def _check(transition: Transition, ticket: Ticket, now: datetime) -> None:
    """The locked ticket's status and deadline against the transition's row."""
    if not transition.starts_from(ticket.status):
        raise TransitionNotAllowed()
    if not transition.deadline_allows(ticket.deadline, now):
        # Too late to reply is its own message; too early to time out is just
        # "not now" (the sweep raced a reject that set a fresh deadline).
        if transition.deadline_rule == DeadlineRule.BEFORE:
            raise DeadlinePassed()
        raise TransitionNotAllowed()


def _move(transition: Transition, ticket: Ticket, now: datetime, **counters) -> None:
    """Write the transition's status (and what moves with it) plus ``counters``."""
    fields = {**transition.moved_fields(now, ticket.service_type), **counters}
    for name, value in fields.items():
        setattr(ticket, name, value)
    ticket.save(update_fields=list(fields))


def _record(ticket: Ticket, transition: Transition, *, actor, from_status: str,
            now: datetime, text: str = "", reason: RejectReason | None = None) -> TicketEvent:
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=actor,
        kind=transition.event,
        from_status=from_status,
        to_status=ticket.status,
        text=text,
        reason=reason,
        created_at=now,
    )
    notify(ticket, transition.notification, now=now, event=event)
    outbox.record(transition.webhook, [ticket], now=now)
    if TicketStatus.UNDER_REVIEW in (from_status, ticket.status):
        review_queue.changed()
    return event


def _require_text(value: str, message) -> str:
    value = (value or "").strip()
    if not value:
        raise InvalidInput(message)
    return value


def create_ticket(*, actor, order: Order, service_type: ServiceType, content: str,
                  now: datetime | None = None) -> Ticket:
    transition = TRANSITIONS[Action.CREATE]
    _require_role(actor, Action.CREATE)
    content = _require_text(content, _("Describe what the buyer needs."))
    if not service_type.is_active:
        raise InvalidInput(_("This service type is no longer in use."))
    now = now or timezone.now()
    with ticket_write():
        # The random number may (very rarely) collide with an existing one; the
        # savepoint lets us draw again inside this transaction.
        for attempt in range(5):
            number = new_ticket_number(now)
            try:
                with transaction.atomic():
                    # The shop's round-robin rule for this type, if it has one.
                    handler = assignment.auto_handler(order.shop_id, service_type)
                    ticket = Ticket.objects.create(
                        number=number,
                        shop_id=order.shop_id,
                        order=order,
                        service_type=service_type,
                        content=content,
                        created_by=actor,
                        created_at=now,
                        handler=handler,
                        **transition.moved_fields(now, service_type),
                    )
                    _record(ticket, transition, actor=actor, from_status="", now=now,
                            text=content)
                    if handler is not None:
                        assignment.record_auto_assignment(ticket, handler, now=now)
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
    transition = TRANSITIONS[Action.REPLY]
    _require_role(actor, Action.REPLY)
    body = _require_text(body, _("Write a reply."))
    stored = _store_evidence(process_uploads(evidence))
    try:
        with ticket_write():
            ticket = _lock(ticket, actor=actor)
            now = now or timezone.now()
            if ticket.status == transition.target:
                raise AlreadyReplied()
            _check(transition, ticket, now)
            if ticket.service_type.evidence_required and not stored:
                raise InvalidInput(_("This service type requires at least one evidence image."))
            from_status = ticket.status
            _move(transition, ticket, now,
                  first_replied_at=ticket.first_replied_at or now, last_replied_at=now)
            event = _record(ticket, transition, actor=actor, from_status=from_status, now=now,
                            text=body)
            for item in stored:
                item.event = event
            Evidence.objects.bulk_create(stored)
    except BaseException:
        _delete_evidence_files(stored)
        raise
    return ticket


# The decisions on a reply that a live claim of another agent refuses (claims
# are not status: the transition table does not know them; tickets.claims).
CLAIM_GUARDED = frozenset({Action.APPROVE, Action.REJECT})


def _check_claim(ticket: Ticket, actor, now: datetime) -> None:
    """Refuse a decision while another agent holds a live claim on the reply."""
    if ticket.claimed_by_id is None or ticket.claimed_by_id == getattr(actor, "pk", None):
        return
    holder = ticket.claim_holder(now)
    if holder is not None:
        raise Claimed(holder.get_username())


def _transition(action: Action, ticket: Ticket | int, *, actor, now: datetime | None,
                text: str = "", counters: Callable[[Ticket], dict] | None = None,
                check: Callable[[Ticket], None] | None = None,
                reason: RejectReason | None = None) -> Ticket:
    """Lock, check against the table, move, record: the whole of a transition
    that has nothing of its own beyond ``counters`` (given the locked ticket,
    the counter fields to write; approve, reject, close as agreed, time out)
    and ``check`` (given the locked ticket, raises to refuse). Leaving review
    lets go of any claim on the reply."""
    transition = TRANSITIONS[action]
    with ticket_write():
        ticket = _lock(ticket, actor=actor)
        now = now or timezone.now()
        _check(transition, ticket, now)
        if action in CLAIM_GUARDED:
            _check_claim(ticket, actor, now)
        if check is not None:
            check(ticket)
        from_status = ticket.status
        moved = counters(ticket) if counters else {}
        if ticket.claimed_by_id is not None:
            moved.update(claimed_by=None, claim_expires_at=None)
        _move(transition, ticket, now, **moved)
        _record(ticket, transition, actor=actor, from_status=from_status, now=now, text=text,
                reason=reason)
    return ticket


def approve(ticket: Ticket | int, *, actor, now: datetime | None = None) -> Ticket:
    _require_role(actor, Action.APPROVE)
    return _transition(Action.APPROVE, ticket, actor=actor, now=now)


def _reject_reason(code: str, text: str) -> RejectReason:
    """The catalogue's reason for ``code``, if it may be chosen; "other" needs words."""
    code = (code or "").strip()
    if not code:
        raise InvalidInput(_("Choose a reason for the rejection."))
    reason = RejectReason.objects.filter(code=code, is_active=True).first()
    if reason is None:
        raise InvalidInput(_("This rejection reason does not exist or is no longer in use."))
    if reason.needs_text and not text:
        raise InvalidInput(_("Say what is wrong: the reason “Other” needs a text."))
    return reason


def _applies_to(reason: RejectReason) -> Callable[[Ticket], None]:
    def check(ticket: Ticket) -> None:
        types = {t.pk for t in reason.service_types.all()}
        if types and ticket.service_type_id not in types:
            raise InvalidInput(_("This rejection reason does not apply to this service type."))

    return check


def reject(ticket: Ticket | int, *, actor, reason_code: str, reason: str = "",
           now: datetime | None = None) -> Ticket:
    """Back to the merchant with a coded reason (``reason_code``, from the
    ``RejectReason`` catalogue, applicable to the ticket's service type), the
    agent's optional words (required for "other") and a fresh handling deadline."""
    _require_role(actor, Action.REJECT)
    text = (reason or "").strip()
    coded = _reject_reason(reason_code, text)
    return _transition(Action.REJECT, ticket, actor=actor, now=now, text=text, reason=coded,
                       check=_applies_to(coded),
                       counters=lambda locked: {"reject_count": locked.reject_count + 1,
                                                "last_reject_reason": coded})


def close_as_agreed(ticket: Ticket | int, *, actor, note: str = "",
                    now: datetime | None = None) -> Ticket:
    _require_role(actor, Action.CLOSE_AS_AGREED)
    return _transition(Action.CLOSE_AS_AGREED, ticket, actor=actor, now=now,
                       text=(note or "").strip())


def time_out(ticket: Ticket | int, *, now: datetime | None = None) -> Ticket:
    """The platform closes a pending ticket whose deadline has passed."""
    return _transition(Action.TIME_OUT, ticket, actor=None, now=now)


# --- Batch paths for the deadline sweep (tickets.sweep) -------------------------
#
# The same rules as ``time_out`` for many tickets at once: claim rows under lock
# and change them in one guarded UPDATE, append one event per ticket and notify in
# bulk, all in one transaction per batch. At 100,000 tickets a save() per row
# costs 6 times one bare UPDATE (40 times with a commit per row) on this project's
# machines; ``manage.py bench_sweep`` measures this path against that floor.


@contextmanager
def _batch_transaction():
    """One batch, one durable transaction, committed with the server's usual
    synchronous commit: once the sweep has said a ticket timed out (and its
    merchants were told), a server crash must not bring it back pending.
    ``ticket_write`` bounds it like every other ticket write.

    PostgreSQL: Django creates foreign keys DEFERRABLE INITIALLY DEFERRED, so
    each row the batch inserts (events, notifications) would queue its checks
    until COMMIT. Checked at the end of each INSERT instead, the same checks run
    while the referenced rows are still hot, and the commit is only the commit."""
    with ticket_write():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        yield


# What the batch paths need of each claimed ticket: the id for the events and
# notifications, the shop and handler for the recipients, the deadline for a
# reminder.
_RETURNED = ("id", "shop", "deadline", "handler")


class SweptTicket(NamedTuple):
    """A ticket a sweep batch changed, as its side rows need it: the returned
    columns (``_RETURNED``), as they are after the UPDATE. Not a model
    instance: ``Ticket.__init__`` visits every field of the model, and for
    thousands of rows a batch that cost more than the batch's side-row
    statements did. A tuple, made straight from the returned row: a frozen
    dataclass sets each field through ``object.__setattr__``, a cost per
    ticket again."""

    pk: int
    shop_id: int
    deadline: datetime | None
    handler_id: int | None
_CLAIMED = "sweep_claimed"
_CHANGED = "sweep_changed"
_RECORDED = "sweep_recorded"
# The column of the claim that says which rows the UPDATE changes.
_CLAIM_KEY = "claimed"


def _claim_key():
    """What the claim returns of each row for the UPDATE to find it again.

    PostgreSQL: the row's physical address (``ctid``). The claim holds the row
    locked until the batch commits, so nobody can update or delete it and its
    address stays put; the UPDATE reads the claimed rows straight from their
    heap pages, sorted by address (a TID scan), instead of descending the
    primary key index once per row in deadline order (bench_sweep's database:
    finding a batch's 5,000 rows took 40-47 ms by key, 5-8 ms by address).
    Should a row's address no longer be the visible version when
    the UPDATE runs (a change committed between the statement's snapshot and
    the lock), the UPDATE skips it and does not return it, and the next batch
    claims it again if it is still due.

    Elsewhere the primary key: SQLite's integer primary key is the rowid, its
    physical address already."""
    if connection.vendor == "postgresql":
        return RawSQL(f"{connection.ops.quote_name(Ticket._meta.db_table)}.ctid", ())
    return F("pk")


def _claimed_condition() -> RawSQL:
    """The UPDATE's condition that a row is one the claim returned."""
    quote = connection.ops.quote_name
    if connection.vendor == "postgresql":
        sql = f"ctid = ANY(ARRAY(SELECT {quote(_CLAIM_KEY)} FROM {_CLAIMED}))"
    else:
        sql = (f"{quote(Ticket._meta.db_table)}.{quote(Ticket._meta.pk.column)} IN "
               f"(SELECT {quote(_CLAIM_KEY)} FROM {_CLAIMED})")
    return RawSQL(sql, (), output_field=BooleanField())


def _claim_and_update(queryset, *, limit: int,
                      events: tuple[Transition, datetime] | None = None,
                      **values) -> tuple[list[SweptTicket], bool]:
    """Claim up to ``limit`` rows of ``queryset``, soonest deadline first, and
    write ``values`` to them, in one statement:

        WITH claimed AS MATERIALIZED
            (SELECT ctid ... ORDER BY deadline, id LIMIT n FOR NO KEY UPDATE SKIP LOCKED)
        UPDATE ticket SET ... WHERE <queryset> AND ctid = ANY(ARRAY(SELECT ... FROM claimed))
        RETURNING id, shop_id, deadline, handler_id

    (the row's address on PostgreSQL, its id elsewhere: ``_claim_key``).

    Returns the tickets it changed, in id order (``SweptTicket``), and whether
    their events were written too: on PostgreSQL, ``events`` (the transition
    and its time) become a data-modifying CTE of the same statement, reading
    the changed rows as RETURNING gives them, instead of a statement of their
    own that looks every ticket up again by id. (SQLite has no INSERT in a
    CTE: the caller writes them.)
    The outer WHERE repeats the claim's conditions, so a row is changed only if
    it still matches once locked; the caller writes events and notifications
    for exactly the returned rows.

    The sweep may run in several workers at once: on PostgreSQL SKIP LOCKED lets
    each take rows the others have not locked, instead of queueing behind them;
    NO KEY UPDATE, because the sweep never changes the key, so it need not block
    rows elsewhere that reference the ticket (events, notifications). SQLite has
    no row locks (Django leaves the locking clause out there): the IMMEDIATE
    transaction (settings) makes the whole batch one writer, so a second sweep
    waits, then claims only what is still due."""
    claim = queryset.order_by("deadline", "id")
    features = connection.features
    if features.has_select_for_update_skip_locked:
        claim = claim.select_for_update(skip_locked=True,
                                        no_key=features.has_select_for_no_key_update)
    # The claim is a MATERIALIZED CTE, not a plain IN (subquery): PostgreSQL may
    # run a subquery again for each outer row, and each run locks and returns
    # rows of its own, so more than ``limit`` would be changed.
    claim_sql, claim_params = claim.values(**{_CLAIM_KEY: _claim_key()})[:limit].query \
        .sql_with_params()
    update = queryset.filter(_claimed_condition()).query.chain(UpdateQuery)
    update.add_update_values(values)
    update_sql, update_params = update.get_compiler(connection=connection).as_sql()
    # The ORM's UPDATE has no RETURNING; the statement is the ORM's, the
    # clause is added here (PostgreSQL; SQLite since 3.35).
    fields = [Ticket._meta.get_field(name) for name in _RETURNED]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    cols = [field.get_col(Ticket._meta.db_table) for field in fields]
    converters = [connection.ops.get_db_converters(col) + col.get_db_converters(connection)
                  for col in cols]
    recorded = events is not None and connection.vendor == "postgresql"
    if recorded:
        events_sql, events_params = _events_sql(*events, source=_CHANGED)
        sql = (f"WITH {_CLAIMED} AS MATERIALIZED ({claim_sql}), "
               f"{_CHANGED} AS ({update_sql} RETURNING {columns}), "
               f"{_RECORDED} AS ({events_sql}) "
               f"SELECT {columns} FROM {_CHANGED}")
        params = (*claim_params, *update_params, *events_params)
    else:
        sql = f"WITH {_CLAIMED} AS MATERIALIZED ({claim_sql}) {update_sql} RETURNING {columns}"
        params = (*claim_params, *update_params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        returned = cursor.fetchall()
    # RETURNING comes in no particular order; in id order, the side rows (events,
    # notifications) are written in the same order on every run and database.
    returned.sort(key=itemgetter(_RETURNED.index("id")))
    # Only the columns that have converters (SQLite's datetime text), and only
    # their values that are set: none of these columns' converters changes a
    # NULL, and a timeout returns every deadline NULL.
    converting = [(index, col, col_converters)
                  for index, (col, col_converters) in enumerate(zip(cols, converters, strict=True))
                  if col_converters]
    if converting:
        for position, row in enumerate(returned):
            row = list(row)
            for index, col, col_converters in converting:
                if row[index] is not None:
                    row[index] = _converted(row[index], col, col_converters)
            returned[position] = row
    return list(map(SweptTicket._make, returned)), recorded


def _converted(value, expression, converters):
    """A returned value as the ORM would have read it (e.g. SQLite's datetime text)."""
    for converter in converters:
        value = converter(value, expression, connection)
    return value


def time_out_due(now: datetime, *, limit: int) -> int:
    """Time out up to ``limit`` tickets the time-out transition may start from at
    ``now`` (pending, deadline reached: the same moment ``reply`` starts
    refusing). Returns how many.

    A reply that committed before the rows were claimed has already moved its
    ticket out of pending, so it is not claimed; a reply waiting on a claimed row
    finds it closed when the batch commits and is refused."""
    transition = TRANSITIONS[Action.TIME_OUT]
    with _batch_transaction():
        # No deadline to set (time-out never enters pending), so no service type.
        tickets, recorded = _claim_and_update(Ticket.objects.due(now), limit=limit,
                                              events=(transition, now),
                                              **transition.moved_fields(now))
        if not tickets:
            return 0
        _insert_side_rows(transition.notification, transition.webhook, tickets, now,
                          events_for=None if recorded else transition)
    return len(tickets)


def _insert_side_rows(kind: str, webhook: str, tickets: list[SweptTicket], now: datetime, *,
                      events_for: Transition | None = None) -> None:
    """The per-ticket rows a sweep batch writes next to its UPDATE, each one
    set-based statement (or a few, on SQLite) whatever the batch size: the
    transition's events, when it records one, the notifications and the
    webhook deliveries (outbox rows, sent after the batch commits)."""
    if events_for is not None:
        _append_events(events_for, [ticket.pk for ticket in tickets], now)
    # A timeout's notification needs nothing from its event (no actor, no
    # text), so the events are not read back for it. The tickets' shop and
    # handler are as the UPDATE returned them.
    notify_many(tickets, kind, now=now, returned=True)
    outbox.record(webhook, tickets, now=now)


def _events_sql(transition: Transition, now: datetime, source: str) -> tuple[str, list]:
    """``INSERT INTO ticketevent ... SELECT ... FROM <source>``: one TicketEvent
    per ticket id of ``source`` (rows with the tickets' id as ``id``), as the
    single-ticket path writes it for a transition by the platform (no actor, no
    text), copied by the database. ``bulk_create`` builds and adapts every
    value in Python and was the largest cost of the sweep (about a third of its
    CPU time in bench_sweep); the ORM has no INSERT ... SELECT, hence the SQL."""
    # Every claimed ticket left the one status the batch claims from.
    (from_status,) = (status.value for status in transition.sources)
    quote = connection.ops.quote_name
    event = TicketEvent._meta
    columns = ", ".join(
        quote(event.get_field(name).column)
        for name in ("ticket", "actor", "kind", "from_status", "to_status", "text", "created_at")
    )
    # Through the field, so the time is stored exactly as the ORM stores it
    # (SQLite compares datetimes as text).
    created_at = event.get_field("created_at").get_db_prep_value(now, connection)
    pk = quote(Ticket._meta.pk.column)
    return (f"INSERT INTO {quote(event.db_table)} ({columns}) "
            f"SELECT {pk}, NULL, %s, %s, %s, '', %s FROM {source} ORDER BY {pk}",
            [transition.event.value, from_status, transition.target.value, created_at])


def _append_events(transition: Transition, ticket_ids: list[int], now: datetime) -> None:
    """The events of ``ticket_ids``, one statement (``_events_sql``)."""
    pk = connection.ops.quote_name(Ticket._meta.pk.column)
    ids_sql, ids_params = ids_subquery(ticket_ids)
    sql, params = _events_sql(
        transition, now,
        f"{connection.ops.quote_name(Ticket._meta.db_table)} WHERE {pk} IN ({ids_sql})")
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *ids_params])


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
    with _batch_transaction():
        # Compare-and-set: only rows still without a reminder for this deadline.
        tickets, _ = _claim_and_update(due_soon(now, window), limit=limit,
                                       due_soon_sent_for=F("deadline"))
        if not tickets:
            return 0
        _insert_side_rows(NotificationKind.DUE_SOON, WebhookEvent.DUE_SOON, tickets, now)
    return len(tickets)
