"""The whole round trip in a real browser, once in Chinese and once in English:
a merchant filters to a ticket by order number, sees the countdown, replies
with an evidence image; an agent rejects it from the review queue with a
reason; the merchant sees the reason and a fresh countdown and replies again;
the agent approves; the merchant sees it closed. Screenshots of the list,
detail and review pages land in test-artifacts/."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.tickets.conftest import png_bytes
from tickets import demo, lifecycle
from tickets.models import Order, ServiceType, Ticket, TicketStatus

pytestmark = pytest.mark.browser

TEXT = {
    "zh-hans": {
        "filter": "筛选", "countdown": re.compile(r"剩余 2[34] 小时 \d+ 分"),
        "sent": "回复已提交，等待平台审核。", "rejected": "回复已驳回，商家获得新的处理时效。",
        "reason_head": "您的回复被驳回", "approved": "回复已审核通过，服务单已关闭。",
        "closed": "已关闭", "resolution": "审核通过", "reply": "提交回复",
    },
    "en": {
        "filter": "Filter", "countdown": re.compile(r"2[34] h \d+ min left"),
        "sent": "Your reply was sent for review.",
        "rejected": "The reply was rejected; the merchant has a new deadline.",
        "reason_head": "Your reply was rejected",
        "approved": "The reply was approved and the ticket closed.",
        "closed": "Closed", "resolution": "Approved", "reply": "Send reply",
    },
}


@pytest.fixture
def story(transactional_db):
    """The demo data (so screenshots look like the product) plus a fresh ticket
    on a fresh order of merchant1's shop for the journey."""
    demo.seed_cast_and_story()
    agent = demo.User.objects.get(username="agent1")
    order = Order.objects.filter(shop__name=demo.SHOPS[0]).first()
    journey_order = Order.objects.create(
        number="69188880000000001", shop=order.shop, product_title="无线蓝牙耳机 降噪 长续航",
        sku="白色", quantity=1, amount="259.00", buyer_nickname="橘子汽水",
        paid_at=timezone.now() - dt.timedelta(days=1))
    ticket = lifecycle.create_ticket(
        actor=agent, order=journey_order,
        service_type=ServiceType.objects.get(code="shipping_urge"),
        content="买家询问什么时候发货，已经付款一天了还没有物流信息。")
    return ticket


@pytest.fixture
def as_user(browser, live_server, login):
    """as_user("merchant1", "en") -> a page of a fresh browser context, logged in,
    in that language (switched with the header's language menu)."""
    contexts = []

    def open_page(username, language):
        # A Chinese browser: the English run switches with the header menu.
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        login(page, demo.User.objects.get(username=username), password=demo.DEMO_PASSWORD)
        if language != "zh-hans":
            with page.expect_navigation():
                page.select_option(".langswitch select", language)
        expect(page.locator("html")).to_have_attribute("lang", language)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_reply_reject_reply_approve_round_trip(story, as_user, live_server, screenshot,
                                               language, tmp_path):
    text = TEXT[language]
    ticket = story
    evidence = tmp_path / "parcel.png"
    evidence.write_bytes(png_bytes(size=(64, 48)))

    # The merchant finds the ticket by its order number and sees the countdown.
    merchant = as_user("merchant1", language)
    screenshot(merchant, f"list-pending-{language}")
    merchant.fill("#id_order_number", ticket.order.number)
    if language == "en":  # Enter in a field submits too (the button sits outside the form)
        merchant.press("#id_order_number", "Enter")
    else:
        merchant.get_by_role("button", name=text["filter"]).click()
    row = merchant.locator("table.tickets tbody tr")
    expect(row).to_have_count(1)
    expect(row.locator(".countdown")).to_have_text(text["countdown"])
    expect(row.locator(".countdown")).to_have_class(re.compile("countdown-ok"))
    screenshot(merchant, f"list-merchant-{language}")
    merchant.get_by_role("link", name=ticket.number).click()

    # ... and replies with an evidence image.
    expect(merchant.locator(".head-side .countdown")).to_have_text(text["countdown"])
    merchant.fill("#id_body", "已联系顺丰，今天下午发出，单号 SF1400000001。")
    merchant.set_input_files("#id_evidence", str(evidence))
    merchant.get_by_role("button", name=text["reply"]).click()
    expect(merchant.locator(".msg-success")).to_have_text(text["sent"])
    expect(merchant.locator(".thumbs img")).to_have_count(1)
    # The thumbnail is really served (the guarded evidence view answers with the image).
    thumb = merchant.locator(".thumbs img")
    thumb.scroll_into_view_if_needed()  # thumbnails load lazily
    merchant.wait_for_function("img => img.complete && img.naturalWidth > 0",
                               arg=thumb.element_handle())
    assert thumb.evaluate("img => img.naturalWidth") == 64

    # The agent finds it in the review queue and rejects it with a reason.
    agent = as_user("agent1", language)
    screenshot(agent, f"list-agent-all-{language}")
    agent.goto(f"{live_server.url}/review/")
    expect(agent.get_by_role("link", name=ticket.number)).to_be_visible()
    screenshot(agent, f"review-{language}")
    agent.get_by_role("link", name=ticket.number).click()
    agent.select_option("#id_reason_code", "invalid_tracking")
    agent.fill("#id_reason", "请补充物流单号截图。")
    agent.click("#reject")
    expect(agent.locator(".msg-success")).to_have_text(text["rejected"])

    # The merchant sees the reason and a fresh countdown, and replies again.
    merchant.reload()
    expect(merchant.locator("#rejection")).to_contain_text(text["reason_head"])
    expect(merchant.locator("#rejection")).to_contain_text("请补充物流单号截图。")
    expect(merchant.locator(".head-side .countdown")).to_have_text(text["countdown"])
    screenshot(merchant, f"detail-rejected-{language}")
    merchant.fill("#id_body", "已补充：物流单号 SF1400000001，截图见附件。")
    merchant.set_input_files("#id_evidence", str(evidence))
    merchant.get_by_role("button", name=text["reply"]).click()
    expect(merchant.locator(".msg-success")).to_have_text(text["sent"])

    # The agent approves. (After the rejection the workbench went on to the
    # next reply in the queue; the agent opens this one again.)
    agent.goto(f"{live_server.url}/tickets/{ticket.number}/")
    screenshot(agent, f"detail-agent-{language}")
    agent.click("#approve")
    expect(agent.locator(".msg-success")).to_have_text(text["approved"])

    # The merchant sees it closed.
    merchant.reload()
    expect(merchant.locator("#ticket-status")).to_have_text(text["closed"])
    expect(merchant.locator("#resolution")).to_have_text(text["resolution"])
    expect(merchant.locator("#reply")).to_have_count(0)
    screenshot(merchant, f"detail-closed-{language}")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED and ticket.reject_count == 1


