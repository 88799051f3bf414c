import pytest

from tests.webhooks.receiver import Receiver
from webhooks import endpoints
from webhooks.forms import SUBSCRIBABLE

ALL_EVENTS = [value for value, _label in SUBSCRIBABLE]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def endpoint_for(receiver):
    """endpoint_for(user, events=ALL_EVENTS, url=receiver.url) -> Endpoint."""

    def make(user, *, events=None, url=None):
        return endpoints.create_endpoint(user, url=url or receiver.url,
                                         events=list(events or ALL_EVENTS))

    return make


# The API's token fixtures (tests/api/conftest.py), for the webhook API tests.
from tests.api.conftest import (  # noqa: E402,F401
    _fresh_rate_counters,
    agent_api,
    token_for,
)
