"""gunicorn settings for production: ``gunicorn servicedesk.wsgi`` picks this
file up from the working directory (or pass ``-c gunicorn.conf.py``).

Threaded workers, because a sync worker is held for the whole life of a
connection: a handful of clients that open a connection and send half a
request (a slow phone, or someone doing it on purpose) occupied every sync
worker and made every other request wait for the timeout. With gthread an idle
keep-alive connection waits in the worker's poller, and a request that is
slowly arriving ties up one thread out of WEB_THREADS per worker, not a whole
process. Slow uploads are still best absorbed by a buffering proxy in front
(nginx buffers request bodies by default); see the README.

Every value can be set from the environment; the defaults suit a small box.
"""

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise SystemExit(f"Environment variable {name}={value!r} is not a whole number.") from None


wsgi_app = "servicedesk.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", f"0.0.0.0:{_int('PORT', 8000)}")

worker_class = "gthread"
# gunicorn's usual advice for processes; threads cover waiting on the database,
# Redis and slow clients.
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("WEB_THREADS", 8)

# A request that takes longer than this is a stuck worker: kill and replace it.
timeout = _int("GUNICORN_TIMEOUT", 30)
# On SIGTERM (deploys), requests in flight get this long to finish.
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
# Idle keep-alive connections are closed after this; the proxy in front keeps
# its own pool, so a few seconds is enough.
keepalive = _int("GUNICORN_KEEPALIVE", 5)

# Request size limits: a request line or headers beyond these get 400 before
# Django sees them (gunicorn's defaults, stated so they are a decision).
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190

# Restart workers now and then so a slow leak cannot grow forever; the jitter
# keeps them from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 5000)
max_requests_jitter = 500

accesslog = "-"
errorlog = "-"
# X-Forwarded-Proto is trusted from the proxy only (Django reads it through
# SECURE_PROXY_SSL_HEADER); gunicorn's default trusts 127.0.0.1.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def post_worker_init(worker):
    """Move what loading the app allocated (Django's apps, models, URL
    patterns, translations: hundreds of thousands of objects that live as long
    as the worker) out of the garbage collector's sight. Otherwise every full
    collection walks them all again: measured in-process, about 3.8 ms of a
    20 ms list page's CPU time on average."""
    gc.collect()
    gc.freeze()
