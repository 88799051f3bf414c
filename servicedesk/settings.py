"""Settings for the service-ticket desk.

Everything that differs between a laptop and production comes from environment
variables. The defaults are the embedded run: SQLite and a filesystem Celery broker
under ``var/``, so ``make demo`` needs no services. Production sets ``DATABASE_URL``,
``CELERY_BROKER_URL``/``REDIS_URL``, ``SECRET_KEY``, ``ALLOWED_HOSTS`` and
``DEBUG=false``.
"""

import math
import re
from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from .envvars import env_bool, env_float, env_int
from .file_storage import default_storage_from_env

BASE_DIR = Path(__file__).resolve().parent.parent
# Nothing here creates folders: importing settings has no side effects. The
# folders the embedded run needs are made at start-up (servicedesk/apps.py).
VAR_DIR = Path(environ.Env().str("VAR_DIR", default=str(BASE_DIR / "var")))

# django-environ for strings, lists and URLs; booleans and numbers go through
# the strict helpers, so a typo such as DEBUG=ture or EXPORT_MAX_ROWS=lots stops
# start-up with the variable's name instead of being guessed.
env = environ.Env()

# Marked development key: refused below whenever DEBUG is off.
DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
DEBUG = env_bool("DEBUG", default=True)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
    raise ImproperlyConfigured(
        "DEBUG is off but SECRET_KEY is the development key or shorter than 32 "
        "characters. Set SECRET_KEY in the environment to a long random value."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Django's admin, refusing an empty ?_to_field= and NUL bytes (500s in Django's own).
    "servicedesk.admin_site.ServicedeskAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "django_htmx",
    "csp",
    "axes",
    "servicedesk",
    "tickets",
    "notifications",
    "exports",
    "webhooks",
    "scorecard",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # After the locale middleware, so its 413 page is the site's own, in the user's
    # language; it still runs before any view or CSRF check reads the body, and
    # nothing above reads it.
    "servicedesk.request_limits.RequestBodyLimitMiddleware",
    # Last, as django-axes asks: it turns a lockout raised during authentication
    # into the 429 page.
    "axes.middleware.AxesMiddleware",
]

# Content Security Policy on every response. No inline or eval'd script and no
# inline style anywhere: behaviour lives in servicedesk/static/js, looks in
# app.css, and htmx is configured (base.html) not to eval or inject styles, so
# text a merchant manages to get into a page cannot run. data: images only for
# the empty favicon of the layout.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# Login throttling (django-axes). A (username, address) pair that failed
# LOGIN_FAILURE_LIMIT times in a row is refused for LOGIN_LOCKOUT_MINUTES, even
# with the right password; other users from the same address are not affected,
# and a successful login resets the pair's count. The admin login goes through
# the same authentication, so it is covered too. The address is REMOTE_ADDR
# (django-ipware is not installed, so forwarded headers, which a client can
# forge, are never read); see the README for what that means behind a proxy.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's ModelBackend, loading the session's user with role and shop.
    "tickets.auth.RoleAwareBackend",
]
LOGIN_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", default=10, minimum=1)
LOGIN_LOCKOUT_MINUTES = env_int("LOGIN_LOCKOUT_MINUTES", default=15, minimum=1)
AXES_FAILURE_LIMIT = LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=LOGIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "servicedesk.lockout.locked_out"

ROOT_URLCONF = "servicedesk.urls"
WSGI_APPLICATION = "servicedesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tickets.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; the busy timeout
    # rides out the short write locks the sweep takes in batches.
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env_int("CONN_MAX_AGE", default=60, minimum=0))
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Statements this app prepares itself (tickets/compiled.py: the user and
    # token lookups, an ERP sync's pages) are planned once for any value: each
    # is a lookup or a keyset page over an index, where every value gets that
    # plan anyway, and by default PostgreSQL kept planning the sync's page
    # afresh on every run. Django sends every other query as text with its
    # values in it, which this setting does not touch.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "options", "-c plan_cache_mode=force_generic_plan")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "/tickets/"
LOGOUT_REDIRECT_URL = "login"

# Language and time: Chinese by default, English available; stored in UTC, shown
# in the shop's zone.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "servicedesk" / "locale"]
# The header's language switch sticks for a year, not just until the browser closes.
LANGUAGE_COOKIE_AGE = 60 * 60 * 24 * 365
USE_I18N = True
TIME_ZONE = env.str("TIME_ZONE", default="Asia/Shanghai")
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
# servicedesk/static is found as the servicedesk app's static folder.
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# Evidence and export files: MEDIA_ROOT by default, a private S3(-compatible)
# bucket with FILE_STORAGE=s3 (S3_BUCKET, S3_ENDPOINT_URL, S3_REGION,
# S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY) when more than one machine serves them.
FILE_STORAGE, _default_storage = default_storage_from_env(env)
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Redis serves as broker and cache in production; the embedded run has neither.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                          "LOCATION": REDIS_URL}}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read from the shared cache and written through to the database:
# a page no longer reads the session table, and a Redis restart (or flush)
# logs nobody out. Only with a shared cache: per-process memory would keep a
# session that logged out in one process alive in the others.
SESSION_ENGINE = ("django.contrib.sessions.backends.cached_db" if REDIS_URL
                  else "django.contrib.sessions.backends.db")

