"""Keyboard first, in a real browser: the skip link is the first Tab stop and
lands in the main content; the focus ring and the controls' borders meet the
3:1 non-text contrast; a reply sent with a bad file comes back with the caret
in that field, linked to its error; an agent rejects a reply with the keyboard
only; marking a notification read by keyboard moves focus to it and the one
live region says so."""

import re

import pytest
from playwright.sync_api import expect

from notifications.models import Notification
from tickets import lifecycle

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# WCAG relative luminance and contrast of two computed "rgb(r, g, b)" colours.
CONTRAST = """([a, b]) => {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number).map((v) => {
      v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}"""
WHITE = "rgb(255, 255, 255)"


def contrast(page, a, b):
    return page.evaluate(CONTRAST, [a, b])


def focused(page, prop):
    return page.evaluate(f"getComputedStyle(document.activeElement).{prop}")


def test_skip_link_is_the_first_tab_stop_and_reaches_main(page, live_server, login, merchant):
    login(page, merchant)
    page.keyboard.press("Tab")
    skip = page.locator(".skip-link")
    expect(skip).to_be_focused()
    assert skip.bounding_box()["y"] >= 0  # on screen while focused
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"


def test_focus_ring_and_control_borders_meet_non_text_contrast(page, live_server, login,
                                                               merchant):
    login(page, merchant)
    page.keyboard.press("Tab")  # skip link
    page.keyboard.press("Tab")  # the brand link, in the dark header
    assert focused(page, "outlineStyle") == "solid"
    header = page.evaluate("getComputedStyle(document.querySelector('.topbar')).backgroundColor")
    assert contrast(page, focused(page, "outlineColor"), header) >= 3

    page.focus("#id_order_number")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Tab")  # keyboard focus: :focus-visible applies
    assert focused(page, "outlineStyle") == "solid"
    assert float(focused(page, "outlineWidth").rstrip("px")) >= 2
    assert contrast(page, focused(page, "outlineColor"), WHITE) >= 3
    assert contrast(page, focused(page, "borderTopColor"), WHITE) >= 3
    border = page.evaluate(
        "getComputedStyle(document.querySelector('.filter-actions .button')).borderTopColor")
    assert contrast(page, border, WHITE) >= 3


def test_bad_reply_comes_back_focused_on_the_field_with_its_error(
        page, live_server, login, merchant, pending_ticket, tmp_path):
    fake = tmp_path / "fake.png"
    fake.write_bytes(b"this is no image")
    login(page, merchant)
    page.goto(f"{live_server.url}/tickets/{pending_ticket.number}/")
    page.focus("#id_body")
    page.keyboard.type("已发货")
    page.set_input_files("#id_evidence", str(fake))
    page.focus("#reply button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    field = page.locator("#id_evidence")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    described = field.get_attribute("aria-describedby").split()
    errors = [page.locator(f"#{ref}").inner_text() for ref in described]
    assert any(text.strip() for text in errors[1:]), errors
    assert page.locator(f"#{described[-1]}.errorlist").count() == 1


def test_agent_rejects_a_reply_with_the_keyboard_only(
        page, live_server, login, agent, under_review_ticket):
    login(page, agent)
    page.goto(f"{live_server.url}/tickets/{under_review_ticket.number}/")
    page.focus("#approve")
    page.keyboard.press("Tab")  # the coded reason
    expect(page.locator("#id_reason_code")).to_be_focused()
    page.keyboard.press("ArrowDown")  # the first reason of the catalogue
    page.keyboard.press("Tab")  # the agent's words
    page.keyboard.type("物流单号查询不到")
    page.keyboard.press("Tab")
    expect(page.locator("#reject")).to_be_focused()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".msg-success")).to_be_visible()
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.status == "pending" and under_review_ticket.reject_count == 1
    assert under_review_ticket.last_reject_reason_id == "unclear_evidence"


def test_marking_read_by_keyboard_moves_focus_and_is_announced(
        page, live_server, login, merchant, under_review_ticket, agent):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="请补充凭证")
    notification = Notification.objects.filter(recipient=merchant, read_at__isnull=True).first()
    login(page, merchant)
    page.goto(f"{live_server.url}/notifications/")
    item = f"#notification-{notification.pk}"
    page.focus(f"{item} button")
    page.keyboard.press("Enter")
    expect(page.locator(f"{item}:not(.unread)")).to_be_focused()
    spoken = {"zh-hans": "已标为已读。", "en": "Marked as read."}
    expect(page.locator("#live-region")).to_have_text(spoken[page.locator("html").get_attribute("lang")])
    assert page.locator("[aria-live]").count() == 1
    assert re.fullmatch(r"\d+", page.locator("#notification-badge [data-unread]").inner_text())
