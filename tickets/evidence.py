"""Evidence images: at most four per reply, each under a size cap, each a JPEG,
PNG, GIF or WebP as its bytes say (never its name or the browser's content
type), within a pixel budget read from the header before anything is decoded.

Merchants upload what agents open, so nothing a merchant sent is ever served:
every image is decoded once and re-encoded by Pillow here, which leaves behind
EXIF/GPS, text chunks, comments and whatever was appended to the file. The
stored file and its thumbnail carry the detected format's extension and type.
"""

from __future__ import annotations

import hashlib
import io
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.core.files import File
from django.template.defaultfilters import filesizeformat
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from PIL import Image, ImageOps

from .errors import InvalidInput

THUMBNAIL_SIDE = 320


@dataclass(frozen=True)
class StoredFormat:
    pillow_name: str
    content_type: str
    extension: str


FORMATS = {
    "JPEG": StoredFormat("JPEG", "image/jpeg", "jpg"),
    "PNG": StoredFormat("PNG", "image/png", "png"),
    "GIF": StoredFormat("GIF", "image/gif", "gif"),
    "WEBP": StoredFormat("WEBP", "image/webp", "webp"),
}
FORMAT_FOR_CONTENT_TYPE = {f.content_type: f for f in FORMATS.values()}
# Pillow's JPEG decoder names a phone's multi-picture JPEG "MPO"; its first
# picture is a JPEG.
DETECTED_AS = {"MPO": "JPEG"}

# What Pillow raises on a file it cannot make sense of, besides its own
# UnidentifiedImageError (an OSError): truncated or corrupt data, oversized
# text chunks (ValueError), broken headers.
DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError,
                 struct.error)


