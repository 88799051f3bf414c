"""Building one export job's file: the body of the Celery task (DESIGN §5).

A job is taken from ``queued`` (or from ``running``: a redelivered or retried
task) with a compare-and-set, and every attempt starts over: counters reset and
whatever an earlier attempt left in the job's storage folder is deleted. The job
ends ``done`` with its file, or ``failed`` with a readable error and no file.
"""

import logging
import tempfile

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.db.models import F
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from tickets.filters import TicketFilter
from tickets.models import Ticket

from . import writer
from .models import ExportJob, ExportStatus

logger = logging.getLogger(__name__)

# Rows between two progress updates: often enough for a moving bar, rare enough
# to cost nothing (about ten UPDATEs for a full export).
PROGRESS_EVERY = 5000
# A job whose worker keeps dying (redelivered again and again) is given up.
MAX_ATTEMPTS = 3


def export_rows(job: ExportJob, selections: list):
    """The job's rows, exactly the list's: the same FilterSet on the same scope and
    the list's order, joined fields read in the same query. One row more than
    the cap is asked for, so a grown result is noticed instead of cut."""
    scope = Ticket.objects.visible_to(job.requester)
    ticket_filter = TicketFilter(job.filter_params, queryset=scope)
    if not ticket_filter.is_valid():
        raise ValueError(f"stored filter no longer valid: {ticket_filter.errors.as_json()}")
    queryset = (
        ticket_filter.qs.order_by("-created_at", "-id")
        .values_list(*selections)[: settings.EXPORT_MAX_ROWS + 1]
    )
    return queryset.iterator(chunk_size=writer.CHUNK_SIZE)


def file_name_for(job: ExportJob) -> str:
    """服务单导出_<shop or all>_<yyyymmdd-HHMMSS>.xlsx, in the requester's language,
    stamped with the request time in the shop's time zone."""
    prefix = _("ticket-export")
    scope = job.shop.name if job.shop_id else _("all")
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M%S")
    return get_valid_filename(f"{prefix}_{scope}_{stamp}.xlsx")


def run_export(job_id: int) -> ExportJob | None:
    """Build the job's file. Returns the job, or None if it was not runnable
    (already done, failed or expired: running a finished job again does nothing)."""
    now = timezone.now()
    taken = (
        ExportJob.objects.filter(pk=job_id, status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])
        .update(status=ExportStatus.RUNNING, started_at=now, finished_at=None, rows_written=0,
                error="", file="", attempts=F("attempts") + 1)
    )
    if not taken:
        return None
    job = ExportJob.objects.select_related("requester", "shop").get(pk=job_id)
    _clear_storage_folder(job)
    with translation.override(job.language):
        if job.attempts > MAX_ATTEMPTS:
            return _fail(job, _("The export was interrupted too often. Please start it again."))
        try:
            stored_name, written = _build_file(job)
        except writer.RowLimitExceeded:
            return _fail(job, _(
                "More than %(cap)s tickets match this filter now. Narrow the created-time "
                "range and export again."
            ) % {"cap": f"{settings.EXPORT_MAX_ROWS:,}"})
        except Exception as exc:  # the job must end failed, whatever went wrong
            logger.exception("export job %s failed", job_id)
            return _fail(job, _("The export failed (%(reason)s). Please try again.")
                         % {"reason": type(exc).__name__})
    finished = ExportJob.objects.filter(pk=job_id, status=ExportStatus.RUNNING).update(
        status=ExportStatus.DONE, file=stored_name, rows_written=written,
        finished_at=timezone.now(),
    )
    if not finished:  # someone else moved the job on (e.g. a newer attempt): not ours
        default_storage.delete(stored_name)
    job.refresh_from_db()
    return job


def _build_file(job: ExportJob) -> tuple[str, int]:
    columns = writer.columns_for(job.language)
    selections, datetimes_are_local = writer.selections(columns, vendor=connection.vendor)

    def record_progress(rows: int) -> None:
        ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(rows_written=rows)

    # The workbook is zipped into a local temporary file first, then handed to the
    # storage in one piece: the storage never holds a half-written file.
    with tempfile.TemporaryFile(suffix=".xlsx") as spool:
        written = writer.write_workbook(
            export_rows(job, selections), spool, columns=columns,
            max_rows=settings.EXPORT_MAX_ROWS, on_progress=record_progress,
            progress_every=PROGRESS_EVERY, datetimes_are_local=datetimes_are_local,
        )
        spool.seek(0)
        name = default_storage.save(f"{job.storage_folder}/{file_name_for(job)}", File(spool))
    return name, written


def _fail(job: ExportJob, message: str) -> ExportJob:
    _clear_storage_folder(job)
    ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING).update(
        status=ExportStatus.FAILED, error=message, file="", finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


def _clear_storage_folder(job: ExportJob) -> None:
    """Delete every file in the job's folder: partial output of an earlier attempt."""
    try:
        _dirs, files = default_storage.listdir(job.storage_folder)
    except FileNotFoundError:
        return
    for name in files:
        default_storage.delete(f"{job.storage_folder}/{name}")
