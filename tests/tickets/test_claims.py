"""Claims on replies under review (tickets.claims): who is reviewing a reply
now, enforced by the lifecycle on approve and reject; a decision lets go of
the claim, an expired claim never blocks, taking over is recorded."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import UserFactory
from tests.threads import run_together
from tickets import claims, lifecycle
from tickets.errors import Claimed
from tickets.models import EventKind, Ticket, TicketEvent, TicketStatus
from tickets.transitions import TRANSITIONS


@pytest.fixture
def agent2(db):
    return UserFactory(username="agent2", role="agent")


def test_first_agent_claims_and_the_second_is_told_who(under_review_ticket, agent, agent2):
    assert claims.claim(under_review_ticket, agent).won
    refused = claims.claim(under_review_ticket, agent2)
    assert not refused.won and refused.holder == agent
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.claimed_by == agent


def test_a_live_claim_refuses_approve_and_reject_by_another_agent(under_review_ticket, agent,
                                                                  agent2):
    claims.claim(under_review_ticket, agent)
    with pytest.raises(Claimed) as refused:
        lifecycle.approve(under_review_ticket, actor=agent2)
    assert refused.value.status_code == 409 and "agent" in str(refused.value.message)
    with pytest.raises(Claimed):
        lifecycle.reject(under_review_ticket, actor=agent2, reason_code="not_solved")
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.UNDER_REVIEW
    assert not TicketEvent.objects.filter(ticket=under_review_ticket,
                                          kind__in=[EventKind.APPROVED,
                                                    EventKind.REJECTED]).exists()


def test_the_holder_decides_and_the_decision_lets_go_of_the_claim(under_review_ticket, agent):
    claims.claim(under_review_ticket, agent)
    lifecycle.approve(under_review_ticket, actor=agent)
    ticket = Ticket.objects.get(pk=under_review_ticket.pk)
    assert (ticket.status, ticket.claimed_by, ticket.claim_expires_at) == (
        TicketStatus.CLOSED, None, None)


def test_an_expired_claim_does_not_block(under_review_ticket, agent, agent2, settings):
    past = timezone.now() - timedelta(seconds=settings.REVIEW_CLAIM_SECONDS + 1)
    claims.claim(under_review_ticket, agent, now=past)
    # No cleanup ran: the row still names agent, and it does not matter.
    assert Ticket.objects.get(pk=under_review_ticket.pk).claimed_by == agent
    assert claims.claim(under_review_ticket, agent2).won
    lifecycle.reject(under_review_ticket, actor=agent2, reason_code="not_solved")
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.PENDING


def test_an_expired_claim_does_not_block_a_decision_without_claiming(under_review_ticket,
                                                                    agent, agent2, settings):
    past = timezone.now() - timedelta(seconds=settings.REVIEW_CLAIM_SECONDS + 1)
    claims.claim(under_review_ticket, agent, now=past)
    lifecycle.approve(under_review_ticket, actor=agent2)
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == TicketStatus.CLOSED


def test_opening_another_reply_lets_go_of_the_first(make_ticket, merchant, agent, agent2):
    first, second = (lifecycle.reply(make_ticket(), actor=merchant, body="好")
                     for _ in range(2))
    claims.claim(first, agent)
    claims.claim(second, agent)
    assert Ticket.objects.get(pk=first.pk).claimed_by is None
    assert claims.claim(first, agent2).won


def test_take_over_records_an_event_and_moves_the_claim(under_review_ticket, agent, agent2):
    claims.claim(under_review_ticket, agent)
    assert claims.take_over(under_review_ticket, agent2)
    event = TicketEvent.objects.get(ticket=under_review_ticket, kind=EventKind.TAKEN_OVER)
    assert (event.actor, event.text, event.from_status, event.to_status) == (
        agent2, "agent", TicketStatus.UNDER_REVIEW, TicketStatus.UNDER_REVIEW)
    # The first holder lost it: now they are the one refused.
    with pytest.raises(Claimed):
        lifecycle.approve(under_review_ticket, actor=agent)
    lifecycle.approve(under_review_ticket, actor=agent2)


def test_a_closed_ticket_cannot_be_claimed_or_taken_over(under_review_ticket, agent):
    lifecycle.approve(under_review_ticket, actor=agent)
    assert not claims.claim(under_review_ticket, agent).won
    assert not claims.take_over(under_review_ticket, agent)


def test_claims_are_not_rows_of_the_transition_table():
    assert not any("claim" in str(action) for action in TRANSITIONS)


@pytest.mark.django_db(transaction=True)
def test_two_agents_opening_a_reply_at_once_exactly_one_gets_it(require_postgres,
                                                                make_ticket, merchant, agent):
    rival = UserFactory(username="rival", role="agent")
    for _ in range(8):
        ticket = lifecycle.reply(make_ticket(), actor=merchant, body="已处理")
        results = run_together(lambda: claims.claim(ticket, agent).won,
                               lambda: claims.claim(ticket, rival).won, timeout=30)
        assert all(kind == "ok" for kind, _ in results), results
        assert sorted(won for _, won in results) == [False, True]
        winner = agent if results[0][1] else rival
        assert Ticket.objects.get(pk=ticket.pk).claimed_by == winner
