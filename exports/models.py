"""Export jobs and the per-user cooldown slot that rate-limits them. A job's
status, heartbeat and attempts change only through ``exports.jobs``."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
    EXPIRED = "expired", _("Expired")


class ExportKind(models.TextChoices):
    TICKETS = "tickets", _("Tickets")
    # Ops: the scorecard's ranking of every shop (filter_params: days, service_type).
    SCORECARD = "scorecard", _("Scorecard ranking")


def export_upload_to(instance: "ExportJob", filename: str) -> str:
    # One folder per job: a retried task clears exactly its own folder.
    return f"{instance.storage_folder}/{filename}"


class ExportJob(models.Model):
    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="export_jobs",
        verbose_name=_("requested by"),
    )
    # The merchant's shop at request time; empty for an export across all shops.
    shop = models.ForeignKey(
        "tickets.Shop", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
        verbose_name=_("shop"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=ExportKind.choices,
                            default=ExportKind.TICKETS)
    # The TicketFilter parameters exactly as accepted (only the filter's own keys);
    # for the scorecard ranking, its period and service type.
    filter_params = models.JSONField(_("filter"), default=dict, blank=True)
    # Headers, labels and the error text follow the requester's language at request time.
    language = models.CharField(_("language"), max_length=10)
    matched_count = models.PositiveIntegerField(_("matching rows"))
    status = models.CharField(_("status"), max_length=10, choices=ExportStatus.choices,
                              default=ExportStatus.QUEUED)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    # Times the job was handed to the workers: 1 on request, 2 once the reaper has
    # re-enqueued it after its worker died. The reaper gives up after that.
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=1)
    # Queued: when it was (re-)queued. Running: the last sign of life of its run,
    # written with the progress. The reaper acts on jobs whose heartbeat is old.
    heartbeat_at = models.DateTimeField(_("last heartbeat"), default=timezone.now)
    file = models.FileField(_("file"), upload_to=export_upload_to, max_length=255, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("requested at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("export job")
        verbose_name_plural = _("export jobs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(status__in=ExportStatus.values),
                                   name="exportjob_status_valid"),
            # A file exists exactly while the job is done.
            models.CheckConstraint(
                condition=Q(status=ExportStatus.DONE) | Q(file=""),
                name="exportjob_file_only_when_done",
            ),
        ]
        indexes = [
            # A merchant's list: WHERE requester_id = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["requester", "-created_at", "-id"], name="exportjob_requester"),
            # Ops list (all jobs, newest first).
            models.Index(fields=["-created_at", "-id"], name="exportjob_created"),
            # Retention sweep: WHERE status = 'done' AND finished_at < ?
            models.Index(fields=["finished_at"], name="exportjob_done_finished",
                         condition=Q(status=ExportStatus.DONE)),
            # Reaper: WHERE status IN ('queued', 'running') AND heartbeat_at < ?
            # ORDER BY heartbeat_at. Few rows are ever active, so the index stays tiny.
            models.Index(fields=["heartbeat_at"], name="exportjob_active_heartbeat",
                         condition=Q(status__in=[ExportStatus.QUEUED, ExportStatus.RUNNING])),
        ]

    def __str__(self) -> str:
        return f"export #{self.pk} ({self.status})"

    @property
    def storage_folder(self) -> str:
        return f"exports/{self.pk}"

    @property
    def is_active(self) -> bool:
        """Still queued or running: the list page keeps polling it."""
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        if not self.matched_count:
            return 0
        return min(100, self.rows_written * 100 // self.matched_count)

    @property
    def file_name(self) -> str:
        return self.file.name.rsplit("/", 1)[-1] if self.file else ""


class ExportCooldown(models.Model):
    """One row per user: when their last export request was accepted.

    The row is the lock: accepting a request is a conditional UPDATE of this row
    (``exports.policy.claim_cooldown``), so of any number of racing requests, in
    any number of processes, exactly one moves it forward. ``NULL`` means free.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="+")
    last_accepted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export cooldown")
        verbose_name_plural = _("export cooldowns")

    def __str__(self) -> str:
        return f"{self.user_id}: {self.last_accepted_at}"
