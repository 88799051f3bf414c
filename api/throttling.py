"""``API_RATE_LIMIT`` per token (per user for browser sessions), counted in the
shared cache so every web process counts together.

DRF's SimpleRateThrottle keeps a list of timestamps and writes it back (read,
modify, write): two processes answering at once both write their own list and
one request goes uncounted. A fixed window counted with the cache's atomic
``incr`` (Redis INCR) counts every request; the price is that a burst across a
window boundary can reach twice the rate for a moment."""

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from rest_framework.throttling import SimpleRateThrottle

from .models import ApiToken


class CallerRateThrottle(SimpleRateThrottle):
    scope = "api"

    def get_rate(self):
        return settings.API_RATE_LIMIT

    def get_cache_key(self, request, view):
        if isinstance(request.auth, ApiToken):
            ident = f"token:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = f"anon:{self.get_ident(request)}"
        return f"api-rate:{ident}"

    def allow_request(self, request, view):
        if self.rate is None:
            return True
        now = self.timer()
        window = int(now // self.duration)
        key = f"{self.get_cache_key(request, view)}:{window}"
        self.retry_after = max(1, int(self.duration - now % self.duration) + 1)
        backend = caches["default"]
        if isinstance(backend, RedisCache):
            return _redis_count(backend, key, self.duration + 1) <= self.num_requests
        if cache.add(key, 1, self.duration + 1):
            return True
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: a new window
            cache.add(key, 1, self.duration + 1)
            return True
        return count <= self.num_requests

    def wait(self):
        return self.retry_after


def _redis_count(backend: RedisCache, key: str, ttl: int) -> int:
    """INCR and EXPIRE NX in one round trip and atomically, as a script
    (EVALSHA; redis-py loads it again if the server has lost it): Django's
    cache ``add`` + ``incr`` cost three (``incr`` checks EXISTS first), each a
    wait on Redis in every API request; a MULTI pipeline of the two commands
    cost the web process half as much again as the script (four replies to
    parse: MULTI's, two QUEUED and EXEC's). ``_cache`` and ``make_and_validate_key`` are
    the Redis cache backend's own client and key spelling, as its ``incr`` uses."""
    global _count_script
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)
    if _count_script is None:
        # Registering only computes the script's SHA1; no server is asked.
        _count_script = client.register_script(_COUNT)
    return _count_script(keys=[full_key], args=[ttl], client=client)


_COUNT = ("local count = redis.call('INCR', KEYS[1]) "
          "redis.call('EXPIRE', KEYS[1], ARGV[1], 'NX') "
          "return count")
_count_script = None