# Celery. The filesystem transport needs its folders made by us (servicedesk/apps.py).
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
if CELERY_BROKER_URL.startswith("filesystem://"):
    # servicedesk/apps.py creates these folders at start-up.
    _broker = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker / "queue"),
        "data_folder_out": str(_broker / "queue"),
        "processed_folder": str(_broker / "processed"),
        "store_processed": False,
        "control_folder": str(_broker / "control"),
    }
else:
    # Redis redelivers an unacknowledged message after this long. It must exceed
    # the longest task's hard time limit (CELERY_TASK_TIME_LIMIT, checked below),
    # or a message an acks_late worker is still working on runs twice at once.
    # It is also how long a task whose worker was SIGKILLed waits to be
    # redelivered; the sweep does not depend on that, the next beat tick redoes it.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", default=3600, minimum=1),
    }
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
# A task is acknowledged after it ran, and requeued if its worker dies: every task
# here is idempotent, so running one twice is safe, losing one is not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# When the broker connection drops, unacknowledged acks_late tasks are redelivered
# anyway; cancelling them avoids running the same task twice at once (and is
# Celery 6's default).
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Defaults for every task (an export is the longest); the sweep sets its own,
# derived from its time budget (tickets/tasks.py).
CELERY_TASK_SOFT_TIME_LIMIT = env_int("CELERY_TASK_SOFT_TIME_LIMIT", default=600, minimum=1)
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", default=660, minimum=1)
if CELERY_BROKER_TRANSPORT_OPTIONS.get("visibility_timeout", math.inf) <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must be longer than CELERY_TASK_TIME_LIMIT, or Redis "
        "hands a running task to a second worker."
    )
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# Ticket deadlines and the sweep that times overdue tickets out.
# How often beat starts a sweep; how many tickets one transaction handles (short
# write locks on SQLite, bounded memory); when a sweep stops starting batches (it
# should end before the next one is due); how early the reminder goes out.
TICKET_SWEEP_INTERVAL_SECONDS = env_float("TICKET_SWEEP_INTERVAL_SECONDS", default=60,
                                          positive=True)
# 5000, not 2000: consecutive batches share pages (index leaves, heap pages of
# overdue tickets), and each batch writes its pages again at its commit. In
# bench_sweep (20,000 overdue of 200,000) batches of 2,000 wrote twice the SQLite
# write-ahead log of batches of 5,000 (37,000 pages against 19,000, past the
# sweep's checkpoint limit) and took 2.4x the bare UPDATE against 1.9x; on
# PostgreSQL 2.1x against 1.8x. A batch of 5,000 holds SQLite's write lock for
# about 0.2 s on that machine.
TICKET_SWEEP_BATCH_SIZE = env_int("TICKET_SWEEP_BATCH_SIZE", default=5000, minimum=1)
TICKET_SWEEP_TIME_BUDGET_SECONDS = env_float("TICKET_SWEEP_TIME_BUDGET_SECONDS", default=50,
                                             positive=True)
TICKET_DUE_SOON_HOURS = env_float("TICKET_DUE_SOON_HOURS", default=2, positive=True)
# How long opening (or typing in) the reply form shows "<name> is replying" to
# the shop's other merchants; kept in the cache (tickets.presence).
REPLY_PRESENCE_SECONDS = env_int("REPLY_PRESENCE_SECONDS", default=120, minimum=1)
# How long opening a reply in the review workbench keeps it for that agent
# (tickets.claims); the open page renews it a few times within this period.
REVIEW_CLAIM_SECONDS = env_int("REVIEW_CLAIM_SECONDS", default=300, minimum=10)

