"""A committed transition stays committed: every top-level transition (and each
sweep batch) is a durable transaction that refuses to run inside a caller's
transaction, and the sweep commits with PostgreSQL's synchronous commit."""

import datetime as dt

import pytest
from django.db import connection, transaction

from notifications.models import Notification
from tickets import lifecycle
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def tickets(make_ticket, merchant):
    pending = make_ticket()
    replied = make_ticket()
    lifecycle.reply(replied, actor=merchant, body="已发货")
    return pending, replied


def transitions(pending, replied, *, merchant, agent, order, service_type):
    soon = pending.deadline - dt.timedelta(minutes=30)
    late = pending.deadline + dt.timedelta(minutes=1)
    return {
        "create": lambda: lifecycle.create_ticket(actor=agent, order=order,
                                                  service_type=service_type, content="发票"),
        "reply": lambda: lifecycle.reply(pending.pk, actor=merchant, body="已发货"),
        "approve": lambda: lifecycle.approve(replied.pk, actor=agent),
        "reject": lambda: lifecycle.reject(replied.pk, actor=agent, reason_code="other",
                                           reason="不够详细"),
        "close_as_agreed": lambda: lifecycle.close_as_agreed(pending.pk, actor=agent),
        "time_out": lambda: lifecycle.time_out(pending.pk, now=late),
        "time_out_due (sweep batch)": lambda: lifecycle.time_out_due(late, limit=10),
        "warn_due_soon (sweep batch)": lambda: lifecycle.warn_due_soon(
            soon, limit=10, window=dt.timedelta(hours=2)),
    }


NAMES = ["create", "reply", "approve", "reject", "close_as_agreed", "time_out",
         "time_out_due (sweep batch)", "warn_due_soon (sweep batch)"]


def snapshot():
    return (list(Ticket.objects.order_by("pk").values()), TicketEvent.objects.count(),
            Notification.objects.count())


@pytest.mark.parametrize("name", NAMES)
def test_a_transition_refuses_to_run_inside_an_outer_atomic_block(
        tickets, name, merchant, agent, order, service_type):
    call = transitions(*tickets, merchant=merchant, agent=agent, order=order,
                       service_type=service_type)[name]
    before = snapshot()
    with pytest.raises(RuntimeError, match="durable"), transaction.atomic():
        call()
    assert snapshot() == before


@pytest.mark.parametrize("name", NAMES)
def test_the_same_transition_runs_on_its_own(tickets, name, merchant, agent, order,
                                             service_type):
    """The refusal above is about nesting, not the call: alone it goes through
    (inside pytest-django's test transaction, which Django lets durable blocks
    enter as if it were not there)."""
    call = transitions(*tickets, merchant=merchant, agent=agent, order=order,
                       service_type=service_type)[name]
    before = snapshot()
    call()
    assert snapshot() != before


@pytest.mark.parametrize("batch", ["time_out_due", "warn_due_soon"])
def test_a_sweep_batch_commits_with_synchronous_commit_on(require_postgres, tickets,
                                                          monkeypatch, batch):
    """Read the setting inside the batch's own transaction (where a SET LOCAL
    would show), at the moment it notifies."""
    seen = []
    original = lifecycle.notify_many

    def notify_and_look(*args, **kwargs):
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            seen.append(cursor.fetchone()[0])
        return original(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "notify_many", notify_and_look)
    pending, _ = tickets
    if batch == "time_out_due":
        done = lifecycle.time_out_due(pending.deadline, limit=10)
    else:
        done = lifecycle.warn_due_soon(pending.deadline - dt.timedelta(minutes=30), limit=10,
                                       window=dt.timedelta(hours=2))
    assert done >= 1 and seen == ["on"]
