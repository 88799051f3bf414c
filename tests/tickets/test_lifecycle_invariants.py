"""Random sequences of actions and clock moves never break the ticket invariants."""

from datetime import timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from tests.factories import (
    MerchantFactory,
    OrderFactory,
    ServiceTypeFactory,
    ShopFactory,
    UserFactory,
)
from tickets import lifecycle
from tickets.errors import TicketError
from tickets.models import EventKind, Order, Resolution, Ticket, TicketEvent, TicketStatus

# Which event each status change must leave behind.
EXPECTED_EVENT = {
    ("pending", "under_review"): EventKind.REPLIED,
    ("under_review", "pending"): EventKind.REJECTED,
    ("under_review", "closed"): {EventKind.APPROVED, EventKind.AGREED},
    ("pending", "closed"): {EventKind.TIMED_OUT, EventKind.AGREED},
}


@pytest.mark.django_db
def test_random_action_sequences_keep_the_invariants():
    shop = ShopFactory()
    merchant = MerchantFactory(membership__shop=shop)
    agent = UserFactory(role="agent")
    stype = ServiceTypeFactory(handling_hours=6)

    class TicketMachine(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            self.now = timezone.now()
            self.tickets: list[int] = []
            self.rejects: dict[int, int] = {}
            self.orders: list[int] = []

        def teardown(self):
            # Each example starts from the same empty state. Transitions are
            # durable (they refuse to run inside a savepoint of the test's), so
            # the example's rows are deleted rather than rolled back.
            Ticket.objects.filter(pk__in=self.tickets).delete()
            Order.objects.filter(pk__in=self.orders).delete()

        def attempt(self, action, *args, **kwargs):
            """Run a transition; a refusal must leave the ticket exactly as it was."""
            ticket_id = args[0]
            before = Ticket.objects.values().get(pk=ticket_id)
            events_before = TicketEvent.objects.filter(ticket_id=ticket_id).count()
            try:
                action(*args, now=self.now, **kwargs)
                return True
            except TicketError:
                assert Ticket.objects.values().get(pk=ticket_id) == before
                assert TicketEvent.objects.filter(ticket_id=ticket_id).count() == events_before
                return False

        @rule()
        def create(self):
            order = OrderFactory(shop=shop)
            self.orders.append(order.pk)
            ticket = lifecycle.create_ticket(actor=agent, order=order, service_type=stype,
                                             content="c", now=self.now)
            self.tickets.append(ticket.pk)
            self.rejects[ticket.pk] = 0

        @rule(hours=st.floats(min_value=0.01, max_value=8))
        def clock_moves(self, hours):
            self.now += timedelta(hours=hours)

        @precondition(lambda self: self.tickets)
        @rule(data=st.data())
        def reply(self, data):
            pk = data.draw(st.sampled_from(self.tickets))
            self.attempt(lifecycle.reply, pk, actor=merchant, body="r")

        @precondition(lambda self: self.tickets)
        @rule(data=st.data())
        def approve(self, data):
            pk = data.draw(st.sampled_from(self.tickets))
            self.attempt(lifecycle.approve, pk, actor=agent)

        @precondition(lambda self: self.tickets)
        @rule(data=st.data())
        def reject(self, data):
            pk = data.draw(st.sampled_from(self.tickets))
            if self.attempt(lifecycle.reject, pk, actor=agent, reason_code="other",
                            reason="why"):
                self.rejects[pk] += 1

        @precondition(lambda self: self.tickets)
        @rule(data=st.data())
        def agree(self, data):
            pk = data.draw(st.sampled_from(self.tickets))
            self.attempt(lifecycle.close_as_agreed, pk, actor=agent)

        @precondition(lambda self: self.tickets)
        @rule(data=st.data())
        def time_out(self, data):
            pk = data.draw(st.sampled_from(self.tickets))
            self.attempt(lifecycle.time_out, pk)

        @invariant()
        def tickets_are_consistent(self):
            for t in Ticket.objects.filter(pk__in=self.tickets):
                assert (t.status == TicketStatus.PENDING) == (t.deadline is not None)
                assert (t.status == TicketStatus.CLOSED) == (t.resolution != "")
                assert (t.status == TicketStatus.CLOSED) == (t.closed_at is not None)
                if t.resolution:
                    assert t.resolution in Resolution.values
                assert t.reject_count == self.rejects[t.pk]
                assert t.reject_count == TicketEvent.objects.filter(
                    ticket=t, kind=EventKind.REJECTED).count()
                if t.status == TicketStatus.UNDER_REVIEW:
                    assert t.last_replied_at is not None
                # The event log replays to the current status.
                chain = list(TicketEvent.objects.filter(ticket=t)
                             .order_by("created_at", "id")
                             .values_list("kind", "from_status", "to_status"))
                assert chain[0] == (EventKind.CREATED, "", TicketStatus.PENDING)
                pairs = zip(chain, chain[1:], strict=False)
                for (_, _, previous_to), (kind, from_s, to_s) in pairs:
                    assert from_s == previous_to
                    expected = EXPECTED_EVENT[(from_s, to_s)]
                    assert kind in expected if isinstance(expected, set) else kind == expected
                assert chain[-1][2] == t.status
                if t.resolution == Resolution.TIMED_OUT:
                    assert chain[-1][0] == EventKind.TIMED_OUT

    TicketMachine.TestCase.settings = settings(
        max_examples=40, stateful_step_count=25, deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    TicketMachine.TestCase().runTest()
