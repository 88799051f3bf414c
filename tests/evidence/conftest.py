"""Helpers for the evidence tests: the reply URL, the two evidence URLs and a
snapshot of what is in MEDIA_ROOT (to prove a refused upload left nothing)."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile


def reply_url(ticket) -> str:
    return f"/tickets/{ticket.number}/reply/"


def evidence_url(evidence) -> str:
    return f"/tickets/{evidence.event.ticket.number}/evidence/{evidence.pk}/"


def thumbnail_url(evidence) -> str:
    return f"{evidence_url(evidence)}thumbnail/"


def upload(name: str, content: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type=content_type)


def served_bytes(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def media_files():
    """media_files() -> the set of files under MEDIA_ROOT right now."""

    def snapshot() -> set[str]:
        root = Path(settings.MEDIA_ROOT)
        return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}

    return snapshot
