"""``Idempotency-Key`` on every POST: the same key from the same user within
24 hours replays the first response (status and body) and does nothing again;
the same key with another request is refused (422 ``idempotency_conflict``).

The key is claimed by inserting its row, committed at once, before the work:
the lifecycle's transitions are durable transactions and cannot run inside
ours. A racing second request with the key meets the unique constraint (on
PostgreSQL its INSERT waits for the first one's commit) and then waits for the
first response to be stored. A response of the server's failing (5xx), or one
worth retrying (429), gives the key back."""

from __future__ import annotations

import hashlib
import json
import time
from datetime import timedelta
from functools import wraps

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response

from .models import IdempotencyRecord
from .problems import ApiProblem

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = 255
# How long a second request waits for the first one with its key to finish.
WAIT_SECONDS = 30
POLL_SECONDS = 0.05
KEPT_HEADERS = ("Retry-After", "Location")


def _fingerprint(request) -> str:
    """What the request asks for: method, path, fields and uploaded files (by
    name, size and content hash), independent of field order."""
    data = request.data
    if hasattr(data, "lists"):
        fields = sorted((name, [v for v in values if isinstance(v, str)])
                        for name, values in data.lists())
    else:
        fields = data
    files = []
    for name, uploads in sorted(request.FILES.lists()):
        for upload in uploads:
            digest = hashlib.sha256()
            for chunk in upload.chunks():
                digest.update(chunk)
            upload.seek(0)
            files.append([name, upload.name, upload.size, digest.hexdigest()])
    payload = json.dumps([request.method, request.path, fields, files], sort_keys=True,
                         default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def _conflict():
    return ApiProblem(status=422, code="idempotency_conflict", detail=_(
        "This Idempotency-Key was already used for a different request."))


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.body, status=record.status_code, headers=record.headers,
                        content_type=record.content_type or None)
    response["Idempotent-Replayed"] = "true"
    return response


def _claim(user, key: str, fingerprint: str):
    """The new record (go ahead), or the stored response to replay."""
    waited_until = time.monotonic() + WAIT_SECONDS
    while True:
        now = timezone.now()
        IdempotencyRecord.objects.filter(user=user, key=key, created_at__lt=now - KEPT_FOR).delete()
        try:
            with transaction.atomic():
                return IdempotencyRecord.objects.create(
                    user=user, key=key, fingerprint=fingerprint, created_at=now), None
        except IntegrityError:
            pass
        record = IdempotencyRecord.objects.filter(user=user, key=key).first()
        if record is None:
            continue  # the first request gave the key back: claim it again
        if record.fingerprint != fingerprint:
            raise _conflict()
        if record.status_code is not None:
            return None, _replay(record)
        if time.monotonic() > waited_until:
            raise ApiProblem(status=409, code="idempotency_conflict", detail=_(
                "A request with this Idempotency-Key is still being processed. "
                "Try again shortly."))
        time.sleep(POLL_SECONDS)


def idempotent(handler):
    """Wrap an APIView's ``post``: authentication, permissions and throttling
    have run, so the user is known."""

    @wraps(handler)
    def wrapper(view, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not key.strip() or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise ApiProblem(status=400, code="validation_error", detail=_(
                "The Idempotency-Key header must be 1 to 255 printable characters."),
                errors={HEADER: [_("1 to 255 printable characters.")]})
        record, replay = _claim(request.user, key, _fingerprint(request))
        if replay is not None:
            return replay
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            response = view.handle_exception(exc)
        if response.status_code >= 500 or response.status_code == 429:
            record.delete()
            return response
        record.status_code = response.status_code
        record.content_type = response.content_type or ""
        record.body = json.loads(JSONRenderer().render(response.data) or b"null")
        record.headers = {name: response[name] for name in KEPT_HEADERS if name in response}
        record.save(update_fields=["status_code", "content_type", "body", "headers"])
        return response

    return wrapper


PRUNE_BATCH_SIZE = 5000


def prune_expired(*, now=None, batch_size: int = PRUNE_BATCH_SIZE) -> int:
    """Delete records older than a day (no replay is due for them), a batch at
    a time so no long transaction holds the table. Returns how many."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    removed = 0
    while True:
        ids = list(IdempotencyRecord.objects.filter(created_at__lt=cutoff)
                   .values_list("pk", flat=True)[:batch_size])
        if not ids:
            return removed
        removed += IdempotencyRecord.objects.filter(pk__in=ids).delete()[0]
