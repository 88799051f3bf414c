"""Sending deliveries: claim, render, sign, send, record the outcome.

A worker takes a chunk of rows at a time (``webhooks.tasks.SEND_CHUNK``), and
its database work is per chunk, not per delivery: one transaction claims the
rows with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two workers never take the
same row; SQLite serialises the claim instead), leases them (``leased_until``
past the longest that sending all of them can take) and keeps the bodies of
first attempts; it commits before any request goes out, so no row lock is
held during network I/O. The rows are then sent one after another and their
outcomes written together. A worker that dies mid-chunk never writes back;
once the lease lapses the periodic retry pass (``due_ids``) sends the rows
again. Outcomes are written by compare-and-set on ``(id, attempts)``: a
worker whose lease lapsed and was taken over cannot overwrite the newer
attempt.

Retries: a non-2xx answer, a timeout or a connection error is tried again after
1, 3, 9, ... 729 minutes (times a random 0.8-1.2, so receivers that came back
are not hit by every sender at once), at most ``MAX_ATTEMPTS`` attempts, never
later than ``GIVE_UP_AFTER`` after the event. Redirects count as failures (they
are not followed). After ``WEBHOOK_DISABLE_AFTER_FAILURES`` failed attempts in
a row the endpoint is switched off and its owner notified. Test events (ping)
are tried once and never count towards switching an endpoint off.
"""

from __future__ import annotations

import logging
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.utils import timezone

from notifications.services import notify_user
from tickets.transitions import NotificationKind

from . import payloads
from .client import shared_client
from .models import Delivery, DeliveryStatus, Endpoint, WebhookEvent
from .signing import signature

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
GIVE_UP_AFTER = timedelta(hours=24)
FIRST_RETRY = timedelta(minutes=1)
BACKOFF_FACTOR = 3
# What the log keeps of a receiver's answer, and shows of what was sent.
BODY_LOG_CHARS = 2000
USER_AGENT = "ServiceDesk-Webhooks/1"


