"""notify_many writes its rows with one INSERT ... SELECT. These pin the rows it
writes to what one Notification per (ticket, active merchant of its shop) with the
kind's parameters means, for every kind, whatever the batch's shape."""

import datetime as dt

import pytest
from django.db import connection, transaction
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify_many
from tests.factories import MembershipFactory, MerchantFactory, UserFactory
from tickets.models import EventKind, Resolution, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 30, 15, 123456, tzinfo=dt.UTC)


@pytest.fixture
def staff(shop_a, shop_b, agent, ops):
    """{shop id: usernames who must be told}. Shop A: three merchants, one who
    left, one member without the merchant role. Shop B: one merchant. Agents and
    ops exist too, so a wrong recipient would show."""
    MerchantFactory(username="a1", membership__shop=shop_a)
    MerchantFactory(username="a2", membership__shop=shop_a)
    MerchantFactory(username="a3", membership__shop=shop_a)
    MerchantFactory(username="a_left", is_active=False, membership__shop=shop_a)
    MembershipFactory(user=UserFactory(username="a_roleless"), shop=shop_a)
    MerchantFactory(username="b1", membership__shop=shop_b)
    return {shop_a.pk: ["a1", "a2", "a3"], shop_b.pk: ["b1"]}


@pytest.fixture
def batch(staff, make_ticket, shop_b):
    """Tickets of both shops with different deadlines; no notifications yet."""
    tickets = [make_ticket(now=NOW - dt.timedelta(minutes=k), shop=None if k % 3 else shop_b)
               for k in range(7)]
    Notification.objects.all().delete()
    return tickets


def stored():
    return sorted(Notification.objects.values_list(
        "recipient__username", "kind", "ticket_id", "params", "created_at", "read_at"),
        key=lambda row: (row[2], row[0]))


def expected(tickets, staff, kind, params_of):
    rows = [(name, kind, ticket.pk, params_of(ticket), NOW, None)
            for ticket in tickets for name in staff[ticket.shop_id]]
    return sorted(rows, key=lambda row: (row[2], row[0]))


@pytest.fixture(params=[None, 40], ids=["one_statement", "split_statements"])
def query_params_limit(request, monkeypatch):
    """None: as on PostgreSQL. 40: a cap on query parameters far below the
    batch's tickets (SQLite has one) changes nothing: the ticket ids and their
    parameters are one query parameter each."""
    monkeypatch.setattr(connection.features, "max_query_params", request.param)
    return request.param


def test_timed_out_tells_each_active_merchant_once_without_params(batch, staff,
                                                                   query_params_limit):
    assert notify_many(batch, "timed_out", now=NOW) == 3 * 4 + 1 * 3
    assert stored() == expected(batch, staff, "timed_out", lambda t: {})


def test_due_soon_carries_each_tickets_own_deadline(batch, staff, query_params_limit):
    assert len({t.deadline for t in batch}) == len(batch)
    assert notify_many(batch, "due_soon", now=NOW) == 15
    assert stored() == expected(batch, staff, "due_soon",
                                lambda t: {"deadline": t.deadline.isoformat()})


def test_rejected_carries_each_events_reason(batch, staff, query_params_limit):
    events = [TicketEvent(ticket=t, kind=EventKind.REJECTED, text=f"原因 {t.pk}",
                          to_status=TicketStatus.PENDING) for t in batch]
    assert notify_many(batch, "rejected", now=NOW, events=events) == 15
    assert stored() == expected(batch, staff, "rejected",
                                lambda t: {"reason": f"原因 {t.pk}", "reason_code": ""})


def test_status_changed_carries_status_and_resolution(batch, staff, query_params_limit):
    for ticket in batch:
        ticket.status, ticket.resolution = TicketStatus.CLOSED, Resolution.AGREED
    events = [TicketEvent(ticket=t, kind=EventKind.AGREED, to_status=TicketStatus.CLOSED)
              for t in batch]
    assert notify_many(batch, "status_changed", now=NOW, events=events) == 15
    assert stored() == expected(batch, staff, "status_changed",
                                lambda t: {"status": "closed", "resolution": "agreed"})


def test_new_ticket_for_one_ticket(batch, staff, query_params_limit):
    assert notify_many(batch[:1], "new_ticket", now=NOW) == 1  # batch[0] is shop B's
    assert stored() == expected(batch[:1], staff, "new_ticket", lambda t: {})


def test_the_rows_are_numbered_by_ticket_then_recipient(batch, staff):
    notify_many(list(reversed(batch)), "timed_out", now=NOW)
    in_id_order = list(Notification.objects.order_by("pk")
                       .values_list("ticket_id", "recipient_id"))
    assert in_id_order == sorted(in_id_order)


def test_inside_a_rolled_back_transaction_nothing_is_left(batch):
    with pytest.raises(RuntimeError), transaction.atomic():
        assert notify_many(batch, "timed_out", now=timezone.now()) == 15
        raise RuntimeError("the transition failed")
    assert not Notification.objects.exists()
