"""Liveness and readiness for load balancers. ``livez``: the process answers
(nothing else is asked, so a slow database never gets a healthy process
restarted); it is also the floor of the load benchmark, the cheapest response
this stack can give. ``healthz``: the database answers, the broker accepts a
connection, and the file bucket answers a HEAD when files are kept in S3. A
failed check is logged with its exception, so a 503 in the balancer's view has
its reason in our log."""

import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from servicedesk.file_storage import storage_reachable

logger = logging.getLogger(__name__)


def _database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any failure means "not ready"
        logger.exception("healthz: the database is not reachable")
        return False


def _broker_ok() -> bool:
    from servicedesk.celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
        return True
    except Exception:  # any failure means "not ready"
        logger.exception("healthz: the broker is not reachable")
        return False


@never_cache
@require_GET
def livez(request):
    return HttpResponse("ok", content_type="text/plain")


@never_cache
@require_GET
def healthz(request):
    checks = {"database": _database_ok(), "broker": _broker_ok()}
    storage = storage_reachable()  # None: files are on this machine's disk
    if storage is not None:
        checks["storage"] = storage
    ok = all(checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", **checks},
                        status=200 if ok else 503)
