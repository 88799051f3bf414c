"""Celery tasks of the webhooks: thin adapters around ``webhooks.delivery``."""

from celery import shared_task
from django.utils import timezone

from . import delivery

# The retry pass hands out at most this many deliveries per run (it runs every
# WEBHOOK_RETRY_INTERVAL_SECONDS; the rest wait for the next run).
DUE_BATCH = 1000


@shared_task(name="webhooks.tasks.send_delivery", ignore_result=True)
def send_delivery(delivery_id: int) -> None:
    """One attempt of one delivery; does nothing if it is not due (already
    sent, or leased by a worker that is sending it)."""
    delivery.send(delivery_id)


@shared_task(name="webhooks.tasks.send_deliveries", ignore_result=True)
def send_deliveries(delivery_ids: list[int]) -> None:
    """A large commit's deliveries (a sweep batch): one message per delivery,
    sent from a worker rather than from the committing transaction."""
    for delivery_id in delivery_ids:
        send_delivery.delay(delivery_id)


@shared_task(name="webhooks.tasks.send_due_deliveries", ignore_result=True)
def send_due_deliveries() -> int:
    """Run by beat: retries whose time has come, deliveries never published,
    and leases of dead workers. Returns how many were handed out."""
    ids = delivery.due_ids(now=timezone.now(), limit=DUE_BATCH)
    for delivery_id in ids:
        send_delivery.delay(delivery_id)
    return len(ids)


@shared_task(name="webhooks.tasks.prune_deliveries", ignore_result=True)
def prune_deliveries() -> int:
    return delivery.prune()
