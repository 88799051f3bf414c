"""Settings for the test suite: the same settings, with Celery run inline (tests
that need the real worker path start a worker process against Redis themselves),
a fast password hasher and media files in a throw-away folder."""

import os
import tempfile

os.environ.setdefault("DEBUG", "true")


def _own_redis_database(url: str, worker: int) -> str:
    """The same Redis server, database number shifted by the pytest-xdist
    worker's index: the tests clear their Redis database and start Celery
    workers on it, which must not reach the other process's tests."""
    base, _, number = url.rpartition("/")
    database = (int(number) if number.isdigit() else 0) + worker
    if database > 15:
        raise RuntimeError(f"{url} with test worker {worker}: Redis has databases 0-15 only")
    return f"{base}/{database}"


# pytest-xdist names its processes gw0, gw1, ...; PostgreSQL test databases get
# the same suffix from pytest-django. Subprocesses the tests start inherit the
# shifted URLs from the environment.
_worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
for _name in ("REDIS_URL", "TEST_REDIS_URL"):
    if os.environ.get(_name) and int(_worker):
        os.environ[_name] = _own_redis_database(os.environ[_name], int(_worker))

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
