"""Evidence and export files behave the same on the local filesystem and in an
S3 bucket (a real S3-compatible server process, see tests/s3server.py): each
test runs once per storage."""

import datetime as dt
import io

import openpyxl
import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from exports import builder, retention
from exports.models import ExportJob, ExportStatus
from tests.evidence.conftest import evidence_url, reply_url, served_bytes, thumbnail_url, upload
from tests.evidence.images import png_of
from tickets import lifecycle
from tickets.errors import DeadlinePassed
from tickets.models import Evidence

pytestmark = pytest.mark.django_db


def reply_with_images(client, merchant, ticket, count=2):
    client.force_login(merchant)
    response = client.post(reply_url(ticket), {
        "body": "见图", "evidence": [upload(f"{i}.png", png_of((40 + i, 30))) for i in
                                    range(count)]})
    assert response.status_code == 303
    return list(Evidence.objects.order_by("id"))


def test_evidence_and_thumbnails_are_stored_and_served_only_to_those_who_see_the_ticket(
        client, file_storage, merchant, outsider, agent, pending_ticket):
    evidence = reply_with_images(client, merchant, pending_ticket)
    stored = file_storage.names()
    for item in evidence:
        assert {item.image.name, item.thumbnail.name} <= stored
    first = evidence[0]
    client.force_login(agent)
    for url, field in ((evidence_url(first), first.image), (thumbnail_url(first),
                                                            first.thumbnail)):
        response = client.get(url)
        assert response.status_code == 200
        with default_storage.open(field.name, "rb") as fh:
            expected = fh.read()
        assert served_bytes(response) == expected
        assert int(response["Content-Length"]) == len(expected)
        assert response["Content-Type"] == "image/png"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in response["Content-Security-Policy"]
    client.force_login(outsider)
    assert client.get(evidence_url(first)).status_code == 404
    assert client.get(thumbnail_url(first)).status_code == 404


def test_evidence_whose_object_is_gone_is_a_404(client, file_storage, merchant, agent,
                                                pending_ticket):
    [item] = reply_with_images(client, merchant, pending_ticket, count=1)
    default_storage.delete(item.image.name)
    client.force_login(agent)
    assert client.get(evidence_url(item)).status_code == 404


def test_a_reply_that_does_not_go_through_leaves_no_file(file_storage, merchant,
                                                         pending_ticket):
    before = file_storage.names()
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(pending_ticket, actor=merchant, body="晚了",
                        evidence=[upload("a.png", png_of((400, 400))),
                                  upload("b.png", png_of((10, 10)))],
                        now=pending_ticket.deadline)
    assert not Evidence.objects.exists()
    assert file_storage.names() == before


def export_done(client, merchant, make_ticket, capture, count=3) -> ExportJob:
    for _ in range(count):
        make_ticket()
    client.force_login(merchant)
    with capture(execute=True):  # the task is sent on commit (run inline here)
        assert client.post("/exports/", {}).status_code == 302
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.DONE, job.error
    return job


def test_an_export_file_downloads_for_its_requester_and_ops_only(
        client, file_storage, merchant, outsider, ops, make_ticket,
        django_capture_on_commit_callbacks):
    job = export_done(client, merchant, make_ticket, django_capture_on_commit_callbacks)
    assert file_storage.names() == {job.file.name}
    for user in (merchant, ops):
        client.force_login(user)
        response = client.get(f"/exports/{job.pk}/download/")
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert int(response["Content-Length"]) == len(body)
        rows = list(openpyxl.load_workbook(io.BytesIO(body)).active.iter_rows(values_only=True))
        assert len(rows) == 1 + 3
    client.force_login(outsider)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 404


def test_retention_deletes_the_object_and_the_download_says_expired(
        client, file_storage, merchant, make_ticket, django_capture_on_commit_callbacks):
    job = export_done(client, merchant, make_ticket, django_capture_on_commit_callbacks,
                      count=1)
    later = timezone.now() + dt.timedelta(days=8)
    assert retention.expire_old_exports(now=later) == 1
    assert file_storage.names() == set()
    assert client.get(f"/exports/{job.pk}/download/").status_code == 410


def test_a_done_job_whose_object_vanished_says_expired(
        client, file_storage, merchant, make_ticket, django_capture_on_commit_callbacks):
    job = export_done(client, merchant, make_ticket, django_capture_on_commit_callbacks,
                      count=1)
    default_storage.delete(job.file.name)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 410


def test_a_retried_export_leaves_only_its_final_file(file_storage, merchant, make_ticket):
    """What a killed attempt left in the job's folder is removed by the next run."""
    make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                   shop=merchant.shop_membership.shop)
    partial = default_storage.save(f"{job.storage_folder}/partial.xlsx", ContentFile(b"PK.."))
    assert partial in file_storage.names()
    done = builder.run_export(job.pk)
    assert done.status == ExportStatus.DONE
    assert file_storage.names() == {done.file.name}


def test_a_retry_writing_the_same_name_overwrites_the_object(file_storage):
    """The export's file name is fixed by the job (one folder each), so a second
    write of it must replace the first, not leave it beside a renamed copy."""
    first = default_storage.save("exports/1/x.xlsx", ContentFile(b"first"))
    second = default_storage.save("exports/1/x.xlsx", ContentFile(b"second"))
    if file_storage.kind == "s3":
        assert first == second == "exports/1/x.xlsx"
        with default_storage.open(second, "rb") as fh:
            assert fh.read() == b"second"
    assert len(file_storage.names()) == (1 if file_storage.kind == "s3" else 2)