# Periodic work, run by the one beat of the deployment. Task names are fixed here;
# each app implements its own.
CELERY_BEAT_SCHEDULE = {
    "sweep-ticket-deadlines": {
        "task": "tickets.tasks.sweep_deadlines",
        "schedule": TICKET_SWEEP_INTERVAL_SECONDS,
        # A sweep still queued when the next is sent is redundant: drop it rather
        # than let them pile up while workers are busy or down.
        "options": {"expires": TICKET_SWEEP_INTERVAL_SECONDS},
    },
    "prune-read-notifications": {
        "task": "notifications.tasks.prune_read_notifications",
        "schedule": 60 * 60,
    },
    "expire-old-exports": {
        "task": "exports.tasks.expire_old_exports",
        "schedule": 60 * 60,
    },
}

# The scorecard's rollups are brought up to date this often: its figures are at
# most this old (and the pages say as of when).
SCORECARD_REFRESH_SECONDS = env_int("SCORECARD_REFRESH_SECONDS", default=300, minimum=1)
CELERY_BEAT_SCHEDULE["refresh-scorecard"] = {
    "task": "scorecard.tasks.refresh_scorecard",
    "schedule": SCORECARD_REFRESH_SECONDS,
    "options": {"expires": SCORECARD_REFRESH_SECONDS},
}
# Each shop's weekly summary goes out at its own Monday midnight, so the task
# looks hourly; a shop's week is sent once however often it runs.
CELERY_BEAT_SCHEDULE["send-weekly-scorecards"] = {
    "task": "scorecard.tasks.send_weekly_summaries",
    "schedule": 60 * 60,
}

# Notifications.
NOTIFICATION_RETENTION_DAYS = env_int("NOTIFICATION_RETENTION_DAYS", default=90, minimum=1)
NOTIFICATION_POLL_SECONDS = env_int("NOTIFICATION_POLL_SECONDS", default=30, minimum=1)

# Exports.
EXPORT_MAX_ROWS = env_int("EXPORT_MAX_ROWS", default=50_000, minimum=1)
EXPORT_COOLDOWN_SECONDS = env_int("EXPORT_COOLDOWN_SECONDS", default=60, minimum=0)
EXPORT_RETENTION_DAYS = env_int("EXPORT_RETENTION_DAYS", default=7, minimum=1)
# A queued job not started, or a running job without a heartbeat, for this long is
# taken for lost (its worker died) and re-enqueued once, then failed. Running jobs
# beat several times within it; queued jobs must not wait behind others this long.
EXPORT_STALE_AFTER_SECONDS = env_float("EXPORT_STALE_AFTER_SECONDS", default=300, positive=True)
# How often beat looks for such jobs.
EXPORT_REAPER_INTERVAL_SECONDS = env_float("EXPORT_REAPER_INTERVAL_SECONDS", default=60,
                                           positive=True)
CELERY_BEAT_SCHEDULE["reap-stale-exports"] = {
    "task": "exports.tasks.reap_stale_exports",
    "schedule": EXPORT_REAPER_INTERVAL_SECONDS,
    # Like the sweep: a reaper run still queued when the next is due is redundant.
    "options": {"expires": EXPORT_REAPER_INTERVAL_SECONDS},
}

# Webhooks (webhooks/): how long one delivery attempt may take; failed attempts
# in a row (test events not counted) before an endpoint is switched off; how long
# the delivery log is kept; how often beat sends due retries and deliveries whose
# worker died mid-send. Private addresses and plain http: tests and the demo only.
WEBHOOK_TIMEOUT_SECONDS = env_float("WEBHOOK_TIMEOUT_SECONDS", default=5, positive=True)
WEBHOOK_DISABLE_AFTER_FAILURES = env_int("WEBHOOK_DISABLE_AFTER_FAILURES", default=50,
                                         minimum=1)
WEBHOOK_LOG_RETENTION_DAYS = env_int("WEBHOOK_LOG_RETENTION_DAYS", default=14, minimum=1)
WEBHOOK_RETRY_INTERVAL_SECONDS = env_float("WEBHOOK_RETRY_INTERVAL_SECONDS", default=30,
                                           positive=True)
WEBHOOK_ALLOW_PRIVATE_ADDRESSES = env_bool("WEBHOOK_ALLOW_PRIVATE_ADDRESSES", default=False)
# The desk's public address, for the links in webhook payloads (the API's
# ticket representation has absolute URLs, and a delivery has no request).
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CELERY_BEAT_SCHEDULE["send-due-webhooks"] = {
    "task": "webhooks.tasks.send_due_deliveries",
    "schedule": WEBHOOK_RETRY_INTERVAL_SECONDS,
    "options": {"expires": WEBHOOK_RETRY_INTERVAL_SECONDS},
}
CELERY_BEAT_SCHEDULE["prune-webhook-deliveries"] = {
    "task": "webhooks.tasks.prune_deliveries",
    "schedule": 60 * 60,
}

