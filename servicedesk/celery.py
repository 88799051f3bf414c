"""The Celery app. Workers: ``celery -A servicedesk worker``; exactly one
``celery -A servicedesk beat`` per deployment (or ``worker -B`` when there is a
single worker, as in ``make demo``)."""

import gc
import os

from celery import Celery
from celery.signals import worker_process_init

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@worker_process_init.connect
def freeze_startup_heap(**kwargs):
    """Each pool process: move what loading the app allocated (Django's apps,
    models, URL patterns, translations) out of the garbage collector's sight,
    as the web workers do (gunicorn.conf.py). A sweep batch or an export keeps
    thousands of rows alive, enough to set off full collections, and each one
    walked that whole heap again (bench_sweep: one full collection of 55-83 ms
    per 20,000 timeouts)."""
    gc.collect()
    gc.freeze()
