"""The reaper and the heartbeat: a job whose worker died is re-enqueued once, then
failed with a readable message; a job that beats is left alone; a run that lost
its job stops and leaves no file. The reaper is called directly, one batch at a
time, with the clock held by time-machine."""

import datetime as dt

import pytest
from django.core.files.storage import default_storage
from django.test import override_settings

from exports import builder, jobs, reaper, writer
from exports.models import ExportJob, ExportStatus
from exports.tasks import build_export, reap_stale_exports
from tests.exports.conftest import read_rows

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
STALE = dt.timedelta(seconds=300)  # EXPORT_STALE_AFTER_SECONDS default
JUST_OVER = STALE + dt.timedelta(seconds=1)
INTERRUPTED_EN = "The export was interrupted and could not be finished. Please start it again."


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


@pytest.fixture
def sent(monkeypatch):
    """Task messages the reaper (or a request) published, not run."""
    messages = []
    monkeypatch.setattr(build_export, "apply_async", lambda args, **kw: messages.append(args))
    return messages


def files_in(folder):
    try:
        return sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def running_job(user, **fields):
    job = ExportJob.objects.create(requester=user, language="en", matched_count=10,
                                   created_at=T0, heartbeat_at=T0, **fields)
    jobs.start(job.pk, now=T0)
    jobs.beat(jobs.Run(job.pk, job.attempts), rows_written=5000, now=T0)
    return job


@pytest.mark.django_db
def test_stale_running_job_is_re_enqueued_once_then_failed(clock, sent, merchant):
    job = running_job(merchant)
    clock.shift(JUST_OVER)
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert (job.status, job.attempts, job.rows_written) == (ExportStatus.QUEUED, 2, 0)
    assert job.heartbeat_at == T0 + JUST_OVER
    assert sent == [(job.pk,)]

    jobs.start(job.pk)  # the second run starts, and its worker dies too
    clock.shift(JUST_OVER)
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and sent == [(job.pk,)]
    assert job.error == INTERRUPTED_EN
    assert job.finished_at == T0 + 2 * JUST_OVER
    assert reaper.reap_stale_exports() == 0


@pytest.mark.django_db
def test_job_queued_too_long_is_re_enqueued_once_then_failed(clock, sent, merchant):
    job = ExportJob.objects.create(requester=merchant, language="zh-hans", matched_count=1,
                                   created_at=T0, heartbeat_at=T0)
    clock.shift(JUST_OVER)
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED and job.attempts == 2 and sent == [(job.pk,)]
    clock.shift(JUST_OVER)
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "导出未能及时开始，请重新发起导出。"  # in the requester's language


@pytest.mark.django_db
def test_fresh_heartbeats_and_finished_jobs_are_left_alone(clock, sent, merchant):
    beating = running_job(merchant)
    queued = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                      heartbeat_at=T0)
    finished = {status: ExportJob.objects.create(requester=merchant, language="en",
                                                 matched_count=1, status=status,
                                                 heartbeat_at=T0 - dt.timedelta(days=30))
                for status in (ExportStatus.FAILED, ExportStatus.EXPIRED)}
    clock.shift(STALE)  # exactly the limit: not yet stale
    assert reaper.reap_stale_exports() == 0
    clock.shift(dt.timedelta(seconds=200))
    jobs.beat(jobs.Run(beating.pk, 1), rows_written=10_000)  # still alive
    assert reaper.reap_stale_exports() == 1
    beating.refresh_from_db()
    queued.refresh_from_db()
    assert beating.status == ExportStatus.RUNNING and beating.attempts == 1
    assert queued.status == ExportStatus.QUEUED and queued.attempts == 2
    assert sent == [(queued.pk,)]
    for status, job in finished.items():
        job.refresh_from_db()
        assert job.status == status


@pytest.mark.django_db
@override_settings(EXPORT_STALE_AFTER_SECONDS=30)
def test_the_stale_limit_is_the_setting(clock, sent, merchant):
    job = running_job(merchant)
    clock.shift(dt.timedelta(seconds=31))
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED


@pytest.mark.django_db
def test_the_periodic_task_reaps_batch_after_batch(clock, sent, merchant, monkeypatch):
    monkeypatch.setattr(reaper, "BATCH_SIZE", 2)
    for _ in range(5):
        running_job(merchant)
    clock.shift(JUST_OVER)
    assert reap_stale_exports.apply().get() == 5
    assert set(ExportJob.objects.values_list("status", flat=True)) == {ExportStatus.QUEUED}


@pytest.mark.django_db
def test_a_refused_publish_leaves_the_job_queued_for_the_next_run_to_fail(
        clock, monkeypatch, merchant):
    def refuse(*args, **kwargs):
        raise OSError("connection refused")

    monkeypatch.setattr(build_export, "apply_async", refuse)
    job = running_job(merchant)
    clock.shift(JUST_OVER)
    assert reaper.reap_stale_exports() == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED
    clock.shift(JUST_OVER)
    reaper.reap_stale_exports()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and job.error


