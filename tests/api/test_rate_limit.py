"""API_RATE_LIMIT per token (per user for sessions), counted in the shared cache."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.api.conftest import bearer, problem
from tests.api.webservers import WebServer, get
from tests.conftest import skip_or_fail
from tests.integration.conftest import REDIS_URL, redis_available


def test_limit_per_token_with_retry_after(merchant, token_for, settings, time_machine):
    settings.API_RATE_LIMIT = "3/min"
    time_machine.move_to(timezone.now().replace(second=5), tick=False)
    first, second = bearer(token_for(merchant)), bearer(token_for(merchant))
    for _ in range(3):
        assert first.get("/api/v1/service-types/").status_code == 200
    response = first.get("/api/v1/service-types/")
    body = problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 56 and body["retry_after"]
    # Another token of the same user has its own count.
    assert second.get("/api/v1/service-types/").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(minutes=1), tick=False)
    assert first.get("/api/v1/service-types/").status_code == 200


def test_session_user_is_limited_too(merchant, settings, time_machine, client):
    settings.API_RATE_LIMIT = "2/min"
    time_machine.move_to(timezone.now().replace(second=5), tick=False)
    client.force_login(merchant)
    assert [client.get("/api/v1/service-types/").status_code for _ in range(3)] == \
        [200, 200, 429]


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_two_web_processes_count_together(require_postgres, merchant, token_for, tmp_path):
    if not redis_available(REDIS_URL):
        skip_or_fail(f"Redis is not reachable at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    raw = token_for(merchant)
    env = {"REDIS_URL": REDIS_URL, "API_RATE_LIMIT": "6/hour", "DEBUG": "true"}
    servers = [WebServer(env=env, log_path=tmp_path / f"web{i}.log") for i in range(2)]
    try:
        for server in servers:
            server.wait_ready()
        statuses = [get(f"{servers[i % 2].base}/api/v1/service-types/", raw)[0]
                    for i in range(8)]
    finally:
        for server in servers:
            server.stop()
        redis.Redis.from_url(REDIS_URL).flushdb()
    # Six in all across both processes; each alone would have allowed six.
    assert statuses == [200] * 6 + [429, 429], statuses


@pytest.mark.redis
def test_the_shared_count_expires_and_outlives_a_lost_script(db):
    """The count is one script on Redis: it counts, sets the window's expiry
    when the key is new (and keeps one already set), and a server that lost
    the script (restarted, flushed) is given it again."""
    from django.core.cache import caches
    from django.core.cache.backends.redis import RedisCache

    from api import throttling

    backend = caches["default"]
    if not isinstance(backend, RedisCache):
        skip_or_fail("the default cache is not Redis (REDIS_URL)")
    key = "api-rate:test-shared-count"
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)
    client.delete(full_key)
    try:
        assert [throttling._redis_count(backend, key, 61) for _ in range(3)] == [1, 2, 3]
        assert 55 <= client.ttl(full_key) <= 61
        client.expire(full_key, 500)
        assert throttling._redis_count(backend, key, 61) == 4
        assert client.ttl(full_key) > 61
        throttling._count_script.sha = "0" * 40  # as if the server had lost it
        assert throttling._redis_count(backend, key, 61) == 5
    finally:
        client.delete(full_key)
