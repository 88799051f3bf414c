"""The reaper: no export job stays ``queued`` or ``running`` forever.

A worker killed mid-export (SIGKILL, OOM, a lost machine) leaves its job
``running`` at its last progress; Redis would redeliver the message only after
the visibility timeout (an hour), and a lost message never. So beat runs this
every ``EXPORT_REAPER_INTERVAL_SECONDS``: a job whose heartbeat is older than
``EXPORT_STALE_AFTER_SECONDS`` is handed to the workers once more (the new run
starts over), and failed with a readable message when that was its last attempt.
"""

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from . import jobs
from .models import ExportJob, ExportStatus
from .requests import send_to_workers

logger = logging.getLogger(__name__)

BATCH_SIZE = 100
# Stored in the requester's language when the job is failed, shown on /exports/.
INTERRUPTED = gettext_noop(
    "The export was interrupted and could not be finished. Please start it again.")
NOT_STARTED = gettext_noop("The export could not be started in time. Please start it again.")


def reap_stale_exports(*, now: datetime | None = None, batch_size: int = BATCH_SIZE) -> int:
    """Re-enqueue or fail one batch of stale jobs. Returns how many were handled;
    the periodic task runs until a batch is short. Safe in two workers at once:
    each job moves by compare-and-set on its still-stale heartbeat, so only one
    reaper (and never over a run that has just beaten) acts on it."""
    now = now or timezone.now()
    stale_before = now - timedelta(seconds=settings.EXPORT_STALE_AFTER_SECONDS)
    stale = list(
        ExportJob.objects.filter(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING],
                                 heartbeat_at__lt=stale_before)
        .order_by("heartbeat_at", "id")
        .values_list("pk", "status", "attempts", "language")[:batch_size]
    )
    handled = 0
    for pk, status, attempt, language in stale:
        if attempt < jobs.MAX_ATTEMPTS:
            if jobs.requeue(pk, status=status, attempt=attempt, stale_before=stale_before,
                            now=now):
                handled += 1
                logger.warning("export job %s was %s without a heartbeat since before %s; "
                               "re-enqueued (attempt %s)", pk, status, stale_before.isoformat(),
                               attempt + 1)
                # A refused publish leaves it queued; the next reaper run after the
                # stale limit fails it, as its attempts are then used up.
                send_to_workers(pk)
            continue
        with translation.override(language):
            message = _(INTERRUPTED if status == ExportStatus.RUNNING else NOT_STARTED)
        if jobs.fail_stale(pk, status=status, attempt=attempt, stale_before=stale_before,
                           message=message, now=now):
            handled += 1
            logger.warning("export job %s was %s without a heartbeat after %s attempts; "
                           "failed", pk, status, attempt)
    return handled
