"""What only the S3 storage has: the cost of one download, private objects, the
bucket in /healthz and the settings that choose it."""

import urllib.error
import urllib.request

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from exports.models import ExportJob
from tests.evidence.conftest import evidence_url
from tests.s3server import use_bucket
from tests.storage.test_object_storage import export_done, reply_with_images
from tests.test_settings import run_check

ALL_USERS = "http://acs.amazonaws.com/groups/global/AllUsers"


@pytest.fixture
def bucket(s3_server, settings, monkeypatch, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    name = s3_server.new_bucket()
    use_bucket(monkeypatch, settings, s3_server, name)
    return name


@pytest.mark.django_db
def test_one_download_is_one_get_streamed_through_the_view(
        client, s3_server, bucket, merchant, agent, pending_ticket, make_ticket,
        django_capture_on_commit_callbacks):
    [item] = reply_with_images(client, merchant, pending_ticket, count=1)
    client.force_login(agent)
    mark = s3_server.log_mark()
    response = client.get(evidence_url(item))
    body = b"".join(response.streaming_content)
    assert s3_server.requests_since(mark) == [("GET", f"/{bucket}/{item.image.name}", 200)]
    assert len(body) == int(response["Content-Length"]) == default_storage.size(item.image.name)

    job = export_done(client, merchant, make_ticket, django_capture_on_commit_callbacks)
    mark = s3_server.log_mark()
    response = client.get(f"/exports/{job.pk}/download/")
    body = b"".join(response.streaming_content)
    assert s3_server.requests_since(mark) == [("GET", f"/{bucket}/{job.file.name}", 200)]
    assert len(body) == default_storage.size(job.file.name)


@pytest.mark.django_db
def test_nothing_in_the_bucket_is_public(client, s3_server, bucket, merchant, pending_ticket,
                                         make_ticket, django_capture_on_commit_callbacks):
    [item] = reply_with_images(client, merchant, pending_ticket, count=1)
    export_done(client, merchant, make_ticket, django_capture_on_commit_callbacks, count=1)
    names = {item.image.name, item.thumbnail.name, ExportJob.objects.get().file.name}
    assert s3_server.keys(bucket) == names
    for key in names:
        grants = s3_server.client().get_object_acl(Bucket=bucket, Key=key)["Grants"]
        assert all(g["Grantee"].get("URI") != ALL_USERS for g in grants), grants
    grants = s3_server.client().get_bucket_acl(Bucket=bucket)["Grants"]
    assert all(g["Grantee"].get("URI") != ALL_USERS for g in grants), grants


def test_an_anonymous_request_for_an_object_is_refused(s3_server, bucket):
    default_storage.save("evidence/x.png", ContentFile(b"\x89PNG"))
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{s3_server.url}/{bucket}/evidence/x.png", timeout=10)
    assert refused.value.code == 403


@pytest.mark.django_db
def test_healthz_reports_the_bucket(client, bucket):
    response = client.get("/healthz")
    assert response.json()["storage"] is True


@pytest.mark.django_db
def test_healthz_is_503_when_the_bucket_is_missing(client, s3_server, bucket):
    s3_server.client().delete_bucket(Bucket=bucket)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["storage"] is False


@pytest.mark.django_db
def test_healthz_has_no_storage_check_for_local_files(client, settings):
    assert settings.FILE_STORAGE == "filesystem"
    assert "storage" not in client.get("/healthz").json()


def test_an_unknown_file_storage_stops_start_up():
    result = run_check(FILE_STORAGE="ftp")
    assert result.returncode != 0
    assert "FILE_STORAGE" in result.stderr


def test_s3_without_a_bucket_stops_start_up():
    result = run_check(FILE_STORAGE="s3", S3_BUCKET="")
    assert result.returncode != 0
    assert "S3_BUCKET" in result.stderr


def test_s3_with_a_bucket_starts(s3_server):
    result = run_check(**s3_server.env("any-bucket"))
    assert result.returncode == 0, result.stderr
