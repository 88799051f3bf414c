"""Celery tasks of the ticket domain: thin adapters around domain functions."""

from celery import shared_task
from django.conf import settings

from . import sweep

# The sweep stops itself after its time budget; the limits only catch a sweep
# stuck on the database. A soft limit inside a batch rolls that batch back.
SWEEP_SOFT_TIME_LIMIT = settings.TICKET_SWEEP_TIME_BUDGET_SECONDS + 30
SWEEP_TIME_LIMIT = settings.TICKET_SWEEP_TIME_BUDGET_SECONDS + 60


@shared_task(name="tickets.tasks.sweep_deadlines", ignore_result=True,
             soft_time_limit=SWEEP_SOFT_TIME_LIMIT, time_limit=SWEEP_TIME_LIMIT)
def sweep_deadlines() -> dict:
    """Run by beat every TICKET_SWEEP_INTERVAL_SECONDS; safe to run in several
    workers at once and to run again after a worker died mid-way."""
    result = sweep.sweep_deadlines()
    return {"timed_out": result.timed_out, "warned": result.warned,
            "finished": result.finished}
