"""A cap on the size of request bodies, answered with a translated 413 page.

Django bounds form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) but not uploaded
files, and turns its own RequestDataTooBig into a 400. Here:

- a declared Content-Length above REQUEST_BODY_MAX_BYTES is refused before a
  byte of the body is read;
- a chunked body (no Content-Length; gunicorn passes it on de-chunked) is read
  into a spooled file only up to the cap, then refused. Django would otherwise
  read such a body as empty, and the upload would vanish without a word;
- Django's RequestDataTooBig, wherever the body is parsed, becomes the same 413.

ASGI servers read the whole body before Django sees it; this cap protects the
WSGI deployment (gunicorn) only, as does a proxy's own limit (nginx
client_max_body_size) in front of either.
"""

import tempfile

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.core.handlers.wsgi import LimitedStream
from django.shortcuts import render
from django.utils.translation import gettext as _

CHUNK = 64 * 1024


class RequestBodyLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        limit = settings.REQUEST_BODY_MAX_BYTES
        declared = _declared_length(request)
        if declared is not None and declared > limit:
            return too_large(request)
        spool = None
        if declared is None and "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
            spool = _spool_chunked_body(request, limit)
            if spool is None:
                return too_large(request)
        try:
            if request.method == "POST":
                # Parse here, where a RequestDataTooBig can still become a 413:
                # raised later (in CSRF's check, before any view) Django answers 400.
                try:
                    request.POST  # noqa: B018
                except RequestDataTooBig:
                    return too_large(request)
            return self.get_response(request)
        finally:
            if spool is not None:
                spool.close()

    def process_exception(self, request, exception):
        # A view reading request.body itself meets the same limit.
        if isinstance(exception, RequestDataTooBig):
            return too_large(request)
        return None


def too_large(request):
    if request.path.startswith("/api/"):
        from api.problems import plain_problem

        return plain_problem(413, "request_too_large", _("The request is too large."))
    response = render(request, "413.html", {
        "limit": settings.REQUEST_BODY_MAX_BYTES,
        "evidence_max_files": settings.EVIDENCE_MAX_FILES,
        "evidence_max_bytes": settings.EVIDENCE_MAX_BYTES,
    }, status=413)
    # No "Connection: close" although the rest of the body stays unread: WSGI
    # forbids hop-by-hop headers from the application (runserver asserts on
    # them); the server decides what to do with the connection.
    return response


def _declared_length(request) -> int | None:
    try:
        value = int(request.META.get("CONTENT_LENGTH") or "")
    except ValueError:
        return None
    return value if value >= 0 else None


def _spool_chunked_body(request, limit: int):
    """Read the streamed body up to ``limit`` bytes into a spooled file (memory
    up to FILE_UPLOAD_MAX_MEMORY_SIZE, then disk) for Django to parse. None
    when the body is longer than the limit."""
    source = getattr(request, "environ", {}).get("wsgi.input")  # ASGI requests have none
    spool = tempfile.SpooledTemporaryFile(max_size=settings.FILE_UPLOAD_MAX_MEMORY_SIZE)
    size = 0
    while source is not None and (chunk := source.read(min(CHUNK, limit + 1 - size))):
        size += len(chunk)
        if size > limit:
            spool.close()
            return None
        spool.write(chunk)
    spool.seek(0)
    request.META["CONTENT_LENGTH"] = str(size)
    # Nothing has read the request yet (its stream was built for a length of
    # 0); this is the stream Django's WSGIRequest builds for a declared length.
    request._stream = LimitedStream(spool, size)
    return spool
