"""Serving evidence files: the one response both the detail page and the API send."""

from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404

from servicedesk.file_storage import open_for_download

from .models import Evidence, Ticket

# A merchant's image is opened by agents on our origin: even if a browser were
# talked into treating it as a document, it may load nothing and run nothing.
EVIDENCE_CSP = "default-src 'none'; img-src 'self'; sandbox"


def evidence_response(user, number: str, evidence_id: int, field: str = "image") -> FileResponse:
    """Evidence is served only to people who can see its ticket (neither the
    media folder nor the bucket is ever exposed; anyone else gets Http404), only once
    re-encoded (a row without a stored type predates that), with the type it
    was stored as."""
    ticket = get_object_or_404(Ticket.objects.visible_to(user), number=number)
    evidence = get_object_or_404(Evidence, pk=evidence_id, event__ticket=ticket)
    file = getattr(evidence, field)
    if not evidence.is_servable or not file:
        raise Http404
    try:
        # On S3 one GET (no HEAD before it); the bytes stream through as they arrive.
        handle, size = open_for_download(file)
    except FileNotFoundError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=evidence.content_type,
                            filename=f"evidence-{evidence.pk}.{evidence.extension}")
    response["Content-Length"] = size
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = EVIDENCE_CSP
    response["Cache-Control"] = "private, max-age=3600"
    return response