# Evidence images on replies. Pixels are what a reviewer's browser decodes: a
# 12 KB PNG can claim 10000 x 10000 (400 MB of RGBA), so the header's
# dimensions are capped before anything is decoded.
EVIDENCE_MAX_FILES = 4
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", default=5 * 1024 * 1024, minimum=1)
EVIDENCE_MAX_PIXELS = env_int("EVIDENCE_MAX_PIXELS", default=40_000_000, minimum=1)
EVIDENCE_MAX_SIDE = 10_000

# Request bodies. Django's DATA_UPLOAD_MAX_MEMORY_SIZE counts form fields, not
# files, so servicedesk.request_limits also refuses any body larger than a
# full reply (four images at the cap plus the fields) with a 413, by its
# Content-Length before it is read, or as it streams in when chunked.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440  # Django's default: fields only
# Uploads above this are spooled to a temporary file while the request is
# parsed; each is read into memory only when it is checked and re-encoded.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
REQUEST_BODY_MAX_BYTES = env_int(
    "REQUEST_BODY_MAX_BYTES",
    default=EVIDENCE_MAX_FILES * EVIDENCE_MAX_BYTES + DATA_UPLOAD_MAX_MEMORY_SIZE,
    minimum=1,
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}

# `make demo` runs with DEBUG off (so people see the product's own 403/404/500
# pages) over plain http on 127.0.0.1. ALLOW_INSECURE_HTTP is for that only:
# it drops the https-only settings below, and `check --deploy` then warns
# about each of them, so it cannot slip into production unnoticed.
ALLOW_INSECURE_HTTP = env_bool("ALLOW_INSECURE_HTTP", default=False)
SECURE_CONTENT_TYPE_NOSNIFF = True
if not DEBUG and not ALLOW_INSECURE_HTTP:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 30, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

# Open API (/api/v1/): DRF, drf-spectacular, personal tokens, a rate limit counted
# in the shared cache.
INSTALLED_APPS += [
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "api",
]
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="600/min")
if not re.fullmatch(r"[1-9]\d*/(s|sec|m|min|h|hour|d|day)", API_RATE_LIMIT):
    raise ImproperlyConfigured("API_RATE_LIMIT must look like 600/min (per s, min, hour or day).")
# How long one ticket-changing transaction may take (statements, lock waits
# included), and how old a change must be before ``updated_after`` returns it:
# more than twice the bound, so every earlier change has committed (tickets/writes.py).
TICKET_WRITE_TIMEOUT_SECONDS = env_float("TICKET_WRITE_TIMEOUT_SECONDS", default=10)
# How long a web process reuses an API token it has checked (with its user, role
# and shop) before reading it again: an ERP's sync sends hundreds of requests a
# minute with one token. A change made in this process (revoking, deactivating,
# roles, shops) applies at once; one made in another process within this time.
# 0: read the token on every request.
API_TOKEN_REUSE_SECONDS = env_float("API_TOKEN_REUSE_SECONDS", default=2)
if API_TOKEN_REUSE_SECONDS < 0:
    raise ImproperlyConfigured("API_TOKEN_REUSE_SECONDS must be 0 or more.")
API_SYNC_SETTLE_SECONDS = env_float("API_SYNC_SETTLE_SECONDS", default=30)
if not 0 < TICKET_WRITE_TIMEOUT_SECONDS * 2 < API_SYNC_SETTLE_SECONDS:
    raise ImproperlyConfigured("API_SYNC_SETTLE_SECONDS must be more than twice "
                               "TICKET_WRITE_TIMEOUT_SECONDS (both positive).")
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.TokenScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.CallerRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["drf_orjson_renderer.renderers.ORJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "rest_framework.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "EXCEPTION_HANDLER": "api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
CELERY_BEAT_SCHEDULE["prune-idempotency-records"] = {
    "task": "api.tasks.prune_idempotency_records",
    "schedule": 60 * 60,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Merchant service desk API",
    "DESCRIPTION": "Service tickets for shop ERPs and platform tools. "
                   "Authenticate with `Authorization: Bearer <token>` (tokens: /settings/tokens/).",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI from our own static files (drf-spectacular-sidecar), no CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.add_problem_responses",
    ],
}
