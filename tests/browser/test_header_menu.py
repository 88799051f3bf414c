"""The header's settings menu in a real browser: one button opens the links of
the account's settings that the role has; a click elsewhere or Escape closes
it, Escape giving the focus back to the button; the page it leads to is marked
as the current one. Before it, those links stood in the header one by one and
pushed it onto a second row at a laptop's width."""

import pytest
from playwright.sync_api import expect

from tickets.models import ShopMembership

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

LAPTOP = {"width": 1366, "height": 768}
MERCHANT_LINKS = ["/settings/templates/", "/settings/tokens/", "/settings/webhooks/"]


def menu_links(page) -> list[str]:
    return page.locator(".settings-menu .menu-panel a").evaluate_all(
        "links => links.map(link => link.getAttribute('href'))")


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_menu_opens_closes_and_keeps_the_header_on_one_row(
        page, live_server, login, merchant, language):
    ShopMembership.objects.filter(user=merchant).update(manager=True)
    page.context.add_cookies([{"name": "django_language", "value": language,
                               "url": live_server.url}])
    page.set_viewport_size(LAPTOP)
    login(page, merchant)
    menu, button = page.locator(".settings-menu"), page.locator(".settings-menu summary")
    tokens = page.locator(".menu-panel a[href='/settings/tokens/']")
    expect(tokens).to_be_hidden()
    # Brand, menu, user box and language menu side by side: one row of the header.
    tops = page.locator(".topbar > *").evaluate_all(
        "nodes => nodes.map(node => Math.round(node.getBoundingClientRect().top))")
    assert max(tops) - min(tops) < 20, tops

    button.click()
    expect(tokens).to_be_visible()
    assert menu_links(page) == ["/settings/templates/", "/settings/assignment/",
                                "/settings/tokens/", "/settings/webhooks/"]
    page.keyboard.press("Escape")
    expect(tokens).to_be_hidden()
    expect(button).to_be_focused()

    button.click()
    page.locator("main h1").click()
    expect(tokens).to_be_hidden()

    button.click()
    tokens.click()
    page.wait_for_url("**/settings/tokens/")
    expect(button).to_have_class("active")
    button.click()
    expect(menu.locator("a[aria-current=page]")).to_have_attribute("href", "/settings/tokens/")


def test_each_role_finds_only_its_own_settings(page, live_server, login, merchant, agent):
    login(page, merchant)
    assert menu_links(page) == MERCHANT_LINKS  # not a manager: no assignment rules
    page.context.clear_cookies()
    login(page, agent)
    assert menu_links(page) == ["/settings/tokens/", "/settings/webhooks/"]
