"""The deadline sweep through the real path: a Celery worker with its embedded
beat, as a subprocess against Redis and the PostgreSQL test database, with a
one-second sweep interval. The test only creates tickets and then watches the
database (bounded polling); nothing calls the sweep directly."""

from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from tests.factories import OrderFactory
from tests.integration.conftest import wait_for
from tickets.models import EventKind, Resolution, Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.redis


def test_worker_with_beat_times_out_a_ticket_once_its_deadline_passes(
        celery_worker_factory, make_ticket):
    handling = timedelta(hours=24)  # the fixture service type
    soon = make_ticket(now=timezone.now() - handling + timedelta(seconds=3))
    reminded = make_ticket(now=timezone.now() - handling + timedelta(hours=1))
    later = make_ticket()

    worker = celery_worker_factory(beat=True, TICKET_SWEEP_INTERVAL_SECONDS=1)
    wait_for(lambda: Ticket.objects.filter(pk=soon.pk, status=TicketStatus.CLOSED).exists(),
             timeout=60, worker=worker)
    wait_for(lambda: Ticket.objects.filter(pk=reminded.pk,
                                           due_soon_sent_for__isnull=False).exists(),
             timeout=30, worker=worker)

    assert worker.stop() == 0, worker.log()[-3000:]
    closed = Ticket.objects.get(pk=soon.pk)
    assert closed.resolution == Resolution.TIMED_OUT
    assert closed.closed_at >= soon.deadline
    event = closed.events.get(kind=EventKind.TIMED_OUT)
    assert event.actor is None
    assert Ticket.objects.get(pk=reminded.pk).due_soon_sent_for == reminded.deadline
    assert Ticket.objects.get(pk=reminded.pk).status == TicketStatus.PENDING
    assert Ticket.objects.get(pk=later.pk).status == TicketStatus.PENDING


def test_killing_the_worker_mid_sweep_then_restarting_times_out_every_ticket_once(
        celery_worker_factory, shop_a, service_type):
    total = 3000
    order = OrderFactory(shop=shop_a)
    deadline = timezone.now() - timedelta(minutes=5)
    Ticket.objects.bulk_create(
        Ticket(number=f"{i:016d}", shop=shop_a, order=order, service_type=service_type,
               status=TicketStatus.PENDING, content="买家询问什么时候发货", deadline=deadline,
               created_at=deadline - timedelta(hours=24))
        for i in range(1, total + 1)
    )

    def timed_out():
        return Ticket.objects.filter(resolution=Resolution.TIMED_OUT).count()

    # Small batches make the sweep take a few seconds, long enough to kill it.
    settings = {"TICKET_SWEEP_INTERVAL_SECONDS": 1, "TICKET_SWEEP_BATCH_SIZE": 10}
    first = celery_worker_factory(beat=True, **settings)
    wait_for(lambda: timed_out() > 0, timeout=60, interval=0.02, worker=first)
    first.kill()

    done = timed_out()
    assert 0 < done < total, "the kill did not land in the middle of the sweep"
    # Each batch committed whole or not at all: no ticket closed without its event.
    assert TicketEvent.objects.filter(kind=EventKind.TIMED_OUT).count() == done

    second = celery_worker_factory(beat=True, **settings)
    wait_for(lambda: timed_out() == total, timeout=120, worker=second)
    assert second.stop() == 0

    per_ticket = (TicketEvent.objects.filter(kind=EventKind.TIMED_OUT)
                  .values("ticket").annotate(n=Count("id")))
    assert per_ticket.count() == total
    assert {row["n"] for row in per_ticket} == {1}
    assert not Ticket.objects.filter(status=TicketStatus.PENDING).exists()
