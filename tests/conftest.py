"""Shared fixtures: the standard cast (merchant of shop A, the outsider merchant
of shop B, an agent, an ops user) and helpers that build tickets in any state
through the lifecycle module.

``REQUIRE_SERVICES=1`` (set by CI) turns "service not available" skips into
failures, so nothing skips silently where the services exist."""

import os
import uuid

# Must be set before pytest-django creates the test database: Playwright runs an
# event loop in the test thread, and Django would otherwise refuse database access
# from it (SynchronousOnlyOperation).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest  # noqa: E402
from django.db import connection  # noqa: E402

from tests.factories import (  # noqa: E402
    MerchantFactory,
    OrderFactory,
    ServiceTypeFactory,
    ShopFactory,
    UserFactory,
)
from tests.s3server import file_storage, s3_server  # noqa: E402,F401
from tickets import lifecycle, reasons, review_queue, selectors  # noqa: E402
from tickets.models import RejectReason  # noqa: E402


def services_required() -> bool:
    return os.environ.get("REQUIRE_SERVICES", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str):
    """Skip loudly on a developer machine without the service; fail in CI."""
    if services_required():
        pytest.fail(f"REQUIRE_SERVICES is set but {reason}", pytrace=False)
    pytest.skip(f"SERVICE MISSING: {reason}")


@pytest.fixture(autouse=True)
def _fresh_review_queue_count():
    """The cached review-queue count outlives a test (the cache is Redis in CI),
    and a test's transaction never commits, so nothing else would tell the
    cache that the queue changed: start every test counting afresh."""
    review_queue.bump()


@pytest.fixture(autouse=True)
def _fresh_reason_catalogue():
    """The process keeps the rejection reasons for a minute; a test's rows
    roll back without a signal, so the next test reads them afresh."""
    reasons.forget_catalogue()


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        skip_or_fail("this test needs PostgreSQL (set DATABASE_URL=postgres://...)")


@pytest.fixture
def shop_a(db):
    return ShopFactory(name="A店·潮流服饰")


@pytest.fixture
def shop_b(db):
    return ShopFactory(name="B店·数码配件")


@pytest.fixture
def merchant(shop_a):
    return MerchantFactory(username="merchant_a", membership__shop=shop_a)


@pytest.fixture
def outsider(shop_b):
    """A merchant of another shop: must never see shop A's tickets."""
    return MerchantFactory(username="merchant_b", membership__shop=shop_b)


@pytest.fixture
def reject_reasons(db):
    """The seeded rejection reason catalogue. The migration seeds it, but a
    transactional test's flush empties the table for the tests after it."""
    reasons.seed_catalogue()
    return {reason.code: reason for reason in RejectReason.objects.all()}


@pytest.fixture
def agent(db, reject_reasons):
    return UserFactory(username="agent", role="agent")


@pytest.fixture
def ops(db):
    return UserFactory(username="ops", role="ops")


@pytest.fixture
def service_type(db):
    return ServiceTypeFactory()


@pytest.fixture
def evidence_type(db):
    return ServiceTypeFactory(code="return_refund", name_zh="退货退款", name_en="Return & refund",
                              handling_hours=48, evidence_required=True)


@pytest.fixture
def order(shop_a):
    return OrderFactory(shop=shop_a)


@pytest.fixture
def make_ticket(agent, service_type, shop_a):
    """make_ticket(shop=..., service_type=..., content=..., now=...) -> pending ticket."""

    def make(*, shop=None, order=None, service_type_=None, content="买家询问什么时候发货",
             now=None):
        order = order or OrderFactory(shop=shop or shop_a)
        return lifecycle.create_ticket(
            actor=agent, order=order, service_type=service_type_ or service_type,
            content=content, now=now,
        )

    return make


@pytest.fixture
def pending_ticket(make_ticket):
    return make_ticket()


@pytest.fixture
def under_review_ticket(make_ticket, merchant):
    ticket = make_ticket()
    return lifecycle.reply(ticket, actor=merchant, body="今天下午发出，单号稍后更新")


@pytest.fixture(autouse=True)
def _tab_counts_remembered_per_test(monkeypatch):
    """Tab counts that reached the cap are remembered in the cache, which
    outlives a test (Redis), while ids repeat across tests and runs: each test
    remembers under keys of its own, so no count leaks into another."""
    monkeypatch.setattr(selectors, "CAPPED_COUNT_KEY_PREFIX", f"tabcount-{uuid.uuid4().hex}")


@pytest.fixture(scope="session", autouse=True)
def _release_stray_connections(django_db_setup, django_db_blocker):
    """Playwright's event loop gives browser tests their own context, in which
    Django opens a connection nobody closes. On PostgreSQL that blocks dropping
    the test database at the end of the run, so end such sessions first."""
    yield
    with django_db_blocker.unblock():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
