"""The webhooks page in a real browser: register a receiver, see the secret
once, send a test event and find its delivery in the log."""

import pytest
from playwright.sync_api import expect

from tests.webhooks.receiver import Receiver
from webhooks.verify import verify_signature

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def receiver():
    server = Receiver().start()
    yield server
    server.stop()


def test_register_send_a_test_event_and_see_it_in_the_log(page, live_server, login, screenshot,
                                                          merchant, receiver):
    login(page, merchant)
    page.click(".settings-menu summary")  # the header's settings menu
    page.click("a[href='/settings/webhooks/']")
    page.fill("#id_url", receiver.url)
    page.check("input[name=events][value='ticket.created']")
    page.check("input[name=events][value='ticket.timed_out']")
    page.fill("#id_description", "ERP 推送")
    page.click("#endpoint-form button[type=submit]")
    secret = page.inner_text("#new-endpoint-secret").strip()
    assert secret.startswith("whsec_")
    screenshot(page, "webhooks-registered")
    expect(page.locator("#endpoints")).to_contain_text(receiver.url)

    page.click("#new-endpoint a")
    page.click("#send-test-event")
    row = page.locator("#deliveries tr.delivery").first
    expect(row.locator(".event-type")).to_have_text("ping")
    expect(row.locator(".status-code")).to_have_text("200")
    assert secret not in page.content()
    row.locator("summary").click()
    expect(row.locator(".delivery-body").first).to_contain_text('"type":"ping"')
    screenshot(page, "webhooks-delivery-log")

    (request,) = receiver.requests
    assert request.headers["X-Desk-Event"] == "ping"
    assert verify_signature(secret, request.body, request.headers["X-Desk-Signature"])

    page.click("#deliveries form[action$='/redeliver/'] button")
    expect(page.locator("#deliveries tr.delivery")).to_have_count(2)
    assert len(receiver.requests) == 2
