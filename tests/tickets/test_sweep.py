"""The deadline sweep on any database: which tickets it times out, which it
leaves alone, the "about to time out" reminder, batches and the time budget.
Time is moved with time-machine; races are in test_sweep_concurrency.py."""

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.models import Notification
from tests.factories import MerchantFactory
from tickets import lifecycle
from tickets.errors import DeadlinePassed
from tickets.models import EventKind, Resolution, Ticket, TicketEvent, TicketStatus
from tickets.sweep import SQLITE_SWEEP_CACHE_KIB, SQLITE_SWEEP_WAL_PAGES, sweep_deadlines

T0 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # tickets are created here
DEADLINE = T0 + timedelta(hours=24)  # the fixture service type gives 24 h


@pytest.fixture
def notified(monkeypatch):
    """Every notify_many call the batch paths make, as (kind, tickets, events)."""
    calls = []

    def spy(tickets, kind, *, now, events=None, returned=False):
        calls.append((kind, [t.pk for t in tickets], events and [e.pk for e in events], now))
        return 0

    monkeypatch.setattr(lifecycle, "notify_many", spy)
    return calls


@pytest.fixture
def ticket_at_t0(make_ticket):
    return make_ticket(now=T0)


def sweep_at(moment, **kwargs):
    with time_machine.travel(moment, tick=False):
        return sweep_deadlines(**kwargs)


def reminders(notified):
    return [pks for kind, pks, _, _ in notified if kind == "due_soon"]


def test_sweep_times_out_a_pending_ticket_whose_deadline_passed(ticket_at_t0, notified):
    at = DEADLINE + timedelta(seconds=1)
    result = sweep_at(at)

    ticket = Ticket.objects.get(pk=ticket_at_t0.pk)
    assert result.timed_out == 1 and result.finished
    assert ticket.status == TicketStatus.CLOSED
    assert ticket.resolution == Resolution.TIMED_OUT
    assert ticket.closed_at == at
    assert ticket.deadline is None
    # Filtering on the exact time also proves it is stored as the ORM stores it.
    event = ticket.events.get(kind=EventKind.TIMED_OUT, created_at=at)
    assert event.actor is None
    assert (event.from_status, event.to_status) == (TicketStatus.PENDING, TicketStatus.CLOSED)
    assert event.created_at == at


def test_ticket_times_out_at_its_exact_deadline_when_replies_stop(ticket_at_t0):
    assert sweep_at(DEADLINE).timed_out == 1


def test_sweep_notifies_the_shop_of_each_timeout(make_ticket, notified):
    due = [make_ticket(now=T0), make_ticket(now=T0)]
    make_ticket(now=DEADLINE)  # not due yet

    sweep_at(DEADLINE + timedelta(minutes=1))

    assert notified == [("timed_out", sorted(t.pk for t in due), None,
                         DEADLINE + timedelta(minutes=1))]


def test_a_timeout_tells_the_handler_alone_and_an_unhandled_ticket_every_merchant(
        make_ticket, merchant, shop_a):
    """Who is told is read from the batch's own rows: the handler a ticket has
    when it times out, else its shop's merchants."""
    colleague = MerchantFactory(membership__shop=shop_a)
    handled, unhandled = make_ticket(now=T0), make_ticket(now=T0)
    Ticket.objects.filter(pk=handled.pk).update(handler=colleague)
    Notification.objects.all().delete()

    sweep_at(DEADLINE + timedelta(minutes=1))

    told = set(Notification.objects.filter(kind="timed_out")
               .values_list("ticket_id", "recipient_id"))
    assert told == {(handled.pk, colleague.pk),
                    (unhandled.pk, merchant.pk), (unhandled.pk, colleague.pk)}


