"""The header badge refreshes by htmx polling: a merchant with a page open sees a
rejection arrive without reloading, and reading it brings the count back down."""

import pytest
from django.urls import Resolver404, resolve
from playwright.sync_api import expect

from notifications.models import Notification
from tickets import lifecycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

POLL_SECONDS = 1




def reject_as_agent(agent_context, live_server, login, agent, ticket, reason):
    """Through the agent's own browser session when the review pages exist (the
    pages issue builds POST /tickets/<number>/reject/), else through the lifecycle."""
    path = f"/tickets/{ticket.number}/reject/"
    try:
        resolve(path)
    except Resolver404:
        lifecycle.reject(ticket, actor=agent, reason_code="other", reason=reason)
        return
    page = login(agent_context.new_page(), agent)
    token = next(c["value"] for c in agent_context.cookies() if c["name"] == "csrftoken")
    response = page.request.post(f"{live_server.url}{path}",
                                 form={"reason_code": "other", "reason": reason},
                                 headers={"X-CSRFToken": token})
    assert response.ok, response.status


def test_merchant_sees_a_rejection_arrive_without_reload_and_reads_it(
        browser, live_server, login, screenshot, settings, merchant, agent,
        under_review_ticket):
    settings.NOTIFICATION_POLL_SECONDS = POLL_SECONDS
    merchant_context, agent_context = browser.new_context(), browser.new_context()
    try:
        page = login(merchant_context.new_page(), merchant)
        count = page.locator("#notification-badge [data-unread]")
        before = Notification.objects.filter(recipient=merchant, read_at__isnull=True).count()
        expect(count).to_have_text(str(before))
        # Survives only as long as the page is not reloaded.
        page.evaluate("window.__sameDocument = true")

        reject_as_agent(agent_context, live_server, login, agent, under_review_ticket,
                        reason="物流单号查询不到，请核实")

        expect(count).to_have_text(str(before + 1), timeout=(POLL_SECONDS + 4) * 1000)
        assert page.evaluate("window.__sameDocument") is True
        screenshot(page, "notification-badge-after-reject")

        page.click("#notification-badge a.badge-link")
        page.wait_for_url(f"{live_server.url}/notifications/")
        newest = page.locator("li.notification.unread a.notification-link").first
        expect(newest).to_contain_text("物流单号查询不到")
        screenshot(page, "notification-list")
        newest.click()
        page.wait_for_url(f"{live_server.url}/tickets/{under_review_ticket.number}/")
        expect(page.locator("#notification-badge [data-unread]")).to_have_text(str(before))
        assert Notification.objects.get(recipient=merchant, kind="rejected").read_at is not None
    finally:
        merchant_context.close()
        agent_context.close()
