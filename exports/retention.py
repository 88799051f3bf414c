"""Retention: export files live ``EXPORT_RETENTION_DAYS``; then the
file is deleted and its job marked ``expired`` (kept, so the list still says what
happened to it)."""

from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.utils import timezone

from . import jobs
from .models import ExportJob, ExportStatus

BATCH_SIZE = 500


def expire_old_exports(*, now: datetime | None = None, batch_size: int | None = None) -> int:
    """Expire one batch of done jobs finished before the retention cut-off.
    Returns how many were expired; the periodic task runs until a batch is short."""
    now = now or timezone.now()
    batch_size = batch_size or BATCH_SIZE
    cutoff = now - timedelta(days=settings.EXPORT_RETENTION_DAYS)
    old = list(
        ExportJob.objects.filter(status=ExportStatus.DONE, finished_at__lt=cutoff)
        .order_by("finished_at", "id").values_list("pk", "file")[:batch_size]
    )
    expired = 0
    for pk, name in old:
        # Compare-and-set first: if two sweeps race, only one deletes the file.
        if jobs.expire(pk):
            if name:
                default_storage.delete(name)
            expired += 1
    return expired
