"""Celery tasks of the webhooks: thin adapters around ``webhooks.delivery``."""

from celery import shared_task
from django.utils import timezone

from . import delivery

# The retry pass hands out at most this many deliveries per run (it runs every
# WEBHOOK_RETRY_INTERVAL_SECONDS; the rest wait for the next run).
DUE_BATCH = 1000


# A message carries at most this many deliveries, sent one after another by the
# worker that takes it: with a message per delivery, the broker round trips and
# task start-up cost more than the delivery itself. Not more than this, so one
# slow receiver (each send is bounded by WEBHOOK_TIMEOUT_SECONDS) holds back few
# others, and the workers share a large commit's deliveries.
SEND_CHUNK = 10


@shared_task(name="webhooks.tasks.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> None:
    """Up to SEND_CHUNK deliveries: one attempt each, here, claimed and
    recorded together (a delivery that is not due any more, already sent or
    leased by a worker sending it, is skipped). More: split into messages of
    SEND_CHUNK for the workers, so a sweep batch's commit publishes a few
    messages, not thousands."""
    if len(delivery_ids) > SEND_CHUNK:
        for start in range(0, len(delivery_ids), SEND_CHUNK):
            send_deliveries.delay(delivery_ids[start:start + SEND_CHUNK])
        return
    delivery.send_all(delivery_ids)


@shared_task(name="webhooks.tasks.send_due_deliveries", ignore_result=True)
def send_due_deliveries() -> int:
    """Run by beat: retries whose time has come, deliveries never published,
    and leases of dead workers. Returns how many were handed out."""
    ids = delivery.due_ids(now=timezone.now(), limit=DUE_BATCH)
    for start in range(0, len(ids), SEND_CHUNK):
        send_deliveries.delay(ids[start:start + SEND_CHUNK])
    return len(ids)


@shared_task(name="webhooks.tasks.prune_deliveries", ignore_result=True)
def prune_deliveries() -> int:
    return delivery.prune()
