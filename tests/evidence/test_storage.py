"""Evidence is decoded once per upload, written before the ticket is locked,
and gone again (image and thumbnail) when the reply does not go through."""

import pytest
from django.core.files.storage import default_storage

from tests.evidence.conftest import reply_url, upload
from tests.evidence.images import png_of
from tickets import evidence as evidence_module
from tickets import lifecycle
from tickets.errors import DeadlinePassed
from tickets.models import Evidence


def test_a_reply_through_the_page_decodes_each_image_once(client, merchant, pending_ticket,
                                                          monkeypatch):
    opened = []
    real_open = evidence_module.Image.open

    def counting_open(*args, **kwargs):
        opened.append(1)
        return real_open(*args, **kwargs)

    monkeypatch.setattr(evidence_module.Image, "open", counting_open)
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket), {
        "body": "见图", "evidence": [upload("a.png", png_of((20, 20))),
                                    upload("b.png", png_of((30, 30)))]})
    assert response.status_code == 303
    assert Evidence.objects.count() == 2
    assert len(opened) == 2


def test_a_failed_transition_removes_images_and_thumbnails(merchant, pending_ticket,
                                                           media_files):
    before = media_files()
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(pending_ticket, actor=merchant, body="晚了",
                        evidence=[upload("a.png", png_of((400, 400))),
                                  upload("b.png", png_of((10, 10)))],
                        now=pending_ticket.deadline)
    assert not Evidence.objects.exists()
    assert media_files() == before


def test_files_are_on_storage_before_the_ticket_is_locked(merchant, pending_ticket,
                                                          monkeypatch, media_files):
    """Slow I/O never happens while the row is locked."""
    on_storage_at_lock = []
    real_lock = lifecycle._lock

    def look_then_lock(ticket, **kwargs):
        on_storage_at_lock.append(media_files())
        return real_lock(ticket, **kwargs)

    monkeypatch.setattr(lifecycle, "_lock", look_then_lock)
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("a.png", png_of((10, 10)))])
    evidence = Evidence.objects.get()
    [files] = on_storage_at_lock
    assert {evidence.image.name, evidence.thumbnail.name} <= files


def test_a_write_failing_part_way_leaves_no_file_behind(merchant, pending_ticket, media_files,
                                                        monkeypatch):
    before = media_files()
    real_save = default_storage.save
    saves = []

    def failing_third_save(name, content, **kwargs):
        saves.append(name)
        if len(saves) == 3:  # the second image, after the first image and thumbnail
            raise OSError("disk full")
        return real_save(name, content, **kwargs)

    monkeypatch.setattr(default_storage, "save", failing_third_save)
    with pytest.raises(OSError):
        lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                        evidence=[upload("a.png", png_of((10, 10))),
                                  upload("b.png", png_of((12, 12)))])
    assert len(saves) == 3
    assert not Evidence.objects.exists()
    assert media_files() == before