def test_countdown_ticks_in_the_browser_and_turns_red(story, as_user, live_server):
    """The server says "2 s left"; the page, left alone, turns it into 已超时 in red."""
    agent = demo.User.objects.get(username="agent1")
    order = Order.objects.filter(shop__name=demo.SHOPS[0]).last()
    stype = ServiceType.objects.get(code="shipping_urge")
    # Logged in first: a browser log-in on a busy machine can take longer than
    # the ticket's three seconds, and the page would then open already overdue.
    page = as_user("merchant1", "zh-hans")
    almost = lifecycle.create_ticket(
        actor=agent, order=order, service_type=stype, content="快到期",
        now=timezone.now() - dt.timedelta(hours=stype.handling_hours) + dt.timedelta(seconds=3))
    page.goto(f"{live_server.url}/tickets/{almost.number}/")
    countdown = page.locator(".head-side .countdown")
    expect(countdown).to_have_class(re.compile("countdown-due-soon"))
    # Under a minute left the countdown says only the seconds ("剩余 9 秒").
    expect(countdown).to_have_text(re.compile(r"^剩余 [0-3] 秒$"))
    expect(countdown).to_have_text("已超时", timeout=8000)
    expect(countdown).to_have_class(re.compile("countdown-overdue"))


def test_pages_on_a_phone(story, browser, live_server, login, screenshot):
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                  locale="zh-CN")
    page = context.new_page()
    login(page, demo.User.objects.get(username="merchant1"), password=demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/tickets/?status=all")
    # No sideways scrolling: the table turns into cards.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "list-phone-zh-hans")
    page.goto(f"{live_server.url}/tickets/{Ticket.objects.filter(reject_count=1).first().number}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "detail-phone-zh-hans")
    context.close()


def test_login_and_handling_time_pages(story, browser, live_server, login, screenshot):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="登录")).to_be_visible()
    screenshot(page, "login-zh-hans")
    login(page, demo.User.objects.get(username="merchant1"), password=demo.DEMO_PASSWORD)
    page.goto(f"{live_server.url}/handling-times/")
    rows = page.locator("table.tickets tbody tr")
    expect(rows).to_have_count(ServiceType.objects.filter(is_active=True).count())
    expect(rows.first).to_contain_text("催发货")
    screenshot(page, "handling-times-zh-hans")
    context.close()
