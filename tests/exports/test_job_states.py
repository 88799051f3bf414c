"""exports.jobs, the one writer of an export job's status: the transitions table
holds whichever function is called in whichever state, every write of a run is
conditioned on the run still owning the job, and a failed job gives its
requester's cooldown back."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile

from exports import jobs
from exports.models import ExportCooldown, ExportJob, ExportStatus

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
LONG_AGO = NOW - dt.timedelta(hours=1)

QUEUED, RUNNING, DONE, FAILED, EXPIRED = (
    ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE, ExportStatus.FAILED,
    ExportStatus.EXPIRED,
)

# Written out here, not read from exports.jobs: what each operation may do from
# each state. Any state not listed for an operation must stay as it was.
EXPECTED = {
    "start": {QUEUED: RUNNING},
    "beat": {},
    "finish": {RUNNING: DONE},
    "fail_run": {RUNNING: FAILED},
    "fail_unsent": {QUEUED: FAILED},
    "fail_stale": {QUEUED: FAILED, RUNNING: FAILED},
    "requeue": {QUEUED: QUEUED, RUNNING: QUEUED},
    "expire": {DONE: EXPIRED},
}


def job_in(status, user, **fields):
    job = ExportJob.objects.create(requester=user, language="en", matched_count=1,
                                   status=status, heartbeat_at=LONG_AGO, **fields)
    if status == DONE:
        job.file.save("f.xlsx", ContentFile(b"PK"))
    return job


def operate(name, job):
    run = jobs.Run(job.pk, job.attempts)
    stale = {"status": job.status, "attempt": job.attempts, "stale_before": NOW}
    return {
        "start": lambda: jobs.start(job.pk, now=NOW),
        "beat": lambda: jobs.beat(run, rows_written=1, now=NOW),
        "finish": lambda: jobs.finish(run, file_name="exports/x.xlsx", rows_written=1, now=NOW),
        "fail_run": lambda: jobs.fail_run(run, message="boom", now=NOW),
        "fail_unsent": lambda: jobs.fail_unsent(job.pk, message="boom", now=NOW),
        "fail_stale": lambda: jobs.fail_stale(job.pk, message="boom", now=NOW, **stale),
        "requeue": lambda: jobs.requeue(job.pk, now=NOW, **stale),
        "expire": lambda: jobs.expire(job.pk),
    }[name]()


@pytest.mark.django_db
@pytest.mark.parametrize("operation", sorted(EXPECTED))
@pytest.mark.parametrize("status", ExportStatus.values)
def test_every_operation_in_every_state_follows_the_transitions_table(
        merchant, operation, status):
    job = job_in(status, merchant)
    try:
        operate(operation, job)
    except jobs.IllegalTransition:
        pass  # asked for a move the table does not have: refused before any write
    job.refresh_from_db()
    assert job.status == EXPECTED[operation].get(status, status)


@pytest.mark.django_db
def test_a_done_job_cannot_go_back_to_running(merchant):
    job = job_in(DONE, merchant)
    assert jobs.start(job.pk, now=NOW) is None
    with pytest.raises(jobs.IllegalTransition):
        jobs.requeue(job.pk, status=DONE, attempt=1, stale_before=NOW, now=NOW)
    job.refresh_from_db()
    assert job.status == DONE and job.file


@pytest.mark.django_db
def test_start_takes_a_queued_job_once(merchant):
    job = job_in(QUEUED, merchant)
    run = jobs.start(job.pk, now=NOW)
    assert run == jobs.Run(job.pk, 1)
    assert jobs.start(job.pk, now=NOW) is None  # a second message for the same attempt
    job.refresh_from_db()
    assert job.status == RUNNING and job.heartbeat_at == NOW and job.started_at == NOW


@pytest.mark.django_db
def test_beat_records_progress_and_the_heartbeat(merchant):
    job = job_in(QUEUED, merchant)
    run = jobs.start(job.pk, now=LONG_AGO)
    assert jobs.beat(run, rows_written=5000, now=NOW)
    job.refresh_from_db()
    assert job.rows_written == 5000 and job.heartbeat_at == NOW


@pytest.mark.django_db
def test_a_run_whose_job_was_re_enqueued_cannot_beat_finish_or_fail_it(merchant):
    job = job_in(QUEUED, merchant)
    first = jobs.start(job.pk, now=LONG_AGO)
    assert jobs.requeue(job.pk, status=RUNNING, attempt=1, stale_before=NOW, now=NOW)
    second = jobs.start(job.pk, now=NOW)
    assert second == jobs.Run(job.pk, 2)

    assert not jobs.beat(first, rows_written=9, now=NOW)
    assert not jobs.finish(first, file_name="exports/late.xlsx", rows_written=9, now=NOW)
    assert not jobs.fail_run(first, message="late", now=NOW)
    job.refresh_from_db()
    assert (job.status, job.attempts, job.file, job.error) == (RUNNING, 2, "", "")

    assert jobs.finish(second, file_name="exports/x.xlsx", rows_written=1, now=NOW)
    job.refresh_from_db()
    assert job.status == DONE and job.file.name == "exports/x.xlsx"


@pytest.mark.django_db
def test_a_run_whose_job_was_failed_by_the_reaper_cannot_finish_it(merchant):
    job = job_in(QUEUED, merchant, attempts=2)
    run = jobs.start(job.pk, now=LONG_AGO)
    assert jobs.fail_stale(job.pk, status=RUNNING, attempt=2, stale_before=NOW,
                           message="interrupted", now=NOW)
    assert not jobs.finish(run, file_name="exports/late.xlsx", rows_written=1, now=NOW)
    job.refresh_from_db()
    assert job.status == FAILED and job.error == "interrupted" and not job.file


@pytest.mark.django_db
def test_the_reaper_does_not_act_on_a_job_that_beat_after_it_looked(merchant):
    job = job_in(QUEUED, merchant)
    run = jobs.start(job.pk, now=LONG_AGO)
    stale_before = NOW - dt.timedelta(minutes=5)
    jobs.beat(run, rows_written=10, now=NOW)  # between the reaper's SELECT and its UPDATE
    assert not jobs.requeue(job.pk, status=RUNNING, attempt=1, stale_before=stale_before,
                            now=NOW)
    assert not jobs.fail_stale(job.pk, status=RUNNING, attempt=1, stale_before=stale_before,
                               message="x", now=NOW)
    job.refresh_from_db()
    assert job.status == RUNNING and job.attempts == 1


@pytest.mark.django_db
def test_two_reapers_re_enqueue_a_stale_job_once(merchant):
    job = job_in(RUNNING, merchant)
    assert jobs.requeue(job.pk, status=RUNNING, attempt=1, stale_before=NOW, now=NOW)
    assert not jobs.requeue(job.pk, status=RUNNING, attempt=1, stale_before=NOW, now=NOW)
    job.refresh_from_db()
    assert job.status == QUEUED and job.attempts == 2


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["run", "unsent", "stale"])
def test_a_failed_job_gives_its_cooldown_claim_back(merchant, how):
    job = job_in(QUEUED, merchant, created_at=NOW)
    ExportCooldown.objects.create(user=merchant, last_accepted_at=NOW)
    if how == "run":
        assert jobs.fail_run(jobs.start(job.pk, now=NOW), message="boom", now=NOW)
    elif how == "unsent":
        assert jobs.fail_unsent(job.pk, message="boom", now=NOW)
    else:
        assert jobs.fail_stale(job.pk, status=QUEUED, attempt=1, stale_before=NOW,
                               message="boom", now=NOW)
    assert ExportCooldown.objects.get(user=merchant).last_accepted_at is None


@pytest.mark.django_db
def test_a_failed_job_does_not_give_back_a_later_claim(merchant):
    job = job_in(QUEUED, merchant, created_at=LONG_AGO)
    ExportCooldown.objects.create(user=merchant, last_accepted_at=NOW)  # a newer request's
    assert jobs.fail_unsent(job.pk, message="boom", now=NOW)
    assert ExportCooldown.objects.get(user=merchant).last_accepted_at == NOW