def test_batch_path_writes_what_the_one_by_one_time_out_writes(make_ticket):
    one, other = make_ticket(now=T0), make_ticket(now=T0)
    at = DEADLINE + timedelta(minutes=5)
    lifecycle.time_out(one, now=at)
    assert sweep_at(at).timed_out == 1

    fields = ["status", "resolution", "deadline", "closed_at"]
    event_fields = ["kind", "actor", "from_status", "to_status", "text", "created_at"]
    assert (Ticket.objects.filter(pk=one.pk).values(*fields).get()
            == Ticket.objects.filter(pk=other.pk).values(*fields).get())
    assert (list(TicketEvent.objects.filter(ticket=one).values(*event_fields))
            == list(TicketEvent.objects.filter(ticket=other).values(*event_fields)))


def test_sweep_leaves_not_yet_due_under_review_and_closed_tickets_alone(
        make_ticket, merchant, agent, notified):
    not_due = make_ticket(now=DEADLINE)  # its own deadline is a day later
    under_review = lifecycle.reply(make_ticket(now=T0), actor=merchant, body="已发货",
                                   now=T0 + timedelta(hours=1))
    approved = lifecycle.approve(
        lifecycle.reply(make_ticket(now=T0), actor=merchant, body="已发货",
                        now=T0 + timedelta(hours=1)),
        actor=agent, now=T0 + timedelta(hours=2))
    agreed = lifecycle.close_as_agreed(make_ticket(now=T0), actor=agent,
                                       now=T0 + timedelta(hours=3))
    before = {t.pk: (t.status, t.resolution, t.events.count())
              for t in Ticket.objects.all()}

    result = sweep_at(DEADLINE + timedelta(hours=1))

    assert result.timed_out == 0
    after = {t.pk: (t.status, t.resolution, t.events.count()) for t in Ticket.objects.all()}
    assert after == before
    assert {not_due.pk, under_review.pk, approved.pk, agreed.pk} == set(after)
    assert [kind for kind, *_ in notified] == []


def test_running_the_sweep_again_changes_nothing(ticket_at_t0):
    assert sweep_at(DEADLINE).timed_out == 1
    assert sweep_at(DEADLINE + timedelta(minutes=1)).timed_out == 0
    assert TicketEvent.objects.filter(kind=EventKind.TIMED_OUT).count() == 1


def test_sweep_works_through_all_due_tickets_in_batches(make_ticket, monkeypatch):
    tickets = [make_ticket(now=T0) for _ in range(7)]
    batches = []
    real = lifecycle.time_out_due

    def counting(now, *, limit):
        batches.append(real(now, limit=limit))
        return batches[-1]

    monkeypatch.setattr(lifecycle, "time_out_due", counting)
    result = sweep_at(DEADLINE, batch_size=3)

    assert result.timed_out == 7
    assert batches == [3, 3, 1]
    assert Ticket.objects.filter(pk__in=[t.pk for t in tickets],
                                 resolution=Resolution.TIMED_OUT).count() == 7


def test_sweep_stops_at_its_time_budget_and_the_next_run_carries_on(make_ticket):
    for _ in range(3):
        make_ticket(now=T0)

    spent = sweep_at(DEADLINE, time_budget=0)
    assert (spent.timed_out, spent.finished) == (0, False)
    assert Ticket.objects.due(DEADLINE).count() == 3

    assert sweep_at(DEADLINE + timedelta(minutes=1)).timed_out == 3


def test_merchant_cannot_reply_after_deadline_even_before_the_sweep_ran(ticket_at_t0, merchant):
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(ticket_at_t0, actor=merchant, body="来晚了",
                        now=DEADLINE + timedelta(seconds=1))

    assert Ticket.objects.get(pk=ticket_at_t0.pk).status == TicketStatus.PENDING
    assert sweep_at(DEADLINE + timedelta(seconds=2)).timed_out == 1


def test_reply_just_before_the_deadline_wins_over_the_sweep(ticket_at_t0, merchant):
    lifecycle.reply(ticket_at_t0, actor=merchant, body="刚好赶上",
                    now=DEADLINE - timedelta(seconds=1))

    assert sweep_at(DEADLINE + timedelta(minutes=1)).timed_out == 0
    assert Ticket.objects.get(pk=ticket_at_t0.pk).status == TicketStatus.UNDER_REVIEW


