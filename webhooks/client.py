"""The HTTP client deliveries are sent with: httpx, never following redirects,
no proxies from the environment (they would bypass the address check), and
the address check at connect time (``addresses.GuardedBackend``)."""

from __future__ import annotations

import httpcore
import httpx
from django.conf import settings

from .addresses import GuardedBackend


class GuardedTransport(httpx.HTTPTransport):
    def __init__(self):
        super().__init__(trust_env=False)
        # httpx builds its connection pool without a way to pass a network
        # backend, so the pool is rebuilt with ours (pyproject pins httpx
        # below 0.29 for this).
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=20, max_keepalive_connections=10, keepalive_expiry=5.0,
            network_backend=GuardedBackend())


def new_client() -> httpx.Client:
    return httpx.Client(transport=GuardedTransport(), follow_redirects=False, trust_env=False,
                        timeout=settings.WEBHOOK_TIMEOUT_SECONDS)


_client: httpx.Client | None = None


def shared_client() -> httpx.Client:
    """One client per worker process: its connections are kept alive between
    deliveries to the same receiver."""
    global _client
    if _client is None:
        _client = new_client()
    return _client
