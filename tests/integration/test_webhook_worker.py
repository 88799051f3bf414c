"""Webhooks through the real path: a Celery worker process against Redis and
the PostgreSQL test database delivers to a real receiver; a worker killed in
the middle of a send does not lose the delivery."""

import pytest
from celery import Celery
from django.conf import settings

from tests.integration.conftest import REDIS_URL, wait_for
from tests.webhooks.receiver import Receiver
from webhooks import endpoints
from webhooks.models import Delivery, DeliveryStatus
from webhooks.verify import verify_signature

pytestmark = pytest.mark.redis


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


@pytest.fixture
def publish_webhooks_to_redis(monkeypatch):
    """This process runs Celery eagerly (settings_test); the deliveries'
    messages go to the worker's Redis instead, exactly as production sends them."""
    from webhooks.tasks import send_deliveries

    publisher = Celery("webhook-test-publisher", broker=REDIS_URL, set_as_current=False)
    publisher.conf.update(task_serializer=settings.CELERY_TASK_SERIALIZER,
                          broker_connection_retry_on_startup=True)

    def apply_async(args=None, kwargs=None, **options):
        options.pop("retry_policy", None)
        return publisher.send_task(send_deliveries.name, args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(send_deliveries, "apply_async", apply_async)
    yield publisher
    publisher.close()


def _delivered(ticket):
    return Delivery.objects.filter(ticket=ticket, status=DeliveryStatus.DELIVERED).exists()


def test_a_worker_delivers_a_transitions_event_signed(
        celery_worker_factory, publish_webhooks_to_redis, receiver, merchant, make_ticket):
    endpoint = endpoints.create_endpoint(merchant, url=receiver.url, events=["ticket.created"])
    worker = celery_worker_factory(WEBHOOK_ALLOW_PRIVATE_ADDRESSES="true")
    ticket = make_ticket()
    wait_for(lambda: _delivered(ticket), timeout=60, worker=worker)
    (request,) = receiver.requests
    assert verify_signature(endpoint.secret, request.body, request.headers["X-Desk-Signature"])
    assert request.json["data"]["ticket"]["number"] == ticket.number
    assert worker.stop() == 0


def test_a_worker_killed_mid_send_then_restarted_still_delivers(
        celery_worker_factory, publish_webhooks_to_redis, receiver, merchant, make_ticket):
    endpoint = endpoints.create_endpoint(merchant, url=receiver.url, events=["ticket.created"])
    env = {"WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "WEBHOOK_TIMEOUT_SECONDS": 3,
           "WEBHOOK_RETRY_INTERVAL_SECONDS": 1}
    receiver.answers = [("hang", 60)]
    first = celery_worker_factory(**env)
    ticket = make_ticket()
    receiver.wait_for(1, timeout=60)
    first.kill()  # while the receiver is still holding the request
    row = Delivery.objects.get(ticket=ticket)
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.leased_until is not None

    second = celery_worker_factory(beat=True, **env)
    wait_for(lambda: _delivered(ticket), timeout=90, worker=second)
    assert second.stop() == 0
    first_try, second_try = receiver.requests
    # At least once: the receiver saw the event twice and dedupes by its id.
    assert first_try.headers["X-Desk-Delivery"] == second_try.headers["X-Desk-Delivery"]
    assert verify_signature(endpoint.secret, second_try.body,
                            second_try.headers["X-Desk-Signature"])
    assert Delivery.objects.get(ticket=ticket).attempts == 2