# --- "About to time out" reminders --------------------------------------------


def test_no_reminder_while_more_than_two_hours_are_left(ticket_at_t0, notified):
    result = sweep_at(DEADLINE - timedelta(hours=2, seconds=1))

    assert result.warned == 0
    assert reminders(notified) == []


def test_reminder_is_sent_once_when_less_than_two_hours_are_left(ticket_at_t0, notified):
    first = sweep_at(DEADLINE - timedelta(hours=1, minutes=59))
    again = sweep_at(DEADLINE - timedelta(minutes=30))

    assert (first.warned, again.warned) == (1, 0)
    assert reminders(notified) == [[ticket_at_t0.pk]]
    ticket = Ticket.objects.get(pk=ticket_at_t0.pk)
    assert ticket.due_soon_sent_for == ticket.deadline == DEADLINE
    assert ticket.status == TicketStatus.PENDING
    # A reminder is not a transition: the thread shows only the creation.
    assert list(ticket.events.values_list("kind", flat=True)) == [EventKind.CREATED]


def test_reject_restarts_the_countdown_and_allows_a_new_reminder(
        ticket_at_t0, merchant, agent, notified):
    sweep_at(DEADLINE - timedelta(hours=1))
    lifecycle.reply(ticket_at_t0, actor=merchant, body="已发货",
                    now=DEADLINE - timedelta(minutes=50))
    rejected_at = DEADLINE - timedelta(minutes=10)
    lifecycle.reject(ticket_at_t0, actor=agent, reason_code="other", reason="请补充物流单号",
                     now=rejected_at)
    new_deadline = rejected_at + timedelta(hours=24)

    assert sweep_at(new_deadline - timedelta(hours=3)).warned == 0
    assert sweep_at(new_deadline - timedelta(hours=1)).warned == 1
    assert sweep_at(new_deadline - timedelta(minutes=5)).warned == 0

    assert reminders(notified) == [[ticket_at_t0.pk], [ticket_at_t0.pk]]
    assert Ticket.objects.get(pk=ticket_at_t0.pk).due_soon_sent_for == new_deadline


def test_overdue_ticket_is_timed_out_not_reminded(ticket_at_t0, notified):
    result = sweep_at(DEADLINE + timedelta(minutes=1))

    assert (result.timed_out, result.warned) == (1, 0)
    assert reminders(notified) == []


def test_tickets_under_review_get_no_reminder(ticket_at_t0, merchant, notified):
    lifecycle.reply(ticket_at_t0, actor=merchant, body="已发货", now=T0 + timedelta(hours=1))

    assert sweep_at(DEADLINE - timedelta(hours=1)).warned == 0
    assert reminders(notified) == []


def test_reminder_window_follows_the_setting(ticket_at_t0, settings, notified):
    settings.TICKET_DUE_SOON_HOURS = 5

    assert sweep_at(DEADLINE - timedelta(hours=4, minutes=59)).warned == 1


def test_reminders_are_sent_in_batches(make_ticket, notified):
    tickets = [make_ticket(now=T0) for _ in range(5)]

    result = sweep_at(DEADLINE - timedelta(hours=1), batch_size=2)

    assert result.warned == 5
    assert [len(pks) for pks in reminders(notified)] == [2, 2, 1]
    assert sorted(pk for pks in reminders(notified) for pk in pks) == sorted(t.pk for t in tickets)


# --- The Celery task and the command --------------------------------------------


def test_sweep_task_times_out_due_tickets(ticket_at_t0):
    from tickets.tasks import sweep_deadlines as task

    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        outcome = task.delay().get()

    assert outcome == {"timed_out": 1, "warned": 0, "finished": True}
    assert Ticket.objects.get(pk=ticket_at_t0.pk).resolution == Resolution.TIMED_OUT


def test_sweep_timeouts_command_runs_one_sweep(ticket_at_t0, capsys):
    with time_machine.travel(DEADLINE + timedelta(minutes=1), tick=False):
        call_command("sweep_timeouts", "--batch-size", "10")

    assert "Timed out 1 ticket(s); sent 0 due-soon reminder(s)." in capsys.readouterr().out
    assert Ticket.objects.get(pk=ticket_at_t0.pk).status == TicketStatus.CLOSED


