"""The scorecard in Chromium: a merchant opens it from the header, switches
the period, clicks the timed-out count and lands on exactly those tickets; ops
see the ranking and a shop's drill-down with its charts. Screenshots of the
merchant view and the ops ranking go to test-artifacts/."""

import re

import pytest
from playwright.sync_api import expect

from tests.scorecard.conftest import history  # noqa: F401  (the fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN"}


def test_merchant_switches_period_and_follows_the_timed_out_count(
        page, live_server, login, screenshot, merchant, history, shop_b):  # noqa: F811
    login(page, merchant)
    page.click("nav.mainnav >> text=服务考核")
    page.wait_for_url(f"{live_server.url}/scorecard/")
    expect(page.locator("[data-period='30']")).to_have_attribute("aria-current", "page")
    expect(page.locator("body")).not_to_contain_text(shop_b.name)

    page.click("[data-period='7']")
    page.wait_for_url(re.compile(r".*/scorecard/\?days=7$"))
    expect(page.locator("[data-period='7']")).to_have_attribute("aria-current", "page")
    expect(page.locator("[data-figure='timed_out']")).to_have_text("1")
    expect(page.locator("[data-figure='received']")).to_have_text("4")
    expect(page.locator(".as-of")).to_contain_text("数据截至")
    # The charts are images the page could load (pygal's SVG, no script).
    for image in page.locator(".scorecard-charts img").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "scorecard-merchant")

    page.click("[data-figure='timed_out']")
    page.wait_for_url(re.compile(r".*/tickets/\?.*resolution=timed_out"))
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(history["late"].number)
    screenshot(page, "scorecard-merchant-timed-out-list")


def test_ops_see_the_ranking_and_drill_down(page, live_server, login, screenshot, ops,
                                            history, shop_a, shop_b):  # noqa: F811
    login(page, ops)
    page.goto(f"{live_server.url}/scorecard/?days=7")
    rows = page.locator("table.scorecard-ranking tbody tr")
    expect(rows).to_have_count(2)
    # Worst on-time rate first: shop B timed its only ticket out.
    expect(rows.nth(0)).to_have_attribute("data-shop", str(shop_b.id))
    screenshot(page, "scorecard-ops-ranking")

    # Ranked by on-time rate already: its header turns the order round.
    page.click("table.scorecard-ranking thead >> text=准时率")
    expect(rows.nth(0)).to_have_attribute("data-shop", str(shop_a.id))
    page.click("table.scorecard-ranking thead >> text=准时率")
    expect(rows.nth(0)).to_have_attribute("data-shop", str(shop_b.id))
    page.click("table.scorecard-ranking thead >> text=收到")  # fewest received first
    expect(rows.nth(0)).to_have_attribute("data-shop", str(shop_b.id))
    page.click("table.scorecard-ranking thead >> text=收到")
    expect(rows.nth(0)).to_have_attribute("data-shop", str(shop_a.id))

    page.click(f"tr[data-shop='{shop_a.id}'] td >> a >> nth=0")
    page.wait_for_url(re.compile(rf".*/scorecard/{shop_a.id}/.*"))
    expect(page.locator("h1")).to_contain_text(shop_a.name)
    for image in page.locator(".scorecard-charts img").all():
        assert image.evaluate("img => img.complete && img.naturalWidth > 0")
    screenshot(page, "scorecard-ops-drill-down")
