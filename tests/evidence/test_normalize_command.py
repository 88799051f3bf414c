"""normalize_evidence brings evidence stored before re-encoding to the form new
uploads have: typed from the bytes, re-encoded, renamed with the real
extension, sha256 and thumbnail recorded. A file that is not an acceptable
image is deleted with its row. Running it again changes nothing. The tests
taking ``file_storage`` run on the local filesystem and on an S3 bucket."""

import hashlib
import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from PIL import Image

from tests.evidence.conftest import evidence_url
from tests.evidence.images import jpeg_with_exif, png_header_claiming, png_with_script
from tickets import lifecycle
from tickets.models import Evidence


@pytest.fixture
def reply_event(merchant, pending_ticket):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图")
    return pending_ticket.events.get(kind="replied")


def legacy(event, name, content) -> Evidence:
    """A row as the code before re-encoding stored it: the client's extension, no
    type, no hash, no thumbnail."""
    path = default_storage.save(f"evidence/2026/01/legacy.{name.rsplit('.', 1)[-1]}",
                                ContentFile(content))
    return Evidence.objects.create(event=event, original_name=name, size=len(content),
                                   image=path)


def run() -> str:
    out = io.StringIO()
    call_command("normalize_evidence", stdout=out)
    return out.getvalue()


def test_old_evidence_is_re_encoded_renamed_hashed_and_thumbnailed(reply_event, client,
                                                                  agent, file_storage):
    script_png = png_with_script(size=(400, 200))
    old = legacy(reply_event, "photo.html", script_png)
    old_name = old.image.name
    storage = old.image.storage

    output = run()

    evidence = Evidence.objects.get(pk=old.pk)
    assert evidence.content_type == "image/png"
    assert evidence.image.name.endswith(".png") and evidence.image.name != old_name
    assert not storage.exists(old_name)
    assert evidence.sha256 == hashlib.sha256(script_png).hexdigest()
    assert (evidence.width, evidence.height) == (400, 200)
    with evidence.image.open("rb") as handle:
        assert b"<script" not in handle.read()
    with evidence.thumbnail.open("rb") as handle:
        assert Image.open(handle).size == (320, 160)
    assert "1 re-encoded" in output
    client.force_login(agent)
    assert client.get(evidence_url(evidence))["Content-Type"] == "image/png"


def test_old_jpeg_loses_its_exif(reply_event):
    old = legacy(reply_event, "camera.jpeg", jpeg_with_exif())
    run()
    evidence = Evidence.objects.get(pk=old.pk)
    assert evidence.image.name.endswith(".jpg")
    with evidence.image.open("rb") as handle:
        assert b"SecretCam" not in handle.read()


@pytest.mark.parametrize("content", [b"<script>alert(1)</script>",
                                     png_header_claiming(30_000, 30_000)],
                         ids=["not an image", "decompression bomb"])
def test_old_files_that_are_not_acceptable_images_are_deleted_with_their_row(
        reply_event, content, file_storage):
    old = legacy(reply_event, "evil.html", content)
    storage, name = old.image.storage, old.image.name
    output = run()
    assert not Evidence.objects.filter(pk=old.pk).exists()
    assert not storage.exists(name)
    assert "1 removed" in output
    assert f"evidence {old.pk}" in output


def test_a_row_whose_file_is_missing_is_deleted(reply_event, file_storage):
    old = legacy(reply_event, "gone.png", png_with_script())
    old.image.storage.delete(old.image.name)
    run()
    assert not Evidence.objects.filter(pk=old.pk).exists()


def test_running_it_again_changes_nothing(reply_event, merchant, make_ticket):
    legacy(reply_event, "photo.html", png_with_script())
    fresh = make_ticket()
    lifecycle.reply(fresh, actor=merchant, body="新",
                    evidence=[ContentFile(png_with_script(), name="new.png")])
    run()
    before = list(Evidence.objects.values_list("pk", "image", "thumbnail", "sha256",
                                               "content_type"))
    output = run()
    assert list(Evidence.objects.values_list("pk", "image", "thumbnail", "sha256",
                                             "content_type")) == before
    assert "0 re-encoded, 0 removed" in output