@pytest.mark.django_db
def test_a_re_enqueued_job_says_so_on_the_exports_page(clock, sent, client, merchant):
    job = running_job(merchant)
    client.force_login(merchant)
    assert "export-restarted" not in client.get(f"/exports/{job.pk}/row/").content.decode()
    clock.shift(JUST_OVER)
    reaper.reap_stale_exports()
    html = client.get(f"/exports/{job.pk}/row/").content.decode()
    assert "中断后已重新开始。" in html and "hx-trigger" in html  # still polled


@pytest.mark.django_db
def test_the_reapers_message_is_shown_on_the_exports_page(clock, sent, client, merchant):
    job = running_job(merchant, attempts=2)
    clock.shift(JUST_OVER)
    reaper.reap_stale_exports()
    client.force_login(merchant)
    html = client.get("/exports/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert f'id="export-job-{job.pk}" class="export-job" data-status="failed"' in html
    assert INTERRUPTED_EN in html
    html = client.get(f"/exports/{job.pk}/row/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "hx-trigger" not in html  # the page stops polling it


# --- the cooldown of a reaped job ------------------------------------------------

@pytest.mark.django_db
@override_settings(EXPORT_COOLDOWN_SECONDS=3600)
def test_a_job_failed_by_the_reaper_does_not_hold_the_cooldown(
        clock, sent, post_export, merchant, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    job = ExportJob.objects.get()
    clock.shift(JUST_OVER)
    reaper.reap_stale_exports()  # re-enqueued, but its message is never taken either
    clock.shift(JUST_OVER)
    assert post_export(merchant).status_code == 429  # still queued: the claim holds
    reaper.reap_stale_exports()
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert post_export(merchant).status_code == 302
    assert ExportJob.objects.count() == 2


# --- the heartbeat of a real run ----------------------------------------------------

@pytest.fixture
def small_steps(monkeypatch):
    """Progress checked and written every row, so a three-row export beats three times."""
    monkeypatch.setattr(builder, "PROGRESS_EVERY", 1)
    monkeypatch.setattr(builder, "PROGRESS_CHECK_EVERY", 1)


@pytest.mark.django_db
def test_a_run_beats_its_heartbeat_with_its_progress(clock, small_steps, monkeypatch, merchant,
                                                     make_ticket):
    for _ in range(3):
        make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=3)
    seen = []
    real_beat = jobs.beat

    def beat_and_look(run, *, rows_written, now=None):
        clock.shift(dt.timedelta(seconds=10))
        alive = real_beat(run, rows_written=rows_written, now=now)
        seen.append(ExportJob.objects.values_list("rows_written", "heartbeat_at").get(pk=job.pk))
        return alive

    monkeypatch.setattr(jobs, "beat", beat_and_look)
    builder.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE
    # One beat per row, then one after zipping; each moves the heartbeat on.
    assert [rows for rows, _ in seen] == [1, 2, 3, 3]
    assert [at for _, at in seen] == [T0 + dt.timedelta(seconds=10 * i) for i in range(1, 5)]


@pytest.mark.django_db
def test_a_run_reaped_mid_write_stops_and_the_next_attempt_finishes(
        clock, small_steps, sent, monkeypatch, merchant, make_ticket, file_storage):
    for _ in range(3):
        make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=3)
    real_beat = jobs.beat
    beats = []

    def stall_then_beat(run, **kwargs):
        beats.append(run)
        if len(beats) == 1:  # the worker stalls long enough to be taken for dead
            clock.shift(JUST_OVER)
            assert reaper.reap_stale_exports() == 1
        return real_beat(run, **kwargs)

    monkeypatch.setattr(jobs, "beat", stall_then_beat)
    assert builder.run_export(job.pk) is None  # the late run gave up at its next beat
    assert len(beats) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.QUEUED and job.attempts == 2 and not job.file
    assert files_in(job.storage_folder) == [] and sent == [(job.pk,)]

    build_export.run(*sent.pop())  # the re-enqueued message
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.attempts == 2 and job.rows_written == 3
    assert len(read_rows(job)) == 4


@pytest.mark.django_db
def test_a_late_run_cannot_mark_a_reaped_job_done_and_leaves_no_file(
        clock, sent, monkeypatch, merchant, make_ticket, file_storage):
    make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                   attempts=2)
    real_finish = jobs.finish

    def reaped_before_finishing(run, **kwargs):
        clock.shift(JUST_OVER)  # stalled after its last beat, e.g. on a slow storage write
        assert reaper.reap_stale_exports() == 1  # attempts used up: failed
        return real_finish(run, **kwargs)

    monkeypatch.setattr(jobs, "finish", reaped_before_finishing)
    assert builder.run_export(job.pk) is None
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED and not job.file
    assert job.error == INTERRUPTED_EN
    assert files_in(job.storage_folder) == []


@pytest.mark.django_db
def test_a_failed_run_does_not_hold_the_cooldown(post_export, monkeypatch, merchant,
                                                 make_ticket, django_capture_on_commit_callbacks):
    make_ticket()

    def broken_writer(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_workbook", broken_writer)
    with django_capture_on_commit_callbacks(execute=True):
        assert post_export(merchant, language="en").status_code == 302
    assert ExportJob.objects.get().status == ExportStatus.FAILED
    assert post_export(merchant).status_code == 302  # within the minute, but nothing to show
