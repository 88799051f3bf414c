"""Celery adapters for the API: periodic work is "do it, return how much"."""

from celery import shared_task

from . import idempotency


@shared_task(name="api.tasks.prune_idempotency_records")
def prune_idempotency_records() -> int:
    return idempotency.prune_expired()
