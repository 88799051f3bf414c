"""Retries with backoff, timeouts, giving up, switching a failing endpoint off.
Time is moved with time-machine; the receiver is real."""

import random
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from webhooks import delivery, tasks
from webhooks.models import Delivery, DeliveryStatus, Endpoint
from webhooks.verify import verify_signature

pytestmark = pytest.mark.django_db


@pytest.fixture
def created(make_ticket, django_capture_on_commit_callbacks):
    """created() -> a new ticket whose deliveries were published on commit."""

    def make():
        with django_capture_on_commit_callbacks(execute=True):
            return make_ticket()

    return make


def _after_next_attempt(row: Delivery):
    return time_machine.travel(row.next_attempt_at + timedelta(seconds=1), tick=True)


def test_two_500s_then_200_is_delivered_on_the_third_attempt_with_the_same_bytes(
        receiver, endpoint_for, merchant, created):
    endpoint = endpoint_for(merchant)
    receiver.answers = [500, 500]
    ticket = created()
    row = Delivery.objects.get(ticket=ticket)
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.PENDING, 1, 500)
    assert row.response_body == "answered 500"
    # Not due yet: the retry pass leaves it alone.
    assert tasks.send_due_deliveries() == 0
    first_retry = row.next_attempt_at - timezone.now()
    assert timedelta(seconds=45) < first_retry < timedelta(seconds=75)

    with _after_next_attempt(row):
        assert tasks.send_due_deliveries() == 1
    row.refresh_from_db()
    assert (row.attempts, row.last_status_code) == (2, 500)
    # The backoff grows: about three times the first wait.
    assert row.next_attempt_at - timezone.now() > timedelta(minutes=2)

    with _after_next_attempt(row):
        tasks.send_due_deliveries()
        row.refresh_from_db()
        assert (row.status, row.attempts, row.last_status_code) == (
            DeliveryStatus.DELIVERED, 3, 200)
        assert row.next_attempt_at is None and row.duration_ms is not None
        for request in receiver.requests:
            assert verify_signature(endpoint.secret, request.body,
                                    request.headers["X-Desk-Signature"])
    assert len(receiver.requests) == 3
    assert len({r.body for r in receiver.requests}) == 1
    assert {r.headers["X-Desk-Delivery"] for r in receiver.requests} == {str(row.event_id)}
    endpoint.refresh_from_db()
    assert endpoint.consecutive_failures == 0 and endpoint.is_active


def test_a_receiver_that_hangs_times_out_and_is_retried(
        receiver, endpoint_for, merchant, created, settings):
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    endpoint_for(merchant)
    receiver.answers = [("hang", 5)]
    ticket = created()
    row = Delivery.objects.get(ticket=ticket)
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.PENDING, 1, "timeout")
    assert row.last_status_code is None and row.duration_ms < 2000
    with _after_next_attempt(row):
        tasks.send_due_deliveries()
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)


def test_backoff_reaches_about_24_hours_in_eight_attempts():
    rng = random.Random(7)
    waits = [delivery.retry_delay(n, rng=rng) for n in range(1, delivery.MAX_ATTEMPTS)]
    assert waits == sorted(waits)
    longest = sum((delivery.retry_delay(n, rng=_Fixed(1.2))
                   for n in range(1, delivery.MAX_ATTEMPTS)), timedelta())
    assert timedelta(hours=12) < longest <= delivery.GIVE_UP_AFTER


class _Fixed(random.Random):
    def __init__(self, value):
        super().__init__()
        self.value = value

    def uniform(self, a, b):
        return self.value


def test_after_the_last_attempt_the_delivery_is_given_up(
        receiver, endpoint_for, merchant, created):
    endpoint_for(merchant)
    receiver.answers = [503] * delivery.MAX_ATTEMPTS
    row = Delivery.objects.get(ticket=created())
    for _ in range(delivery.MAX_ATTEMPTS - 1):
        with _after_next_attempt(row):
            tasks.send_due_deliveries()
        row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.FAILED, delivery.MAX_ATTEMPTS)
    assert row.next_attempt_at is None
    assert len(receiver.requests) == delivery.MAX_ATTEMPTS


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
        receiver, endpoint_for, merchant, created):
    endpoint_for(merchant)
    receiver.answers = [302]
    row = Delivery.objects.get(ticket=created())
    assert (row.status, row.last_status_code) == (DeliveryStatus.PENDING, 302)
    assert len(receiver.requests) == 1