@pytest.mark.parametrize("option", [["--batch-size", "0"], ["--time-budget", "-1"]])
def test_sweep_timeouts_command_refuses_nonsense_options(option, db):
    with pytest.raises(CommandError):
        call_command("sweep_timeouts", *option)


def test_beat_schedules_the_registered_sweep_task_every_interval():
    from servicedesk.celery import app

    entry = app.conf.beat_schedule["sweep-ticket-deadlines"]
    assert entry["task"] in app.tasks
    assert entry["schedule"] == 60
    assert entry["options"]["expires"] == 60


def test_sweep_interval_comes_from_the_environment(settings):
    # Settings are read once per process: ask a fresh one, as `celery -A
    # servicedesk worker -B` would start.
    code = ("from servicedesk.celery import app; "
            "print(app.conf.beat_schedule['sweep-ticket-deadlines']['schedule'])")
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
           "TICKET_SWEEP_INTERVAL_SECONDS": "7"}
    out = subprocess.run([sys.executable, "-c", code], env=env, cwd=settings.BASE_DIR,
                         capture_output=True, text=True, check=True).stdout
    assert out.strip() == "7.0"


def sqlite_settings():
    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (checkpoint,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size")
        (cache,) = cursor.fetchone()
    return checkpoint, cache


@pytest.mark.django_db(transaction=True)
def test_sweep_in_its_own_transactions_leaves_the_connection_as_it_found_it(make_ticket):
    make_ticket(now=T0)
    before = sqlite_settings()

    assert sweep_at(DEADLINE).timed_out == 1
    assert sqlite_settings() == before


@pytest.mark.django_db(transaction=True)
def test_sqlite_sweep_batches_run_with_a_page_cache_that_holds_a_batch(make_ticket,
                                                                       monkeypatch):
    make_ticket(now=T0)
    seen = []
    time_out_due = lifecycle.time_out_due

    def recording(*args, **kwargs):
        seen.append(sqlite_settings())
        return time_out_due(*args, **kwargs)

    monkeypatch.setattr(lifecycle, "time_out_due", recording)
    assert sweep_at(DEADLINE).timed_out == 1
    if connection.vendor != "sqlite":
        assert seen == [None]  # nothing of SQLite's to set
        return
    assert seen
    for checkpoint, cache in seen:
        assert cache == -SQLITE_SWEEP_CACHE_KIB
        assert checkpoint >= SQLITE_SWEEP_WAL_PAGES


def test_timeout_and_reminder_reach_every_merchant_of_the_shop_once(
        ticket_at_t0, merchant, outsider, shop_a):
    from notifications.models import Notification

    colleague = MerchantFactory(username="merchant_a2", membership__shop=shop_a)
    sweep_at(DEADLINE - timedelta(hours=1))
    sweep_at(DEADLINE - timedelta(minutes=30))
    sweep_at(DEADLINE + timedelta(minutes=1))
    sweep_at(DEADLINE + timedelta(minutes=2))

    sent = Notification.objects.filter(ticket=ticket_at_t0, kind__in=["due_soon", "timed_out"])
    assert sorted(sent.values_list("kind", "recipient")) == sorted([
        ("due_soon", merchant.pk), ("due_soon", colleague.pk),
        ("timed_out", merchant.pk), ("timed_out", colleague.pk),
    ])


def test_sweep_queries_do_not_grow_with_the_number_of_tickets(make_ticket, merchant):
    def queries_to_sweep(count, at):
        for _ in range(count):
            make_ticket(now=at - timedelta(hours=24, minutes=1))
        with CaptureQueriesContext(connection) as captured:
            assert sweep_at(at, batch_size=50).timed_out == count
        return len(captured)

    assert queries_to_sweep(2, DEADLINE) == queries_to_sweep(20, DEADLINE + timedelta(days=1))
