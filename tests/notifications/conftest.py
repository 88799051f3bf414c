import pytest
from django.contrib.auth.models import Group

from notifications.models import Notification
from tests.factories import MerchantFactory
from tickets.roles import GROUP_NAMES


@pytest.fixture
def role_groups(transactional_db):
    """The role groups (a data migration makes them) for transactional tests.

    serialized_rollback does not bring them back after an earlier transactional
    test flushed the database once Playwright has started in the session:
    Playwright's running event loop makes asgiref hand the test thread a fresh
    connection object that lacks the serialized contents. So make sure."""
    for name in GROUP_NAMES:
        Group.objects.get_or_create(name=name)


@pytest.fixture
def colleague(shop_a):
    """A second merchant of shop A: every shop member is told, not just one."""
    return MerchantFactory(username="merchant_a2", membership__shop=shop_a)


@pytest.fixture
def received():
    """received() -> {(username, kind), ...} of all notifications, for exact comparison."""

    def collect(**filters):
        rows = Notification.objects.filter(**filters).values_list("recipient__username", "kind")
        return sorted(rows)

    return collect
