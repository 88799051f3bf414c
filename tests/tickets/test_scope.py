"""``Ticket.objects.visible_to(user)`` is the one scope."""

import pytest
from django.contrib.auth.models import AnonymousUser

from tests.factories import OrderFactory, UserFactory
from tickets.models import Ticket
from tickets.roles import Role, role_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_shops_of_tickets(make_ticket, shop_a, shop_b):
    return ([make_ticket(shop=shop_a) for _ in range(3)],
            [make_ticket(order=OrderFactory(shop=shop_b)) for _ in range(2)])


def test_merchant_sees_only_own_shops_tickets(two_shops_of_tickets, merchant, outsider):
    mine, theirs = two_shops_of_tickets
    assert set(Ticket.objects.visible_to(merchant)) == set(mine)
    assert set(Ticket.objects.visible_to(outsider)) == set(theirs)
    assert not Ticket.objects.visible_to(merchant).filter(pk=theirs[0].pk).exists()


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_agents_and_ops_see_every_shop(request, role, two_shops_of_tickets):
    mine, theirs = two_shops_of_tickets
    user = request.getfixturevalue(role)
    assert Ticket.objects.visible_to(user).count() == len(mine) + len(theirs)


def test_users_without_a_role_and_anonymous_see_nothing(two_shops_of_tickets):
    assert Ticket.objects.visible_to(UserFactory()).count() == 0
    assert Ticket.objects.visible_to(AnonymousUser()).count() == 0


def test_merchant_group_without_a_shop_is_no_merchant(two_shops_of_tickets):
    user = UserFactory(role="merchant")
    assert role_of(user) == Role.NONE
    assert Ticket.objects.visible_to(user).count() == 0


def test_scope_joins_what_the_list_prints(two_shops_of_tickets, ops,
                                          django_assert_num_queries):
    with django_assert_num_queries(2):  # the role lookup, then the tickets with joins
        rows = [(t.shop.name, t.order.number, t.service_type.code)
                for t in Ticket.objects.visible_to(ops)]
    assert len(rows) == 5
