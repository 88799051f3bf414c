"""Evidence images: at most four per reply, images only (checked by decoding the
content with Pillow, never by trusting the extension or the browser's content
type), each under a size cap."""

from collections.abc import Sequence

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "GIF", "WEBP"}


def validate_evidence(files: Sequence[UploadedFile]) -> list[str]:
    """Return a list of readable problems (empty when every file is fine)."""
    problems = []
    if len(files) > settings.EVIDENCE_MAX_FILES:
        problems.append(_("Attach at most %(max)d images.") % {"max": settings.EVIDENCE_MAX_FILES})
    for upload in files:
        name = upload.name or _("file")
        if upload.size > settings.EVIDENCE_MAX_BYTES:
            problems.append(_("%(name)s is larger than %(limit)s.") % {
                "name": name, "limit": filesizeformat(settings.EVIDENCE_MAX_BYTES)})
            continue
        try:
            upload.seek(0)
            with Image.open(upload) as image:
                image_format = image.format
                image.verify()
        except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
            image_format = None
        finally:
            upload.seek(0)
        if image_format not in ALLOWED_FORMATS:
            problems.append(_("%(name)s is not a JPEG, PNG, GIF or WebP image.") % {"name": name})
    return problems
