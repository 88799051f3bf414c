"""Helpers for the page tests: tiny real images for evidence uploads."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def png_bytes(color=(200, 30, 30), size=(8, 8)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    return buffer.getvalue()


@pytest.fixture
def image_upload():
    """image_upload("a.png") -> a real PNG as an uploaded file."""

    def make(name="evidence.png", content=None):
        return SimpleUploadedFile(name, content or png_bytes(), content_type="image/png")

    return make
