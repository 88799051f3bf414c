"""The weekly scorecard summary in Chromium: it arrives in the merchant's
header badge, the notifications page shows its sentence (no ticket), and
clicking it reads it and opens the shop's scorecard."""

import pytest
from playwright.sync_api import expect

from notifications.models import Notification, NotificationKind
from scorecard import tasks
from tests.scorecard.conftest import history  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN"}


def test_merchant_reads_the_weekly_summary_and_lands_on_the_scorecard(
        page, live_server, login, screenshot, merchant, shop_a, history):  # noqa: F811
    assert tasks.send_weekly_summaries() >= 1
    summary = Notification.objects.get(recipient=merchant,
                                       kind=NotificationKind.WEEKLY_SCORECARD)
    unread = Notification.objects.filter(recipient=merchant, read_at__isnull=True).count()

    login(page, merchant)
    count = page.locator("#notification-badge [data-unread]")
    expect(count).to_have_text(str(unread))
    page.click("#notification-badge a.badge-link")
    page.wait_for_url(f"{live_server.url}/notifications/")
    item = page.locator(f"#notification-{summary.pk}")
    expect(item).to_have_class("notification unread")
    expect(item.locator(".badge")).to_have_text("每周服务考核")
    expect(item.locator("a.notification-link")).to_contain_text("贵店上周")
    expect(item.locator("a.notification-link")).to_contain_text("准时率")
    screenshot(page, "notification-list-weekly-scorecard")

    item.locator("a.notification-link").click()
    page.wait_for_url(f"{live_server.url}/scorecard/{shop_a.id}/")
    expect(page.locator("h1")).to_contain_text(shop_a.name)
    expect(count).to_have_text(str(unread - 1))
    summary.refresh_from_db()
    assert summary.read_at is not None
