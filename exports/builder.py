"""Building one export job's file: the body of the Celery task.

The run takes a queued job through ``exports.jobs`` (compare-and-set), starts
over (whatever an earlier attempt left in the job's storage folder is deleted),
beats the job's heartbeat with its progress, and ends it ``done`` with its file
or ``failed`` with a readable error and no file. Every write is conditioned on
this run still owning the job: a run that lost it (the reaper re-queued or
failed it while this worker was stalled) stops and leaves no file behind.
"""

import logging
import tempfile
import time

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import connection
from django.utils import timezone, translation
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from tickets.filters import TicketFilter
from tickets.models import Ticket

from . import jobs, writer
from . import scorecard as scorecard_export
from .models import ExportJob, ExportKind

logger = logging.getLogger(__name__)

# Rows between two progress updates: often enough for a moving bar, rare enough
# to cost nothing (about ten UPDATEs for a full export).
PROGRESS_EVERY = 5000
# How often (in rows) the writer calls back, so a slow export still beats its
# heartbeat on time; most calls only read the clock.
PROGRESS_CHECK_EVERY = 500


class JobLost(Exception):
    """The job is no longer this run's: stop writing."""


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
    prefix = _("scorecard") if job.kind == ExportKind.SCORECARD else _("ticket-export")
    scope = job.shop.name if job.shop_id else _("all")
    stamp = timezone.localtime(job.created_at).strftime("%Y%m%d-%H%M%S")
    return get_valid_filename(f"{prefix}_{scope}_{stamp}.xlsx")


def run_export(job_id: int) -> ExportJob | None:
    """Build the job's file. Returns the job, or None if this run did not (or no
    longer) own it: finished, failed, expired, taken by another message, or
    taken away by the reaper mid-run."""
    run = jobs.start(job_id)
    if run is None:
        return None
    job = ExportJob.objects.select_related("requester", "shop").get(pk=job_id)
    _clear_storage_folder(job)
    with translation.override(job.language):
        try:
            stored_name, written = _build_file(job, run)
        except JobLost:
            logger.warning("export job %s was taken from this run (attempt %s); stopping",
                           job_id, run.attempt)
            return None
        except writer.RowLimitExceeded:
            return _fail(job, run, _(
                "More than %(cap)s tickets match this filter now. Narrow the created-time "
                "range and export again."
            ) % {"cap": f"{settings.EXPORT_MAX_ROWS:,}"})
        except Exception as exc:  # the job must end failed, whatever went wrong
            logger.exception("export job %s failed", job_id)
            return _fail(job, run, _("The export failed (%(reason)s). Please try again.")
                         % {"reason": type(exc).__name__})
    if not jobs.finish(run, file_name=stored_name, rows_written=written):
        # The reaper moved the job on while this run was writing: the newer
        # attempt (or the failure) stands, and this run's file must not stay.
        default_storage.delete(stored_name)
        return None
    job.refresh_from_db()
    return job


def _build_file(job: ExportJob, run: jobs.Run) -> tuple[str, int]:
    if job.kind == ExportKind.SCORECARD:
        columns = scorecard_export.columns()
        rows, datetimes = scorecard_export.rows(job.filter_params), writer.AWARE
    else:
        columns = writer.columns_for(job.language)
        selections, datetimes = writer.selections(columns, vendor=connection.vendor)
        rows = export_rows(job, selections)
    # A fifth of the reaper's limit: a run may miss a few beats (a slow chunk, a
    # busy database) before it is taken for dead.
    beat_every = settings.EXPORT_STALE_AFTER_SECONDS / 5
    last = {"rows": 0, "at": time.monotonic()}

    def record_progress(rows: int) -> None:
        moment = time.monotonic()
        if rows - last["rows"] < PROGRESS_EVERY and moment - last["at"] < beat_every:
            return
        if not jobs.beat(run, rows_written=rows):
            raise JobLost()
        last.update(rows=rows, at=moment)

    # The workbook is zipped into a local temporary file first, then handed to the
    # storage in one piece: the storage never holds a half-written file. On S3 the
    # upload reads that file in parts (multipart above 8 MB), so the workbook is
    # never held in memory, let alone twice.
    with tempfile.TemporaryFile(suffix=".xlsx") as spool:
        written = writer.write_workbook(
            rows, spool, columns=columns,
            max_rows=settings.EXPORT_MAX_ROWS, on_progress=record_progress,
            progress_every=PROGRESS_CHECK_EVERY, datetimes=datetimes,
        )
        # Zipping took a while; say so before the storage write.
        if not jobs.beat(run, rows_written=written):
            raise JobLost()
        spool.seek(0)
        name = default_storage.save(f"{job.storage_folder}/{file_name_for(job)}", File(spool))
    return name, written


def _fail(job: ExportJob, run: jobs.Run, message: str) -> ExportJob | None:
    if not jobs.fail_run(run, message=message):
        return None  # no longer ours: the folder belongs to whoever has the job now
    _clear_storage_folder(job)
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
