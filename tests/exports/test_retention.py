"""Retention: files older than EXPORT_RETENTION_DAYS are deleted and their jobs
marked expired; younger files, and jobs without files, are left alone."""

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from exports import retention
from exports.models import ExportJob, ExportStatus
from exports.tasks import expire_old_exports

NOW = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


def job_finished(user, *, days_ago: float, status=ExportStatus.DONE):
    job = ExportJob.objects.create(requester=user, language="en", matched_count=1,
                                   finished_at=NOW - dt.timedelta(days=days_ago))
    if status == ExportStatus.DONE:
        job.status = status
        job.file.save("f.xlsx", ContentFile(b"PK"), save=False)
    job.status = status
    job.save()
    return job


@pytest.mark.django_db
def test_files_older_than_the_retention_are_deleted_and_jobs_expired(merchant):
    old = job_finished(merchant, days_ago=7.01)
    young = job_finished(merchant, days_ago=6.99)
    old_name = old.file.name
    assert retention.expire_old_exports(now=NOW) == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED and not old.file
    assert not default_storage.exists(old_name)
    assert young.status == ExportStatus.DONE and default_storage.exists(young.file.name)


@pytest.mark.django_db
@override_settings(EXPORT_RETENTION_DAYS=1)
def test_retention_comes_from_the_setting(merchant):
    job = job_finished(merchant, days_ago=1.5)
    assert retention.expire_old_exports(now=NOW) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


@pytest.mark.django_db
def test_failed_jobs_are_left_as_they_are(merchant):
    job = job_finished(merchant, days_ago=30, status=ExportStatus.FAILED)
    assert retention.expire_old_exports(now=NOW) == 0
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED


@pytest.mark.django_db
def test_expiring_twice_is_harmless(merchant):
    job_finished(merchant, days_ago=8)
    assert retention.expire_old_exports(now=NOW) == 1
    assert retention.expire_old_exports(now=NOW) == 0


@pytest.mark.django_db
def test_periodic_task_works_through_every_batch(merchant, monkeypatch, time_machine):
    time_machine.move_to(NOW, tick=False)
    monkeypatch.setattr(retention, "BATCH_SIZE", 2)
    for _ in range(5):
        job_finished(merchant, days_ago=10)
    assert expire_old_exports.delay().get() == 5
    assert set(ExportJob.objects.values_list("status", flat=True)) == {ExportStatus.EXPIRED}


def test_beat_schedule_names_the_task(settings):
    names = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert expire_old_exports.name in names
