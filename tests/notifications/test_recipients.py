"""Each transition notifies exactly the merchants of the ticket's shop, once each,
with exactly one kind."""

import datetime as dt

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from notifications.models import Notification
from notifications.services import notify_many
from tests.factories import MembershipFactory, MerchantFactory, OrderFactory, UserFactory
from tickets import lifecycle

pytestmark = pytest.mark.django_db

A_STAFF = ["merchant_a", "merchant_a2"]


def kinds_for(ticket):
    return sorted(Notification.objects.filter(ticket=ticket)
                  .values_list("recipient__username", "kind"))


@pytest.fixture
def cast(merchant, colleague, outsider, agent, ops):
    """Everybody exists, so a wrong recipient would show up."""


def test_create_tells_every_merchant_of_the_shop_and_nobody_else(cast, make_ticket):
    ticket = make_ticket()
    assert kinds_for(ticket) == [(name, "new_ticket") for name in A_STAFF]


def test_reply_is_one_status_changed_to_under_review(cast, make_ticket, merchant):
    ticket = make_ticket()
    Notification.objects.all().delete()
    lifecycle.reply(ticket, actor=merchant, body="已发货")
    # The merchant who replied is not told of their own reply; the colleague is.
    assert kinds_for(ticket) == [("merchant_a2", "status_changed")]
    assert {n.params["status"] for n in Notification.objects.all()} == {"under_review"}


def test_approve_is_one_status_changed_to_closed_approved(cast, under_review_ticket, agent):
    Notification.objects.all().delete()
    lifecycle.approve(under_review_ticket, actor=agent)
    assert kinds_for(under_review_ticket) == [(name, "status_changed") for name in A_STAFF]
    assert {(n.params["status"], n.params["resolution"]) for n in Notification.objects.all()} \
        == {("closed", "approved")}


def test_reject_is_one_rejected_notification_carrying_the_reason(cast, under_review_ticket,
                                                                   agent):
    Notification.objects.all().delete()
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="请补充物流单号")
    assert kinds_for(under_review_ticket) == [(name, "rejected") for name in A_STAFF]
    assert {n.params["reason"] for n in Notification.objects.all()} == {"请补充物流单号"}


@pytest.mark.parametrize("replied_first", [False, True], ids=["from_pending", "from_review"])
def test_close_as_agreed_is_one_status_changed(cast, make_ticket, merchant, agent,
                                               replied_first):
    ticket = make_ticket()
    if replied_first:
        lifecycle.reply(ticket, actor=merchant, body="已联系买家")
    Notification.objects.all().delete()
    lifecycle.close_as_agreed(ticket, actor=agent, note="买家同意")
    assert kinds_for(ticket) == [(name, "status_changed") for name in A_STAFF]
    assert {(n.params["status"], n.params["resolution"]) for n in Notification.objects.all()} \
        == {("closed", "agreed")}


def test_time_out_is_one_timed_out_notification(cast, make_ticket):
    ticket = make_ticket()
    Notification.objects.all().delete()
    lifecycle.time_out(ticket, now=ticket.deadline + dt.timedelta(seconds=1))
    assert kinds_for(ticket) == [(name, "timed_out") for name in A_STAFF]


def test_due_soon_batch_reaches_each_shops_own_merchants_only(cast, make_ticket, shop_b,
                                                              django_assert_num_queries):
    ticket_a, ticket_b = make_ticket(), make_ticket(shop=shop_b)
    other_b = MerchantFactory(username="merchant_b2", membership__shop=shop_b)
    Notification.objects.all().delete()
    # One INSERT ... SELECT joining the tickets to their shops' merchants.
    with django_assert_num_queries(1):
        created = notify_many([ticket_a, ticket_b], "due_soon", now=timezone.now())
    assert created == 4
    assert kinds_for(ticket_a) == [(name, "due_soon") for name in A_STAFF]
    assert kinds_for(ticket_b) == [("merchant_b", "due_soon"), (other_b.username, "due_soon")]
    assert Notification.objects.get(recipient__username="merchant_a").params == \
        {"deadline": ticket_a.deadline.isoformat()}


def test_a_batch_of_many_tickets_costs_one_query(cast, make_ticket, shop_b,
                                                 django_assert_num_queries):
    tickets = [make_ticket(shop=shop) for shop in (None, shop_b) for _ in range(10)]
    with django_assert_num_queries(1):
        assert notify_many(tickets, "due_soon", now=timezone.now()) == 10 * 2 + 10 * 1


def test_a_shop_without_merchants_creates_nothing(agent, make_ticket, shop_b):
    ticket = make_ticket(shop=shop_b)
    assert kinds_for(ticket) == []


def test_a_merchant_added_later_sees_only_new_notifications(cast, make_ticket, shop_a, agent,
                                                            merchant):
    old = make_ticket()
    newcomer = MerchantFactory(username="newcomer", membership__shop=shop_a)
    new = make_ticket()
    lifecycle.reply(old, actor=merchant, body="已处理")
    assert sorted(Notification.objects.filter(recipient=newcomer)
                  .values_list("ticket_id", "kind")) == \
        sorted([(new.pk, "new_ticket"), (old.pk, "status_changed")])


def test_inactive_users_and_members_without_the_merchant_role_are_not_told(shop_a,
                                                                           make_ticket):
    MerchantFactory(username="left_company", is_active=False, membership__shop=shop_a)
    MembershipFactory(user=UserFactory(username="roleless"), shop=shop_a)
    ticket = make_ticket()
    assert kinds_for(ticket) == []


def test_unknown_kind_is_a_programming_error(make_ticket):
    with pytest.raises(ValueError):
        notify_many([make_ticket()], "congratulations", now=timezone.now())


def test_order_of_a_different_shop_never_leaks(cast, agent, service_type, shop_b):
    order_b = OrderFactory(shop=shop_b)
    ticket = lifecycle.create_ticket(actor=agent, order=order_b, service_type=service_type,
                                     content="发票")
    assert kinds_for(ticket) == [("merchant_b", "new_ticket")]


def test_an_agent_who_is_also_in_the_merchant_group_is_not_told_as_a_merchant(
        cast, shop_a, make_ticket, merchant, agent):
    """role_of makes such a user an agent everywhere; the recipients agree."""
    both = MerchantFactory(username="agent_and_merchant", membership__shop=shop_a)
    both.groups.add(Group.objects.get_or_create(name="agent")[0])
    ops_too = MerchantFactory(username="ops_and_merchant", membership__shop=shop_a)
    ops_too.groups.add(Group.objects.get_or_create(name="ops")[0])
    ticket = make_ticket()
    lifecycle.reply(ticket, actor=merchant, body="已发货")
    lifecycle.reject(ticket, actor=agent, reason_code="other", reason="请补充单号")
    assert {name for name, _ in kinds_for(ticket)} == set(A_STAFF)
    assert not Notification.objects.filter(recipient__in=[both, ops_too]).exists()
