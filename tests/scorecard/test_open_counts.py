"""The open tickets the scorecard shows right now: on PostgreSQL the database
keeps them counted (triggers on the ticket table add a row of changes per
statement), and the kept counts equal a count over the tickets after every
kind of write: the lifecycle's, the sweep's batches, bulk statements,
deletions; folding the changes keeps the counts and leaves a row per group."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from scorecard import open_counts
from scorecard.models import OpenTicketChange
from tickets import lifecycle
from tickets.models import Ticket, TicketStatus
from tickets.sweep import sweep_deadlines

pytestmark = pytest.mark.usefixtures("require_postgres")


def kept(shops, group="shop_id", service_type=None):
    return open_counts.open_counts([shop.id for shop in shops], service_type=service_type,
                                   group=group, now=timezone.now())


def counted(shops, group="shop_id", service_type=None):
    return open_counts._counted([shop.id for shop in shops], service_type=service_type,
                                group=group, now=timezone.now())


def test_the_kept_counts_follow_every_kind_of_write(make_ticket, merchant, agent, shop_a,
                                                    shop_b, evidence_type):
    shops = [shop_a, shop_b]
    first = make_ticket()
    second = make_ticket()
    make_ticket(shop=shop_b)
    make_ticket(service_type_=evidence_type)
    assert kept(shops) == counted(shops) == {
        shop_a.id: (3, 0, 0), shop_b.id: (1, 0, 0)}
    lifecycle.reply(first, actor=merchant, body="已发货")
    lifecycle.reply(second, actor=merchant, body="已发货")
    lifecycle.approve(second, actor=agent)
    assert kept(shops)[shop_a.id] == (1, 1, 0)
    assert kept(shops, "service_type_id") == counted(shops, "service_type_id")
    assert kept(shops, service_type=evidence_type) == {shop_a.id: (1, 0, 0)}
    # The sweep's batch: one statement times out every pending ticket.
    with time_machine.travel(timezone.now() + dt.timedelta(days=30), tick=False):
        sweep_deadlines()
    assert kept(shops) == counted(shops) == {shop_a.id: (0, 1, 0)}
    # Statements outside the lifecycle too (a bulk load, a deletion).
    make_ticket(shop=shop_b)
    Ticket.objects.filter(pk=first.pk).delete()
    assert kept(shops) == counted(shops) == {shop_b.id: (1, 0, 0)}


def test_due_soon_is_counted_at_the_moment_asked(make_ticket, shop_a):
    ticket = make_ticket()
    # TICKET_DUE_SOON_HOURS (2) before the deadline, not before.
    early = ticket.deadline - dt.timedelta(hours=2, seconds=1)
    late = ticket.deadline - dt.timedelta(hours=1)
    for moment, due in ((early, 0), (late, 1)):
        for service_type in (None, ticket.service_type):
            counts = open_counts.open_counts([shop_a.id], service_type=service_type,
                                             group="shop_id", now=moment)
            assert counts == {shop_a.id: (1, 0, due)}


def test_folding_keeps_the_counts_in_a_row_per_group(make_ticket, merchant, shop_a):
    tickets = [make_ticket() for _ in range(3)]
    lifecycle.reply(tickets[0], actor=merchant, body="已发货")
    before = kept([shop_a])
    assert OpenTicketChange.objects.count() > 2
    assert open_counts.compact() > 0
    assert kept([shop_a]) == before == {shop_a.id: (2, 1, 0)}
    assert sorted(OpenTicketChange.objects.values_list("status", "change")) == [
        (TicketStatus.PENDING, 2), (TicketStatus.UNDER_REVIEW, 1)]
    assert open_counts.compact() == 0