def lease_length(deliveries: int = 1) -> timedelta:
    """Longer than sending ``deliveries`` one after another can take: connect,
    TLS and the answer each bounded by the timeout, plus room for the
    bookkeeping around them."""
    return deliveries * timedelta(seconds=4 * settings.WEBHOOK_TIMEOUT_SECONDS + 10)


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long after failed attempt number ``attempts`` (1, 2, ...) the next one is due."""
    jitter = (rng or random).uniform(0.8, 1.2)
    return FIRST_RETRY * (BACKOFF_FACTOR ** (attempts - 1)) * jitter


def _due(now: datetime):
    return Delivery.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now)


def _column(name: str) -> str:
    return connection.ops.quote_name(Delivery._meta.get_field(name).column)


def _db_value(name: str, value):
    return Delivery._meta.get_field(name).get_db_prep_value(value, connection)


def _update_each(assignments: str, rows: list[tuple]) -> None:
    """``UPDATE ... SET <assignments> WHERE id = %s`` once per row of
    parameters (the id last), as one ``executemany``. The rows of a chunk
    each get their own values (bodies, durations, times); the ORM would
    write that as a CASE per column, whose building cost more than a send.
    ``assignments`` name columns as they are in the table."""
    sql = (f"UPDATE {connection.ops.quote_name(Delivery._meta.db_table)} SET {assignments} "
           f"WHERE {_column('id')} = %s")
    with connection.cursor() as cursor:
        cursor.executemany(sql, rows)


def claim(delivery_id: int, *, now: datetime) -> Delivery | None:
    """Take the delivery for one attempt, or None when it is not due, already
    done, leased by another worker, or given up (see ``claim_all``)."""
    claimed = claim_all([delivery_id], now=now)
    return claimed[0] if claimed else None


def claim_all(delivery_ids: list[int], *, now: datetime) -> list[Delivery]:
    """Take those of the deliveries that are due for one attempt each, in one
    transaction: the rows are locked (skipping rows another worker holds),
    leased for as long as sending all of them may take, and a first attempt's
    body is rendered and kept, so every later attempt sends the same bytes.
    Rows whose endpoint was switched off, or whose ticket the owner may no
    longer see, are given up here. Returns the rows to send, in the order
    asked for."""
    with transaction.atomic():
        rows = _due(now).filter(pk__in=delivery_ids).select_related("endpoint")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        rows = list(rows)
        if not rows:
            return []
        first = [d for d in rows if not d.payload and d.endpoint.is_active]
        bodies = payloads.render_all(first) if first else {}
        given_up = {d.pk: "endpoint disabled" for d in rows if not d.endpoint.is_active}
        given_up.update((pk, "ticket not visible to the endpoint's owner")
                        for pk, body in bodies.items() if body is None)
        bodies = {pk: body for pk, body in bodies.items() if body is not None}
        attempts, payload = _column("attempts"), _column("payload")
        leased_until = _db_value("leased_until", now + lease_length(len(rows)))
        _update_each(f"{attempts} = {attempts} + 1, {_column('leased_until')} = %s, "
                     f"{payload} = COALESCE(%s, {payload})",
                     [(leased_until, bodies.get(d.pk), d.pk) for d in rows])
        if given_up:
            _update_each(", ".join(f"{_column(name)} = %s" for name in (
                "status", "next_attempt_at", "leased_until", "last_error", "finished_at")),
                [(DeliveryStatus.FAILED.value, None, None, reason,
                  _db_value("finished_at", timezone.now()), pk)
                 for pk, reason in given_up.items()])
    order = {pk: index for index, pk in enumerate(delivery_ids)}
    claimed = []
    for delivery in sorted(rows, key=lambda d: order[d.pk]):
        delivery.attempts += 1
        if delivery.pk in given_up:
            continue
        delivery.payload = bodies.get(delivery.pk, delivery.payload)
        claimed.append(delivery)
    return claimed


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    response_body: str = ""
    duration_ms: int | None = None
    # When the answer (or the failure) came.
    finished_at: datetime | None = None


def _post(delivery: Delivery, body: bytes) -> Outcome:
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Desk-Event": delivery.type,
        "X-Desk-Delivery": str(delivery.event_id),
        "X-Desk-Signature": signature(delivery.endpoint.secret, body, int(time.time())),
    }
    started = time.perf_counter()
    try:
        response = shared_client().post(delivery.endpoint.url, content=body, headers=headers,
                                        timeout=settings.WEBHOOK_TIMEOUT_SECONDS)
    except httpx.TimeoutException:
        return Outcome(False, error="timeout", duration_ms=_ms_since(started),
                       finished_at=timezone.now())
    except httpx.HTTPError as error:
        return Outcome(False, error=f"{type(error).__name__}: {error}"[:300],
                       duration_ms=_ms_since(started), finished_at=timezone.now())
    ok = 200 <= response.status_code < 300
    return Outcome(ok, status_code=response.status_code,
                   error="" if ok else f"HTTP {response.status_code}",
                   response_body=response.text[:BODY_LOG_CHARS],
                   duration_ms=_ms_since(started), finished_at=timezone.now())


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def send_all(delivery_ids: list[int], *, now: datetime | None = None) -> dict[int, Outcome]:
    """Claim the deliveries and attempt each one, one after another, over the
    worker's one client (its connections stay open between deliveries).
    Returns the outcome of each delivery that was this call's to send.

    Outcomes are written a chunk at a time (a successful send is marked
    delivered once its 2xx came; a worker dying before that write sends it
    again after the lease: at least once). A failure is written at once,
    with what came before it, so failures in a row are counted in order and
    an endpoint switched off by one is not sent the rest of the chunk."""
    claimed = claim_all(delivery_ids, now=now or timezone.now())
    outcomes: dict[int, Outcome] = {}
    unwritten: list[tuple[Delivery, Outcome]] = []
    switched_off: set[int] = set()
    for delivery in claimed:
        if delivery.endpoint_id in switched_off:
            _give_up(delivery, "endpoint disabled")
            continue
        outcome = outcomes[delivery.pk] = _post(delivery, delivery.payload.encode())
        unwritten.append((delivery, outcome))
        if not outcome.ok:
            switched_off |= _record_all(unwritten, now=outcome.finished_at)
            unwritten = []
    if unwritten:
        _record_all(unwritten, now=timezone.now())
    return outcomes


def send(delivery_id: int, *, now: datetime | None = None) -> Outcome | None:
    """Claim and attempt one delivery. None when it was not this call's to send."""
    return send_all([delivery_id], now=now).get(delivery_id)


