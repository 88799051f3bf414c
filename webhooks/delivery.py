"""Sending deliveries: claim, render, sign, send, record the outcome.

A row is claimed with ``SELECT ... FOR UPDATE SKIP LOCKED`` (two workers never
take the same row; SQLite serialises the claim instead) and leased: its
``leased_until`` is set past the longest a send can take, and committed before
the request goes out, so no row lock is held during network I/O. A worker that
dies mid-send never writes back; once the lease lapses the periodic retry pass
(``send_due``) sends the row again. Outcomes are written by compare-and-set on
``(id, attempts)``: a worker whose lease lapsed and was taken over cannot
overwrite the newer attempt.

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
from django.db.models import F, Q
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


def lease_length() -> timedelta:
    """Longer than any one send can take: connect, TLS and the answer each
    bounded by the timeout, plus room for the bookkeeping around them."""
    return timedelta(seconds=4 * settings.WEBHOOK_TIMEOUT_SECONDS + 10)


def retry_delay(attempts: int, *, rng: random.Random | None = None) -> timedelta:
    """How long after failed attempt number ``attempts`` (1, 2, ...) the next one is due."""
    jitter = (rng or random).uniform(0.8, 1.2)
    return FIRST_RETRY * (BACKOFF_FACTOR ** (attempts - 1)) * jitter


def _due(now: datetime):
    return Delivery.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        status=DeliveryStatus.PENDING, next_attempt_at__lte=now)


def claim(delivery_id: int, *, now: datetime) -> Delivery | None:
    """Take the delivery for one attempt, or None when it is not due, already
    done, or leased by another worker."""
    with transaction.atomic():
        rows = _due(now).filter(pk=delivery_id).select_related("endpoint")
        if connection.features.has_select_for_update_skip_locked:
            rows = rows.select_for_update(skip_locked=True, of=("self",))
        delivery = rows.first()
        if delivery is None:
            return None
        delivery.attempts += 1
        delivery.leased_until = now + lease_length()
        delivery.save(update_fields=["attempts", "leased_until"])
    return delivery


@dataclass(frozen=True)
class Outcome:
    ok: bool
    status_code: int | None = None
    error: str = ""
    response_body: str = ""
    duration_ms: int | None = None


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
        return Outcome(False, error="timeout", duration_ms=_ms_since(started))
    except httpx.HTTPError as error:
        return Outcome(False, error=f"{type(error).__name__}: {error}"[:300],
                       duration_ms=_ms_since(started))
    ok = 200 <= response.status_code < 300
    return Outcome(ok, status_code=response.status_code,
                   error="" if ok else f"HTTP {response.status_code}",
                   response_body=response.text[:BODY_LOG_CHARS],
                   duration_ms=_ms_since(started))


def _ms_since(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


def attempt(delivery: Delivery) -> Outcome | None:
    """One attempt of a claimed delivery, its outcome recorded. None when the
    row was given up without sending (endpoint off, ticket out of sight) or
    taken over meanwhile."""
    endpoint = delivery.endpoint
    if not endpoint.is_active:
        _give_up(delivery, "endpoint disabled")
        return None
    if not delivery.payload:
        try:
            delivery.payload = payloads.render(delivery)
        except payloads.NotVisible:
            _give_up(delivery, "ticket not visible to the endpoint's owner")
            return None
        # Kept, so every later attempt sends the same bytes.
        Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
            payload=delivery.payload)
    outcome = _post(delivery, delivery.payload.encode())
    _record(delivery, outcome, now=timezone.now())
    return outcome


def _give_up(delivery: Delivery, reason: str) -> None:
    Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts).update(
        status=DeliveryStatus.FAILED, next_attempt_at=None, leased_until=None,
        last_error=reason, finished_at=timezone.now())


def _record(delivery: Delivery, outcome: Outcome, *, now: datetime) -> None:
    fields = {"last_status_code": outcome.status_code, "last_error": outcome.error,
              "response_body": outcome.response_body, "duration_ms": outcome.duration_ms,
              "leased_until": None}
    retry_at = None if outcome.ok else now + retry_delay(delivery.attempts)
    if outcome.ok:
        fields.update(status=DeliveryStatus.DELIVERED, next_attempt_at=None, finished_at=now)
    elif (delivery.type == WebhookEvent.PING or delivery.attempts >= MAX_ATTEMPTS
          or retry_at > delivery.created_at + GIVE_UP_AFTER):
        fields.update(status=DeliveryStatus.FAILED, next_attempt_at=None, finished_at=now)
    else:
        fields.update(next_attempt_at=retry_at)
    with transaction.atomic():
        written = Delivery.objects.filter(pk=delivery.pk, attempts=delivery.attempts,
                                          status=DeliveryStatus.PENDING).update(**fields)
        if not written or delivery.type == WebhookEvent.PING:
            return
        endpoints = Endpoint.objects.filter(pk=delivery.endpoint_id)
        if outcome.ok:
            endpoints.exclude(consecutive_failures=0).update(consecutive_failures=0)
            return
        endpoints.update(consecutive_failures=F("consecutive_failures") + 1)
        _disable_if_failing(delivery, now=now)


def _disable_if_failing(delivery: Delivery, *, now: datetime) -> None:
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


def send(delivery_id: int, *, now: datetime | None = None) -> Outcome | None:
    """Claim and attempt one delivery (the Celery task's body). None when it
    was not this call's to send."""
    delivery = claim(delivery_id, now=now or timezone.now())
    if delivery is None:
        return None
    return attempt(delivery)


def due_ids(*, now: datetime, limit: int) -> list[int]:
    """Deliveries due now: retries whose time has come, rows never sent (the
    broker was down at commit), and leases of workers that died mid-send."""
    return list(_due(now).order_by("next_attempt_at", "id")
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
    statement. Returns how many were deleted."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.WEBHOOK_LOG_RETENTION_DAYS)
    old = Delivery.objects.filter(created_at__lt=cutoff).exclude(status=DeliveryStatus.PENDING)
    deleted = 0
    while True:
        ids = list(old.order_by("created_at").values_list("pk", flat=True)[:batch_size])
        if not ids:
            return deleted
        count, _ = Delivery.objects.filter(pk__in=ids).delete()
        deleted += count
