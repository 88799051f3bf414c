"""Settings for the test suite: the same settings, with Celery run inline (tests
that need the real worker path start a worker process against Redis themselves),
a fast password hasher and media files in a throw-away folder."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")

from .settings import *  # noqa: E402,F403

CELERY_TASK_ALWAYS_EAGER = True
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_BROKER_URL = "memory://"
CELERY_BROKER_TRANSPORT_OPTIONS = {}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="servicedesk-test-media-")
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}

# Sessions as production keeps them with Redis (cached_db), also when the suite
# runs without Redis: one process, so its local cache is shared by every request,
# and the query counts the tests pin are production's.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# The webhook tests deliver to receivers on 127.0.0.1; the SSRF tests turn
# this off for themselves.
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True

# django-axes logs every login attempt; the suite makes thousands.
AXES_VERBOSE = False