def _give_up(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, leased_until=None,
        last_error=reason, finished_at=timezone.now())


def _record(delivery: Delivery, outcome: Outcome, *, now: datetime) -> None:
    _record_all([(delivery, outcome)], now=now)


# What an attempt's outcome writes, in this order (``_outcome_fields``).
OUTCOME_FIELDS = ("status", "next_attempt_at", "finished_at", "last_status_code", "last_error",
                  "response_body", "duration_ms")


def _outcome_fields(delivery: Delivery, outcome: Outcome, now: datetime) -> dict:
    """The row's new values after an attempt: delivered, failed for good, or
    due again after the backoff."""
    finished_at = outcome.finished_at or now
    retry_at = None if outcome.ok else finished_at + retry_delay(delivery.attempts)
    if outcome.ok:
        status, next_attempt_at = DeliveryStatus.DELIVERED, None
    elif (delivery.type == WebhookEvent.PING or delivery.attempts >= MAX_ATTEMPTS
          or retry_at > delivery.created_at + GIVE_UP_AFTER):
        status, next_attempt_at = DeliveryStatus.FAILED, None
    else:
        status, next_attempt_at, finished_at = DeliveryStatus.PENDING, retry_at, None
    return {"status": status.value, "next_attempt_at": next_attempt_at,
            "finished_at": finished_at, "last_status_code": outcome.status_code,
            "last_error": outcome.error, "response_body": outcome.response_body,
            "duration_ms": outcome.duration_ms}


def _record_all(sent: list[tuple[Delivery, Outcome]], *, now: datetime) -> set[int]:
    """Write the outcomes of attempts, in the order they were made, in one
    transaction: each row only if it is still the attempt that was made (a
    worker whose lease lapsed and was taken over cannot overwrite the newer
    attempt). Then count the endpoints' failures in a row. Returns the
    endpoints this switched off."""
    with transaction.atomic():
        current = dict(Delivery.objects.select_for_update()
                       .filter(pk__in=[d.pk for d, _ in sent], status=DeliveryStatus.PENDING)
                       .values_list("pk", "attempts"))
        written = [(d, o) for d, o in sent if current.get(d.pk) == d.attempts]
        if not written:
            return set()
        _update_each(
            ", ".join(f"{_column(name)} = %s" for name in OUTCOME_FIELDS)
            + f", {_column('leased_until')} = NULL",
            [(*(_db_value(name, value) for name, value in _outcome_fields(d, o, now).items()),
              d.pk) for d, o in written])
        return _count_failures([(d, o) for d, o in written if d.type != WebhookEvent.PING],
                               now=now)


def _count_failures(written: list[tuple[Delivery, Outcome]], *, now: datetime) -> set[int]:
    """Per endpoint: a success starts its failures in a row afresh, each failure
    adds one. Returns the endpoints switched off."""
    tally: dict[int, tuple[bool, int, Delivery]] = {}
    for delivery, outcome in written:
        restarted, failures, _last = tally.get(delivery.endpoint_id, (False, 0, delivery))
        tally[delivery.endpoint_id] = (True, 0, delivery) if outcome.ok else \
            (restarted, failures + 1, delivery)
    switched_off = set()
    for endpoint_id, (restarted, failures, last) in tally.items():
        endpoints = Endpoint.objects.filter(pk=endpoint_id)
        if restarted:
            endpoints.exclude(consecutive_failures=failures).update(
                consecutive_failures=failures)
        elif failures:
            endpoints.update(consecutive_failures=F("consecutive_failures") + failures)
        if failures and _disable_if_failing(last, now=now):
            switched_off.add(endpoint_id)
    return switched_off