class EvidenceRefused(InvalidInput):
    """One or more evidence files are refused; ``problems`` are the readable
    reasons, one per file (the form shows them at the field)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(" ".join(problems))


@dataclass(frozen=True)
class ProcessedImage:
    """An upload that passed every check, re-encoded and ready to store."""

    original_name: str
    original_size: int
    sha256: str  # of the bytes the merchant sent, not of what we store
    format: StoredFormat
    width: int
    height: int
    data: bytes
    thumbnail: bytes


def process_uploads(files: Sequence[File | ProcessedImage]) -> list[ProcessedImage]:
    """Check and re-encode a reply's evidence; raise EvidenceRefused with every
    problem found. Files already processed (by the form) pass through, so each
    image is decoded exactly once however many layers look at it."""
    problems = []
    if len(files) > settings.EVIDENCE_MAX_FILES:
        problems.append(_("Attach at most %(max)d images.") % {"max": settings.EVIDENCE_MAX_FILES})
    processed = []
    for item in files:
        if isinstance(item, ProcessedImage):
            processed.append(item)
            continue
        name = item.name or _("file")
        if item.size > settings.EVIDENCE_MAX_BYTES:
            problems.append(_("%(name)s is larger than %(limit)s.") % {
                "name": name, "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)})
            continue
        item.seek(0)
        try:
            processed.append(process_image(item.read(), name=name))
        except EvidenceRefused as refused:
            problems.extend(refused.problems)
        finally:
            item.seek(0)
    if problems:
        raise EvidenceRefused(problems)
    return processed


def process_image(data: bytes, *, name: str) -> ProcessedImage:
    """Detect, bound, decode once, re-encode; EvidenceRefused when any step says no."""
    try:
        # formats=: only these decoders ever look at the bytes (no EPS, PSD, ...).
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as image:
            stored_format = FORMATS[DETECTED_AS.get(image.format, image.format)]
            _check_dimensions(image.size, name)
            # Only now, with the header's dimensions within bounds, decode.
            image.load()
            upright = _upright_and_clean(image, stored_format)
            stored = encode(upright, stored_format)
            thumbnail = encode(_thumbnail_of(upright), stored_format)
    except Image.DecompressionBombError:
        # Pillow refuses in open(), before we see the size: far beyond our caps.
        raise EvidenceRefused([_too_large(name)]) from None
    except DECODE_ERRORS:
        raise EvidenceRefused([
            _("%(name)s is not a JPEG, PNG, GIF or WebP image.") % {"name": name}]) from None
    return ProcessedImage(
        original_name=name[:200],
        original_size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        format=stored_format,
        width=upright.width,
        height=upright.height,
        data=stored,
        thumbnail=thumbnail,
    )


def _check_dimensions(size: tuple[int, int], name: str) -> None:
    width, height = size
    if (max(width, height) > settings.EVIDENCE_MAX_SIDE
            or width * height > settings.EVIDENCE_MAX_PIXELS):
        raise EvidenceRefused([
            _("%(name)s is %(width)d × %(height)d pixels; images may be at most %(side)s "
              "pixels on a side and %(pixels)s pixels in all.") % {
                "name": name, "width": width, "height": height, **_limits()}])


def _too_large(name: str) -> str:
    return _("%(name)s is too large to open; images may be at most %(side)s pixels on a "
             "side and %(pixels)s pixels in all.") % {"name": name, **_limits()}


def _limits() -> dict:
    return {"side": number_format(settings.EVIDENCE_MAX_SIDE, force_grouping=True),
            "pixels": number_format(settings.EVIDENCE_MAX_PIXELS, force_grouping=True)}


def _upright_and_clean(image: Image.Image, stored_format: StoredFormat) -> Image.Image:
    """The decoded first frame, turned the way its EXIF orientation says (the
    tag itself is dropped with the rest of the metadata), in a mode the format
    stores well, with no metadata left in ``info``.

    An animated GIF or WebP keeps only its first frame: evidence is a still
    picture, and decoding every frame would multiply the cost of one upload by
    a frame count the merchant chooses."""
    # In place and converted only when needed: at 40 megapixels every copy of
    # the decoded image costs 120 MB or more.
    ImageOps.exif_transpose(image, in_place=True)
    transparency = image.info.get("transparency")
    upright = image
    if stored_format.pillow_name == "JPEG":
        mode = "L" if image.mode in ("1", "L") else "RGB"
    elif stored_format.pillow_name == "WEBP":
        mode = "RGBA" if image.has_transparency_data else "RGB"
    else:
        mode = image.mode if image.mode in ("1", "L", "LA", "P", "RGB", "RGBA") else "RGBA"
    if mode != image.mode:
        upright = image.convert(mode)
    # Nothing of the original's metadata goes on: no EXIF, ICC profile, text
    # chunks or comments (colour profiles are dropped too; evidence is not
    # colour-critical, and every parser a profile reaches is attack surface).
    upright.info = {}
    if transparency is not None and upright.mode in ("P", "L", "RGB"):
        upright.info["transparency"] = transparency
    return upright


def _thumbnail_of(image: Image.Image) -> Image.Image:
    """At most THUMBNAIL_SIDE on the longer side, never enlarged. resize()
    makes the small image directly (Image.thumbnail would need a full-size copy
    first, as it works in place)."""
    # Palette and 1-bit images would be shrunk by dropping pixels; in RGBA/L
    # they are resampled properly.
    if image.mode in ("P", "1"):
        image = image.convert({"P": "RGBA", "1": "L"}[image.mode])
    scale = min(1.0, THUMBNAIL_SIDE / max(image.size))
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    return image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)


# PNG at zlib level 1: a 6-megapixel photo saved as PNG took 12.8 s to
# re-encode at Pillow's default level 6 and 2.5 s at level 1 (25 % larger) on
# this project's machines. Four of them in one reply must not outlast a
# worker's timeout.
ENCODER_OPTIONS = {"JPEG": {"quality": 85}, "WEBP": {"quality": 85},
                   "PNG": {"compress_level": 1}}


def encode(image: Image.Image, stored_format: StoredFormat) -> bytes:
    buffer = io.BytesIO()
    options = ENCODER_OPTIONS.get(stored_format.pillow_name, {})
    if stored_format.pillow_name == "GIF" and image.mode not in ("P", "L", "1"):
        # A thumbnail is resampled in RGB(A); GIF wants a palette back.
        image = image.convert("RGB").quantize()
    image.save(buffer, format=stored_format.pillow_name, **options)
    return buffer.getvalue()
