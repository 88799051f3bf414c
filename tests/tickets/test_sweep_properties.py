"""Property: whatever a merchant and an agent do, and whenever the sweep runs,
a ticket is timed out at most once, never while it still has time left, never
left pending past a sweep that ran after its deadline, and gets at most one
reminder per deadline."""

from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from tests.factories import MerchantFactory, OrderFactory, ServiceTypeFactory, UserFactory
from tickets import lifecycle
from tickets.errors import TicketError
from tickets.models import EventKind, Resolution, Ticket, TicketStatus
from tickets.sweep import sweep_deadlines

START = datetime(2026, 5, 4, 2, 0, tzinfo=UTC)

actions = st.lists(
    st.tuples(st.sampled_from(["wait", "sweep", "reply", "reject", "approve"]),
              st.integers(min_value=1, max_value=30 * 60)),  # minutes to wait first
    max_size=12,
)


class SweepProperties(TestCase):
    @settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow])
    @given(actions)
    def test_sweep_invariants_hold_for_any_sequence_of_actions(self, steps):
        merchant = MerchantFactory()
        agent = UserFactory(role="agent")
        service_type = ServiceTypeFactory(handling_hours=4)
        order = OrderFactory(shop=merchant.shop_membership.shop)
        ticket = lifecycle.create_ticket(actor=agent, order=order, service_type=service_type,
                                         content="买家询问发货时间", now=START)
        reminders = Counter()
        original = lifecycle.notify_many

        def spy(tickets, kind, *, now, events=None, returned=False):
            if kind == "due_soon":
                reminders.update(t.deadline for t in tickets)
            return original(tickets, kind, now=now, events=events, returned=returned)

        lifecycle.notify_many = spy
        try:
            now = START
            for action, minutes in steps:
                now += timedelta(minutes=minutes)
                current = Ticket.objects.get(pk=ticket.pk)
                with time_machine.travel(now, tick=False):
                    if action == "sweep":
                        sweep_deadlines()
                        current = Ticket.objects.get(pk=ticket.pk)
                        # Nothing is left pending past its deadline after a sweep.
                        assert not (current.is_pending and current.deadline <= now)
                    elif action in ("reply", "reject", "approve"):
                        self.attempt(action, current, merchant, agent, now)
        finally:
            lifecycle.notify_many = original

        ticket.refresh_from_db()
        kinds = Counter(ticket.events.values_list("kind", flat=True))
        assert kinds[EventKind.TIMED_OUT] == (ticket.resolution == Resolution.TIMED_OUT)
        if ticket.resolution == Resolution.TIMED_OUT:
            timed_out = ticket.events.get(kind=EventKind.TIMED_OUT)
            previous = ticket.events.exclude(pk=timed_out.pk).order_by("-created_at").first()
            # It was pending with its deadline passed when the sweep closed it.
            assert previous.to_status == TicketStatus.PENDING
            assert timed_out.created_at >= previous.created_at + timedelta(hours=4)
        assert all(count == 1 for count in reminders.values())

    def attempt(self, action, ticket, merchant, agent, now):
        in_time = ticket.is_pending and now < ticket.deadline
        try:
            if action == "reply":
                lifecycle.reply(ticket, actor=merchant, body="已处理")
            elif action == "reject":
                lifecycle.reject(ticket, actor=agent, reason_code="other", reason="请补充说明")
            else:
                lifecycle.approve(ticket, actor=agent)
            accepted = True
        except TicketError:
            accepted = False
        if action == "reply":
            # Accepted exactly when pending with time left, swept or not.
            assert accepted == in_time
