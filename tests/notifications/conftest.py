import pytest

from notifications.models import Notification
from tests.factories import MerchantFactory


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
