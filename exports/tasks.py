"""Celery adapters for exports: each takes ids (or nothing) and calls one function."""

from celery import shared_task

from . import builder, reaper, retention


@shared_task(acks_late=True)
def build_export(job_id: int) -> str | None:
    job = builder.run_export(job_id)
    return job.status if job else None


@shared_task
def expire_old_exports() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): expire batches until none is left."""
    total = 0
    while True:
        expired = retention.expire_old_exports()
        total += expired
        if expired < retention.BATCH_SIZE:
            return total


@shared_task
def reap_stale_exports() -> int:
    """Periodic (CELERY_BEAT_SCHEDULE): re-enqueue or fail stale jobs, batch by batch."""
    total = 0
    while True:
        handled = reaper.reap_stale_exports()
        total += handled
        if handled < reaper.BATCH_SIZE:
            return total