def test_an_endpoint_failing_in_a_row_is_disabled_and_its_owner_told(
        receiver, endpoint_for, merchant, created, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = endpoint_for(merchant)
    receiver.answers = [500] * 10
    tickets = [created() for _ in range(3)]
    endpoint.refresh_from_db()
    assert not endpoint.is_active and endpoint.disabled_at is not None
    assert endpoint.consecutive_failures == 3
    notice = Notification.objects.get(recipient=merchant,
                                      kind=NotificationKind.WEBHOOK_DISABLED)
    assert notice.ticket_id == tickets[-1].pk
    assert endpoint.url in notice.text and "3" in notice.text
    # Switched off: new events write nothing for it, pending retries are given up.
    created()
    assert Delivery.objects.filter(endpoint=endpoint).count() == 3
    pending = Delivery.objects.get(ticket=tickets[0])
    with _after_next_attempt(pending):
        tasks.send_due_deliveries()
    pending.refresh_from_db()
    assert (pending.status, pending.last_error) == (DeliveryStatus.FAILED, "endpoint disabled")
    assert len(receiver.requests) == 3


def test_a_success_resets_the_failure_count(receiver, endpoint_for, merchant, created,
                                            settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    endpoint = endpoint_for(merchant)
    receiver.answers = [500, 500, 200, 500, 500]
    for _ in range(5):
        created()
    endpoint.refresh_from_db()
    assert endpoint.is_active and endpoint.consecutive_failures == 2
    assert not Notification.objects.filter(kind=NotificationKind.WEBHOOK_DISABLED).exists()


def test_a_failing_test_event_is_not_retried_and_does_not_count(
        receiver, endpoint_for, merchant, settings, django_capture_on_commit_callbacks):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1
    endpoint = endpoint_for(merchant)
    receiver.answers = [500]
    with django_capture_on_commit_callbacks(execute=True):
        row = delivery.send_test_event(endpoint)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.last_status_code) == (DeliveryStatus.FAILED, 1, 500)
    assert Endpoint.objects.get(pk=endpoint.pk).is_active


def test_redeliver_sends_the_same_event_again_as_a_new_log_row(
        receiver, endpoint_for, merchant, created, django_capture_on_commit_callbacks):
    endpoint_for(merchant)
    row = Delivery.objects.get(ticket=created())
    with django_capture_on_commit_callbacks(execute=True):
        again = delivery.redeliver(row)
    again.refresh_from_db()
    assert again.pk != row.pk and again.status == DeliveryStatus.DELIVERED
    first, second = receiver.requests
    assert first.body == second.body
    assert first.headers["X-Desk-Delivery"] == second.headers["X-Desk-Delivery"]


def test_a_lapsed_lease_is_sent_again_by_the_retry_pass(receiver, endpoint_for, merchant,
                                                      make_ticket):
    endpoint_for(merchant)
    ticket = make_ticket()  # not published: as if the worker died after claiming
    row = Delivery.objects.get(ticket=ticket)
    claimed = delivery.claim(row.pk, now=timezone.now())
    assert claimed is not None
    # Leased: neither a second claim nor the retry pass takes it.
    assert delivery.claim(row.pk, now=timezone.now()) is None
    assert delivery.due_ids(now=timezone.now(), limit=10) == []
    with time_machine.travel(timezone.now() + delivery.lease_length() + timedelta(seconds=1),
                             tick=True):
        assert tasks.send_due_deliveries() == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.DELIVERED, 2)
    # The dead worker's late write is refused: its attempt number is stale.
    delivery._record(claimed, delivery.Outcome(False, error="late"), now=timezone.now())
    row.refresh_from_db()
    assert row.status == DeliveryStatus.DELIVERED and row.last_error == ""


def test_old_log_rows_are_pruned_and_pending_ones_kept(
        receiver, endpoint_for, merchant, created, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 14
    endpoint_for(merchant)
    receiver.answers = [200, 500]
    done, retrying = Delivery.objects.get(ticket=created()), Delivery.objects.get(ticket=created())
    fresh = Delivery.objects.get(ticket=created())
    Delivery.objects.filter(pk__in=[done.pk, retrying.pk]).update(
        created_at=timezone.now() - timedelta(days=15))
    assert delivery.prune() == 1
    assert set(Delivery.objects.values_list("pk", flat=True)) == {retrying.pk, fresh.pk}
