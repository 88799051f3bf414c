"""API fixtures: a token per role (read-write unless named otherwise) and a
client that sends it."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from api.tokens import create_token


@pytest.fixture(autouse=True)
def _fresh_rate_counters():
    # The rate limit counts in the cache, which outlives a test (Redis in CI).
    cache.clear()
    yield
    cache.clear()


def bearer(raw: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


@pytest.fixture
def token_for():
    def make(user, *, read_only=False, expires_at=None, name="test"):
        return create_token(user=user, name=name, read_only=read_only, expires_at=expires_at)[1]

    return make


@pytest.fixture
def merchant_api(merchant, token_for):
    return bearer(token_for(merchant))


@pytest.fixture
def outsider_api(outsider, token_for):
    return bearer(token_for(outsider))


@pytest.fixture
def agent_api(agent, token_for):
    return bearer(token_for(agent))


@pytest.fixture
def ops_api(ops, token_for):
    return bearer(token_for(ops))


@pytest.fixture
def readonly_merchant_api(merchant, token_for):
    return bearer(token_for(merchant, read_only=True))


@pytest.fixture
def readonly_agent_api(agent, token_for):
    return bearer(token_for(agent, read_only=True))


def problem(response, status: int, code: str) -> dict:
    """Assert the response is the problem+json of ``status`` and ``code``."""
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["status"] == status and body["code"] == code, body
    assert body["title"] and body["detail"] and body["type"].endswith(code)
    return body
