"""Two people (or a person and the sweep) acting on one ticket at the same moment,
on PostgreSQL with real row locks: exactly one wins, the other gets the domain
error, and the event log has exactly one entry for the winner."""

from datetime import timedelta

import pytest

from tests.threads import run_together
from tickets import lifecycle
from tickets.errors import TicketError
from tickets.models import EventKind, Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db(transaction=True)
ROUNDS = 8


def race(*actions):
    """Run the actions together; a domain error is an outcome, anything else a bug."""
    results = run_together(*actions, timeout=30)
    for kind, value in results:
        if kind == "error" and not isinstance(value, TicketError):
            raise value
    return results


def outcomes(results):
    return sorted(kind for kind, _ in results)


def test_reply_racing_the_timeout_at_the_deadline_has_one_outcome(require_postgres,
                                                                   make_ticket, merchant):
    for _ in range(ROUNDS):
        ticket = make_ticket()
        deadline = ticket.deadline
        results = race(
            lambda: lifecycle.reply(ticket.pk, actor=merchant, body="赶在截止前",
                                    now=deadline - timedelta(milliseconds=1)),
            lambda: lifecycle.time_out(ticket.pk, now=deadline),
        )
        assert outcomes(results) == ["error", "ok"]
        ticket.refresh_from_db()
        kinds = list(TicketEvent.objects.filter(ticket=ticket).exclude(kind=EventKind.CREATED)
                     .values_list("kind", flat=True))
        if results[0][0] == "ok":
            assert ticket.status == TicketStatus.UNDER_REVIEW and kinds == [EventKind.REPLIED]
        else:
            assert ticket.status == TicketStatus.CLOSED and kinds == [EventKind.TIMED_OUT]


def test_approve_racing_reject_has_one_winner(require_postgres, make_ticket, merchant,
                                              agent):
    for _ in range(ROUNDS):
        ticket = lifecycle.reply(make_ticket(), actor=merchant, body="已处理")
        results = race(
            lambda: lifecycle.approve(ticket.pk, actor=agent),
            lambda: lifecycle.reject(ticket.pk, actor=agent, reason_code="other",
                                     reason="不清楚"),
        )
        assert outcomes(results) == ["error", "ok"]
        ticket.refresh_from_db()
        review_events = TicketEvent.objects.filter(
            ticket=ticket, kind__in=[EventKind.APPROVED, EventKind.REJECTED])
        assert review_events.count() == 1
        expected = TicketStatus.CLOSED if results[0][0] == "ok" else TicketStatus.PENDING
        assert ticket.status == expected
        assert ticket.reject_count == (0 if results[0][0] == "ok" else 1)


def test_two_replies_at_once_store_one(require_postgres, make_ticket, merchant):
    for _ in range(ROUNDS):
        ticket = make_ticket()
        results = race(
            lambda: lifecycle.reply(ticket.pk, actor=merchant, body="第一条"),
            lambda: lifecycle.reply(ticket.pk, actor=merchant, body="第二条"),
        )
        assert outcomes(results) == ["error", "ok"]
        loser = next(value for kind, value in results if kind == "error")
        assert "already" in str(loser.message).lower() or "已" in str(loser.message)
        assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REPLIED).count() == 1
        assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.UNDER_REVIEW
