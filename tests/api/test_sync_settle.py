"""``updated_after`` misses no change, even one whose transaction commits after
a later-stamped change was already read (two real PostgreSQL connections), and
a ticket change that runs longer than its bound is undone rather than
committed late."""

import threading
import time
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.db import connections, transaction
from django.utils import timezone

from tests.factories import UserFactory
from tests.threads import wait_until_a_backend_waits_for_a_lock
from tickets import lifecycle
from tickets.models import Ticket, TicketEvent, TicketStatus
from tickets.writes import TicketWriteTimedOut, ticket_write

BOUND, SETTLE = 5.0, 10.5  # generous: the slow approval waits at COMMIT meanwhile


class _RowLock:
    """Holds ``SELECT ... FOR UPDATE`` on one row, on a connection of its own,
    until released."""

    def __init__(self, queryset):
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(queryset,))

    def _hold(self, queryset):
        try:
            with transaction.atomic():
                list(queryset.select_for_update())
                self.locked.set()
                self.release.wait(30)
        finally:
            connections.close_all()

    def __enter__(self):
        self.thread.start()
        assert self.locked.wait(10)
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.thread.join(30)


def _in_thread(action):
    outcome = {}

    def run():
        try:
            outcome["value"] = action()
        except BaseException as error:  # handed to the test
            outcome["error"] = error
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, outcome


class _Erp:
    """Syncs the way the README tells an ERP to: from the last ``updated_at``
    it read (``updated_after`` is "at or after"), every page."""

    def __init__(self, api, since):
        self.api, self.since, self.seen = api, since, set()

    def pull(self):
        url, params = "/api/v1/tickets/", {"updated_after": self.since, "page_size": 100}
        while url:
            body = self.api.get(url, params).json()
            for ticket in body["results"]:
                self.seen.add(ticket["number"])
                self.since = ticket["updated_at"]
            url, params = body["next"], None


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("settle, slow_change_seen", [(SETTLE, True), (0, False)])
def test_a_change_committed_after_a_later_one_was_read_is_not_missed(
        require_postgres, settings, merchant_api, make_ticket, merchant, settle,
        slow_change_seen):
    # settle=0 is how the list read before the settle window: the same script
    # then misses the slow change, so this test is sensitive to the race.
    settings.TICKET_WRITE_TIMEOUT_SECONDS, settings.API_SYNC_SETTLE_SECONDS = BOUND, settle
    slow_agent = UserFactory(username="slow_agent", role="agent")
    fast_agent = UserFactory(username="fast_agent", role="agent")
    earlier = timezone.now() - timedelta(minutes=2)
    slow, fast = make_ticket(now=earlier), make_ticket(now=earlier)
    for minute, ticket in enumerate((slow, fast), start=1):  # settled long ago
        lifecycle.reply(ticket, actor=merchant, body="已发货",
                        now=earlier + timedelta(seconds=minute))
    erp = _Erp(merchant_api, Ticket.objects.get(pk=fast.pk).updated_at.isoformat())
    erp.pull()
    erp.seen.clear()

    # The slow approval stamps updated_at, then waits at COMMIT for its
    # actor's row (the event's foreign key check), which another connection
    # holds, for half the bound.
    with _RowLock(User.objects.filter(pk=slow_agent.pk)):
        thread, outcome = _in_thread(lambda: lifecycle.approve(slow, actor=slow_agent))
        wait_until_a_backend_waits_for_a_lock()
        lifecycle.approve(fast, actor=fast_agent)  # stamped later, committed first
        erp.pull()
    thread.join(30)
    assert "error" not in outcome, outcome
    committed = dict(Ticket.objects.values_list("number", "updated_at"))
    assert committed[slow.number] < committed[fast.number]

    time.sleep(settle + 0.1)
    erp.pull()
    assert fast.number in erp.seen
    assert (slow.number in erp.seen) is slow_change_seen


@pytest.mark.django_db(transaction=True)
def test_a_change_waiting_longer_than_the_bound_is_undone(require_postgres, settings,
                                                          make_ticket, merchant, agent,
                                                          agent_api):
    settings.TICKET_WRITE_TIMEOUT_SECONDS = 0.3
    ticket = make_ticket()
    lifecycle.reply(ticket, actor=merchant, body="已发货")
    events = TicketEvent.objects.filter(ticket=ticket).count()
    with _RowLock(Ticket.objects.filter(pk=ticket.pk)):
        started = time.monotonic()
        with pytest.raises(TicketWriteTimedOut):
            lifecycle.approve(ticket, actor=agent)
        assert time.monotonic() - started < 5
        response = agent_api.post(f"/api/v1/tickets/{ticket.number}/approve/")
        assert response.status_code == 409, response.content
        assert response["Content-Type"].startswith("application/problem+json")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNDER_REVIEW
    assert TicketEvent.objects.filter(ticket=ticket).count() == events
    # Free again: the same action goes through.
    assert lifecycle.approve(ticket, actor=agent).status == TicketStatus.CLOSED


@pytest.mark.django_db(transaction=True)
def test_a_ticket_write_that_took_longer_than_the_bound_rolls_back(settings, make_ticket):
    settings.TICKET_WRITE_TIMEOUT_SECONDS = 0.2
    ticket = make_ticket()
    with pytest.raises(TicketWriteTimedOut):
        with ticket_write():
            Ticket.objects.filter(pk=ticket.pk).update(content="改过")
            time.sleep(0.3)
    ticket.refresh_from_db()
    assert ticket.content != "改过"


def test_the_bound_ends_with_the_ticket_write(require_postgres, make_ticket, merchant):
    # Inside a test's own transaction the local setting would otherwise stay,
    # and cancel the test's later slow statements (a bulk seed) after 10 s.
    from django.db import connection

    def statement_timeout():
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            return cursor.fetchone()[0]

    before = statement_timeout()
    lifecycle.reply(make_ticket(), actor=merchant, body="已发货")
    assert statement_timeout() == before