def _disable_if_failing(delivery: Delivery, *, now: datetime) -> bool:
    """Switch the endpoint off once its failures in a row reach the limit, and
    tell its owner, once (compare-and-set on is_active)."""
    switched = Endpoint.objects.filter(
        pk=delivery.endpoint_id, is_active=True,
        consecutive_failures__gte=settings.WEBHOOK_DISABLE_AFTER_FAILURES,
    ).update(is_active=False, disabled_at=now)
    if switched:
        endpoint = delivery.endpoint
        notify_user(endpoint.owner_id, delivery.ticket_id, NotificationKind.WEBHOOK_DISABLED,
                    params={"url": endpoint.url,
                            "failures": str(settings.WEBHOOK_DISABLE_AFTER_FAILURES)},
                    now=now)
        logger.warning("webhook endpoint %s disabled after %s failed attempts in a row",
                       endpoint.pk, settings.WEBHOOK_DISABLE_AFTER_FAILURES)
    return bool(switched)


def _endpoint_gone():
    """Rows whose endpoint no longer exists. The database does not refuse them
    (``Delivery.endpoint`` has no constraint there): an endpoint deleted while a
    transaction was writing deliveries for it leaves that transaction's rows."""
    return ~Exists(Endpoint.objects.filter(pk=OuterRef("endpoint_id")))


def due_ids(*, now: datetime, limit: int) -> list[int]:
    """Deliveries due now: retries whose time has come, rows never sent (the
    broker was down at commit), and leases of workers that died mid-send.
    Not rows whose endpoint is gone: nobody can send them, and at the head of
    the queue they would hold back the rest (``prune`` deletes them)."""
    return list(_due(now).exclude(_endpoint_gone()).order_by("next_attempt_at", "id")
                .values_list("pk", flat=True)[:limit])


def redeliver(delivery: Delivery, *, now: datetime | None = None) -> Delivery:
    """Send an event again, as a new log row with the same event id and body
    (a receiver that already has it dedupes by X-Desk-Delivery)."""
    now = now or timezone.now()
    return _new_row(delivery.endpoint, type=delivery.type, event_id=delivery.event_id,
                    ticket_id=delivery.ticket_id, payload=delivery.payload, now=now)


def send_test_event(endpoint: Endpoint, *, now: datetime | None = None) -> Delivery:
    """A ping to ``endpoint`` (even a disabled one is not sent: it is given up)."""
    now = now or timezone.now()
    return _new_row(endpoint, type=WebhookEvent.PING, event_id=uuid.uuid4(), ticket_id=None,
                    payload="", now=now)


def _new_row(endpoint: Endpoint, *, now: datetime, **fields) -> Delivery:
    from .outbox import publish

    with transaction.atomic():
        delivery = Delivery.objects.create(endpoint=endpoint, next_attempt_at=now,
                                           created_at=now, **fields)
        transaction.on_commit(lambda: publish([delivery.pk]))
    return delivery


def prune(*, now: datetime | None = None, batch_size: int = 5000) -> int:
    """Delete log rows older than WEBHOOK_LOG_RETENTION_DAYS that are finished
    (a row still being retried is younger than a day anyway), a batch per
    statement, an endpoint at a time: its log index (endpoint, created_at)
    finds them, so no index of their own slows down every insert. Also rows
    left by a deleted endpoint (``_endpoint_gone``): such a row is never sent,
    so it stays pending and due, and the retry pass's index finds it.
    Returns how many were deleted."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    deleted = _delete_in_batches(
        _due(now).filter(_endpoint_gone()).order_by(), batch_size)
    for endpoint_id in Endpoint.objects.order_by("pk").values_list("pk", flat=True):
        deleted += _delete_in_batches(
            Delivery.objects.filter(endpoint_id=endpoint_id, created_at__lt=cutoff)
            .exclude(status=DeliveryStatus.PENDING).order_by(), batch_size)
    return deleted


def _delete_in_batches(rows, batch_size: int) -> int:
    deleted = 0
    while True:
        ids = list(rows.values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = Delivery.objects.filter(pk__in=ids).delete()
        deleted += count
