"""One definition of "merchant of this shop": the per-user answer (role_of,
shop_id_of) and the query the notifications use (merchant_memberships) agree
for every combination of groups, superuser flag and active flag."""

import itertools

import pytest
from django.contrib.auth.models import Group

from tests.factories import MembershipFactory, UserFactory
from tickets import roles
from tickets.models import Ticket
from tickets.roles import Role

pytestmark = pytest.mark.django_db

GROUPS = ["merchant", "agent", "ops"]
COMBINATIONS = [
    (frozenset(groups), superuser, active, member)
    for size in range(len(GROUPS) + 1)
    for groups in itertools.combinations(GROUPS, size)
    for superuser in (False, True)
    for active in (True, False)
    for member in (True, False)
]


@pytest.fixture
def every_kind_of_user(shop_a):
    """One user per combination of COMBINATIONS, in its order."""
    users = []
    for index, (groups, superuser, active, member) in enumerate(COMBINATIONS):
        user = UserFactory(username=f"u{index}", is_superuser=superuser, is_active=active)
        for name in groups:
            user.groups.add(Group.objects.get_or_create(name=name)[0])
        if member:
            MembershipFactory(user=user, shop=shop_a)
        users.append(user)
    return users


def test_role_of_and_the_merchant_query_agree_for_every_kind_of_user(shop_a,
                                                                     every_kind_of_user):
    users = every_kind_of_user
    listed = set(roles.merchant_memberships().filter(shop=shop_a)
                 .values_list("user_id", flat=True))
    for user, (groups, superuser, active, member) in zip(users, COMBINATIONS, strict=True):
        # An inactive user never gets a session, so only active ones have a role.
        is_merchant = active and roles.role_of(user) == Role.MERCHANT
        assert (user.pk in listed) == is_merchant, (groups, superuser, active, member)
        assert roles.shop_id_of(user) == (shop_a.pk if user.pk in listed else None)
    # Spelled out: the merchant group with a shop and nothing above it.
    assert {COMBINATIONS[users.index(u)] for u in users if u.pk in listed} == \
        {(frozenset({"merchant"}), False, True, True)}


def test_the_compiled_handler_list_is_the_shop_merchants_query(shop_a, shop_b,
                                                                every_kind_of_user):
    MembershipFactory(user=UserFactory(username="zz-other-shop", role="merchant"), shop=shop_b)
    for shop in (shop_a, shop_b):
        expected = [user.username for user in roles.shop_merchants(shop.pk)]
        assert expected  # each shop has a merchant
        assert [user.username for user in roles.shop_merchant_list(shop.pk)] == expected


def test_an_agent_who_is_also_a_shop_member_sees_every_shop(shop_a, shop_b, make_ticket):
    user = UserFactory(username="both", role="agent")
    user.groups.add(Group.objects.get_or_create(name="merchant")[0])
    MembershipFactory(user=user, shop=shop_a)
    make_ticket(shop=shop_a)
    make_ticket(shop=shop_b)
    assert roles.role_of(user) == Role.AGENT
    assert Ticket.objects.visible_to(user).count() == 2


def test_a_user_loaded_with_roles_answers_like_role_of_in_one_query(
        every_kind_of_user, django_assert_num_queries):
    """roles.load_user (the session's user, tickets.auth) decides role and shop
    in its one query exactly as role_of and shop_id_of decide them."""
    for user, combination in zip(every_kind_of_user, COMBINATIONS, strict=True):
        expected = (roles.role_of(user), roles.shop_id_of(user))
        with django_assert_num_queries(1):
            loaded = roles.load_user(user.pk)
            assert (roles.role_of(loaded), roles.shop_id_of(loaded)) == expected, combination
    assert roles.load_user(10**9) is None
