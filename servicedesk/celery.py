"""The Celery app. Workers: ``celery -A servicedesk worker``; exactly one
``celery -A servicedesk beat`` per deployment (or ``worker -B`` when there is a
single worker, as in ``make demo``)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "servicedesk.settings")

app = Celery("servicedesk")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
