"""The deadline sweep writes a batch's deliveries set-based, inside the batch's
transaction, and a large batch is fanned out to the workers in chunks."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import OrderFactory
from tickets import sweep
from tickets.models import Ticket, TicketStatus
from webhooks import outbox
from webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db


def _overdue(shop, service_type, count):
    deadline = timezone.now() - timedelta(minutes=5)
    order = OrderFactory(shop=shop)
    Ticket.objects.bulk_create(
        Ticket(number=f"{9_000_000_000_000_000 + i}", shop=shop, order=order,
               service_type=service_type, status=TicketStatus.PENDING, content="催发货",
               deadline=deadline, created_at=deadline - timedelta(hours=24))
        for i in range(count))


def test_a_sweep_batch_writes_its_deliveries_in_one_statement(
        endpoint_for, merchant, outsider, ops, shop_a, shop_b, service_type,
        django_capture_on_commit_callbacks):
    mine, theirs, platform = endpoint_for(merchant), endpoint_for(outsider), endpoint_for(ops)
    _overdue(shop_a, service_type, 30)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        with CaptureQueriesContext(connection) as queries:
            result = sweep.sweep_deadlines(batch_size=100)
    assert result.timed_out == 30
    inserts = [q["sql"] for q in queries.captured_queries
               if q["sql"].startswith(f'INSERT INTO "{Delivery._meta.db_table}"')]
    assert len(inserts) == 1
    rows = Delivery.objects.all()
    assert rows.filter(endpoint=mine).count() == 30
    assert rows.filter(endpoint=platform).count() == 30
    assert not rows.filter(endpoint=theirs).exists()
    assert set(rows.values_list("type", flat=True)) == {"ticket.timed_out"}
    assert len(callbacks) == 1


def test_a_large_batch_is_fanned_out_in_chunks_and_every_delivery_arrives(
        receiver, endpoint_for, merchant, shop_a, service_type,
        django_capture_on_commit_callbacks):
    endpoint_for(merchant, events=["ticket.timed_out"])
    count = outbox.FAN_OUT_CHUNK + 20
    _overdue(shop_a, service_type, count)
    with django_capture_on_commit_callbacks(execute=True):
        sweep.sweep_deadlines(batch_size=1000)
    receiver.wait_for(count)
    numbers = {r.json["data"]["ticket"]["number"] for r in receiver.requests}
    assert len(numbers) == count
    assert Delivery.objects.filter(status=DeliveryStatus.DELIVERED).count() == count
