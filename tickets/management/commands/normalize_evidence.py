"""Bring evidence stored before re-encoding to the form new uploads have.

Such a row has no stored type: its file is whatever the merchant sent, under
the merchant's extension. Each one is checked and re-encoded exactly as an
upload is (tickets.evidence), stored under a new random name with the real
format's extension, with its thumbnail, the SHA-256 of the file as it was, and
its dimensions; then the old file is deleted.

A file that would be refused as an upload today (not a JPEG/PNG/GIF/WebP,
over the size or pixel caps, a decompression bomb) or that is missing is
deleted together with its row: it was never servable evidence, and keeping a
row that points at nothing would only show a broken thumbnail. The reply
event it was attached to stays. Every removal is printed.

Rows already converted are skipped, so running it again changes nothing.
Run it once after ``migrate``; until then old evidence is not served.
"""

from django.core.files import File
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db.models import Q

from tickets.evidence import EvidenceRefused, process_uploads
from tickets.models import Evidence


class Command(BaseCommand):
    help = "Re-encode evidence stored before re-encoding; delete what is not an image."

    def handle(self, *args, **options):
        converted = removed = 0
        pending = (Evidence.objects.filter(Q(content_type="") | Q(thumbnail=""))
                   .select_related("event__ticket").order_by("pk"))
        for evidence in pending.iterator(chunk_size=100):
            pk = evidence.pk
            problem = self.normalize(evidence)
            if problem is None:
                converted += 1
            else:
                removed += 1
                self.stdout.write(
                    f"evidence {pk} (ticket {evidence.event.ticket.number}, "
                    f"{evidence.original_name!r}) removed: {problem}")
        self.stdout.write(f"{converted} re-encoded, {removed} removed")

    def normalize(self, evidence: Evidence) -> str | None:
        """Convert one row; None when done, else why the row was removed."""
        old_name = evidence.image.name
        try:
            with evidence.image.open("rb") as handle:
                [image] = process_uploads(
                    [File(handle, name=evidence.original_name or old_name)])
        except (FileNotFoundError, ValueError):  # ValueError: the row has no file name
            return self.remove(evidence, "the file is missing")
        except EvidenceRefused as refused:
            return self.remove(evidence, " ".join(refused.problems))

        was_converted = bool(evidence.content_type)
        evidence.content_type = image.format.content_type  # names the new files' extension
        evidence.image.save("image", ContentFile(image.data), save=False)
        evidence.thumbnail.save("thumbnail", ContentFile(image.thumbnail), save=False)
        # Compare-and-set: a second run at the same time must not swap the files twice.
        updated = Evidence.objects.filter(pk=evidence.pk, image=old_name).update(
            image=evidence.image.name,
            thumbnail=evidence.thumbnail.name,
            content_type=image.format.content_type,
            width=image.width,
            height=image.height,
            # A row converted before lost only its thumbnail; its file is no
            # longer the upload, so its recorded hash and size stay.
            **({} if was_converted else {"sha256": image.sha256, "size": image.original_size}),
        )
        if updated:
            evidence.image.storage.delete(old_name)
        else:
            evidence.image.delete(save=False)
            evidence.thumbnail.delete(save=False)
        return None

    def remove(self, evidence: Evidence, problem: str) -> str:
        if evidence.image:
            evidence.image.delete(save=False)
        if evidence.thumbnail:
            evidence.thumbnail.delete(save=False)
        evidence.delete()
        return problem
