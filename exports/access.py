"""Whose export jobs a user may see, and the download of one: the pages and
the API ask here."""

from django.conf import settings
from django.http import FileResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from servicedesk.file_storage import open_for_download
from tickets import roles

from .models import ExportJob, ExportStatus

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def jobs_visible_to(user):
    """Ops see every job; everyone else only their own."""
    jobs = ExportJob.objects.select_related("requester", "shop")
    return jobs if roles.is_ops(user) else jobs.filter(requester=user)


class ExportUnavailable(Exception):
    """The job has no file to download: 410 once it expired (or its file is gone),
    409 while it is not finished or after it failed. ``message`` is for people."""

    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status, self.message = status, message


def export_file_response(job) -> FileResponse:
    """The job's file as an attachment, for the page and the API alike. Opening
    it is the existence check: on S3 one GET and no HEAD before it, and the bytes
    stream through as they arrive."""
    if job.status == ExportStatus.DONE:
        try:
            handle, size = open_for_download(job.file)
        except FileNotFoundError:
            raise ExportUnavailable(410, _expired_message()) from None
        response = FileResponse(handle, as_attachment=True, filename=job.file_name,
                                content_type=XLSX)
        response["Content-Length"] = size
        return response
    if job.status == ExportStatus.EXPIRED:
        raise ExportUnavailable(410, _expired_message())
    raise ExportUnavailable(409, _("This export failed and has no file.")
                            if job.status == ExportStatus.FAILED
                            else _("This export is not finished yet."))


def _expired_message() -> str:
    return ngettext(
        "This export has expired: files are kept for %(days)d day. "
        "Start a new export from the ticket list.",
        "This export has expired: files are kept for %(days)d days. "
        "Start a new export from the ticket list.",
        settings.EXPORT_RETENTION_DAYS,
    ) % {"days": settings.EXPORT_RETENTION_DAYS}
