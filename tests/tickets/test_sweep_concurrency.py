"""The sweep under real concurrency, on PostgreSQL (row locks and SKIP LOCKED only
exist there): parallel sweeps, and merchant replies racing the sweep at the
deadline. Threads use their own database connections, so the data must be
committed (transactional tests) and every thread closes its connection."""

import threading
from datetime import timedelta

import pytest
from django.db.models import Count
from django.utils import timezone

from tests.factories import OrderFactory
from tests.threads import run_together, wait_until_a_backend_waits_for_a_lock
from tickets import lifecycle
from tickets.errors import TicketError, TransitionNotAllowed
from tickets.models import EventKind, Resolution, Ticket, TicketEvent, TicketStatus
from tickets.sweep import sweep_deadlines

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def pending_tickets(count, *, shop, service_type, deadline):
    """``count`` pending tickets sharing one deadline, inserted in bulk (creating
    a thousand through the lifecycle would only slow the test down)."""
    order = OrderFactory(shop=shop)
    created = deadline - timedelta(hours=service_type.handling_hours)
    return Ticket.objects.bulk_create(
        Ticket(number=f"{i:016d}", shop=shop, order=order, service_type=service_type,
               status=TicketStatus.PENDING, content="买家询问什么时候发货",
               deadline=deadline, created_at=created)
        for i in range(1, count + 1)
    )


def run_in_threads(*targets):
    """Start every target at the same moment; return their results, re-raising
    the first exception a thread hit."""
    results = run_together(*targets)
    for kind, value in results:
        if kind == "error":
            raise value
    return [value for _, value in results]


def events_per_ticket(kind):
    return dict(TicketEvent.objects.filter(kind=kind).values_list("ticket")
                .annotate(n=Count("id")).values_list("ticket", "n"))


def test_two_parallel_sweeps_time_out_each_of_a_thousand_tickets_exactly_once(
        require_postgres, shop_a, service_type):
    now = timezone.now()
    tickets = pending_tickets(1000, shop=shop_a, service_type=service_type,
                              deadline=now - timedelta(minutes=1))

    def sweep():
        return sweep_deadlines(now=now, batch_size=50, time_budget=60)

    first, second = run_in_threads(sweep, sweep)

    assert first.timed_out + second.timed_out == 1000
    assert events_per_ticket(EventKind.TIMED_OUT) == {t.pk: 1 for t in tickets}
    assert Ticket.objects.filter(status=TicketStatus.CLOSED,
                                 resolution=Resolution.TIMED_OUT).count() == 1000


def test_replies_racing_the_sweep_at_the_deadline_have_exactly_one_outcome_each(
        require_postgres, shop_a, service_type, merchant):
    deadline = timezone.now()
    tickets = pending_tickets(200, shop=shop_a, service_type=service_type, deadline=deadline)
    refused = []

    def replies():
        # The merchant answers every ticket a moment before the deadline: in
        # time, unless the sweep locked the row first (then the ticket is closed).
        for ticket in tickets:
            try:
                lifecycle.reply(ticket.pk, actor=merchant, body="已处理",
                                now=deadline - timedelta(milliseconds=1))
            except TicketError as exc:
                refused.append((ticket.pk, exc))

    def sweep():
        return sweep_deadlines(now=deadline, batch_size=10, time_budget=60)

    _, swept = run_in_threads(replies, sweep)

    timed_out = events_per_ticket(EventKind.TIMED_OUT)
    replied = events_per_ticket(EventKind.REPLIED)
    assert set(timed_out) | set(replied) == {t.pk for t in tickets}
    assert not set(timed_out) & set(replied)
    assert set(timed_out.values()) <= {1} and set(replied.values()) <= {1}
    assert swept.timed_out == len(timed_out)
    # Every refused reply met a ticket the sweep had closed, and said so.
    assert {pk for pk, _ in refused} == set(timed_out)
    assert all(isinstance(exc, TransitionNotAllowed) for _, exc in refused)
    statuses = dict(Ticket.objects.values_list("pk", "status"))
    assert all(statuses[pk] == TicketStatus.CLOSED for pk in timed_out)
    assert all(statuses[pk] == TicketStatus.UNDER_REVIEW for pk in replied)


def pause_inside(monkeypatch, name, pause):
    """Run ``pause()`` inside the transition's own transaction, after the
    ``lifecycle.<name>`` call it makes while the row is locked, before its
    commit. (A transition is durable: a test cannot wrap it in a longer
    transaction to hold the lock.)"""
    original = getattr(lifecycle, name)

    def paused(*args, **kwargs):
        result = original(*args, **kwargs)
        pause()
        return result

    monkeypatch.setattr(lifecycle, name, paused)


def test_reply_in_progress_is_skipped_by_the_sweep_and_wins(
        require_postgres, shop_a, service_type, merchant, monkeypatch):
    deadline = timezone.now()
    ticket, = pending_tickets(1, shop=shop_a, service_type=service_type, deadline=deadline)
    reply_locked, sweep_done = threading.Event(), threading.Event()

    def hold_the_lock():
        reply_locked.set()
        assert sweep_done.wait(20)

    # The reply holds the row lock until the sweep has looked at the row (the
    # sweep notifies through notify_many, not notify).
    pause_inside(monkeypatch, "notify", hold_the_lock)

    def slow_reply():
        lifecycle.reply(ticket.pk, actor=merchant, body="已处理",
                        now=deadline - timedelta(seconds=1))

    def sweep_after_lock():
        assert reply_locked.wait(20)
        try:
            return sweep_deadlines(now=deadline, batch_size=10, time_budget=10)
        finally:
            sweep_done.set()

    _, swept = run_in_threads(slow_reply, sweep_after_lock)

    assert swept.timed_out == 0
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNDER_REVIEW
    assert sweep_deadlines(now=deadline + timedelta(minutes=1)).timed_out == 0


def test_reply_waiting_for_the_sweeps_lock_is_refused_once_the_sweep_commits(
        require_postgres, shop_a, service_type, merchant, monkeypatch):
    deadline = timezone.now()
    ticket, = pending_tickets(1, shop=shop_a, service_type=service_type, deadline=deadline)
    sweep_locked = threading.Event()

    def hold_the_lock():
        sweep_locked.set()
        wait_until_a_backend_waits_for_a_lock()

    # The sweep's batch holds its row locks until the reply waits for one (the
    # reply notifies through notify, not notify_many).
    pause_inside(monkeypatch, "notify_many", hold_the_lock)

    def slow_sweep():
        return lifecycle.time_out_due(deadline, limit=10)

    def reply_after_lock():
        assert sweep_locked.wait(20)
        with pytest.raises(TransitionNotAllowed):
            lifecycle.reply(ticket.pk, actor=merchant, body="已处理",
                            now=deadline - timedelta(milliseconds=1))

    done, _ = run_in_threads(slow_sweep, reply_after_lock)

    assert done == 1
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.TIMED_OUT]


