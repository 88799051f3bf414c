"""A worker SIGKILLed mid-export (main process and pool child at once) through the
real path: the request published to Redis, worker processes against the
PostgreSQL test database, the reaper run by a worker's embedded beat.

Redis's own redelivery is kept out of it: CELERY_VISIBILITY_TIMEOUT is ten
hours, so the dead worker's message stays unacknowledged for the whole test and
only the reaper (stale limit a few seconds, every second) can save the job. The
export is large enough (20,000 rows, several seconds of writing) for the kill to
land in the middle, which the test checks rather than assumes."""

import pytest
from django.core.files.storage import default_storage

from exports.models import ExportCooldown, ExportJob, ExportStatus
from tests.exports.conftest import bulk_tickets, read_rows  # noqa: F401
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]

ROWS = 20_000
WORKER_ENV = {
    "EXPORT_STALE_AFTER_SECONDS": 3,
    "EXPORT_REAPER_INTERVAL_SECONDS": 1,
    "CELERY_VISIBILITY_TIMEOUT": 36_000,
}


def kill_mid_export(worker, job, *, attempt):
    """Wait until the given attempt has written some rows, then SIGKILL the worker."""
    wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.RUNNING,
                                              attempts=attempt, rows_written__gt=0).exists(),
             timeout=120, interval=0.02, worker=worker)
    worker.kill()
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING, "the kill came too late"
    assert 0 < job.rows_written < ROWS, "the kill did not land in the middle of the export"


@pytest.fixture
def requested_job(publish_to_redis, client, merchant, shop_a, bulk_tickets):  # noqa: F811
    bulk_tickets(ROWS, shop=shop_a)
    client.force_login(merchant)
    assert client.post("/exports/", {}, HTTP_ACCEPT_LANGUAGE="en").status_code == 302
    return ExportJob.objects.get()


def test_export_of_a_killed_worker_is_re_enqueued_by_the_reaper_and_finishes(
        celery_worker_factory, requested_job):
    job = requested_job
    first = celery_worker_factory(**WORKER_ENV)
    kill_mid_export(first, job, attempt=1)

    second = celery_worker_factory(beat=True, **WORKER_ENV)
    wait_for(lambda: ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportStatus.DONE, ExportStatus.FAILED]).exists(),
        timeout=120, worker=second)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    assert job.attempts == 2  # the reaper's re-enqueue, not a redelivery, ran it
    assert "re-enqueued (attempt 2)" in second.log()
    assert job.rows_written == ROWS
    rows = read_rows(job)
    assert rows[0][0] == "Ticket number" and len(rows) == 1 + ROWS
    # The re-run started over: the folder holds this one file and nothing else.
    assert default_storage.listdir(job.storage_folder)[1] == [job.file_name]
    assert second.stop() == 0


def test_export_killed_on_both_attempts_ends_failed_with_the_message(
        celery_worker_factory, requested_job, client, merchant):
    job = requested_job
    first = celery_worker_factory(**WORKER_ENV)
    kill_mid_export(first, job, attempt=1)
    second = celery_worker_factory(beat=True, **WORKER_ENV)
    kill_mid_export(second, job, attempt=2)

    third = celery_worker_factory(beat=True, **WORKER_ENV)
    wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.FAILED).exists(),
             timeout=60, worker=third)
    job.refresh_from_db()
    message = "The export was interrupted and could not be finished. Please start it again."
    assert job.error == message and not job.file
    assert ExportCooldown.objects.get(user=merchant).last_accepted_at is None
    html = client.get("/exports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert message in html
    assert third.stop() == 0
