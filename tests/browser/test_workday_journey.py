"""The merchant's workday in a real browser: the manager assigns tickets from
the list and the colleague finds them under 分配给我 with a notification; a
batch reply to 20 tickets with one past its deadline reports 19 done and 1
refused; a template fills its placeholders; two merchants open the same
ticket and the second sees who is replying; a refused reply leaves the
ticket's own address in the address bar. Screenshots in Chinese and English,
desktop and phone, land in test-artifacts/."""

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tickets import demo, lifecycle
from tickets.models import Order, ServiceType, Ticket

pytestmark = pytest.mark.browser


@pytest.fixture
def workday(transactional_db):
    """The demo story plus 20 pending tickets of a service type of their own
    for merchant1's shop, one of them past its deadline (not swept yet)."""
    demo.seed_cast_and_story()
    agent = demo.User.objects.get(username="agent1")
    batch_type = ServiceType.objects.create(code="batch_case", name_zh="批量测试",
                                            name_en="Batch case", handling_hours=24)
    shop_order = Order.objects.filter(shop__name=demo.SHOPS[0]).first()
    now = timezone.now()
    tickets = []
    for i in range(20):
        order = Order.objects.create(
            number=f"6919999000000{i:04d}", shop=shop_order.shop, product_title="纯棉短袖T恤",
            quantity=1, amount="79.00", buyer_nickname="橘子汽水", tracking_number=f"SF90{i:04d}",
            paid_at=now - dt.timedelta(days=1))
        created = now - (dt.timedelta(hours=25) if i == 0 else dt.timedelta(hours=1))
        tickets.append(lifecycle.create_ticket(actor=agent, order=order, service_type=batch_type,
                                               content="买家询问物流", now=created))
    return tickets


@pytest.fixture
def as_user(browser, login):
    contexts = []

    def open_page(username, *, language="zh-hans", phone=False):
        viewport = {"width": 390, "height": 844} if phone else {"width": 1366, "height": 900}
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        contexts.append(context)
        page = context.new_page()
        login(page, demo.User.objects.get(username=username), password=demo.DEMO_PASSWORD)
        if language != "zh-hans":
            with page.expect_navigation():
                page.select_option(".langswitch select", language)
        return page

    yield open_page
    for context in contexts:
        context.close()


def test_assign_batch_reply_templates_and_presence(workday, as_user, live_server, screenshot):
    base = live_server.url
    late = workday[0]

    # The manager selects two tickets and assigns them to the colleague.
    manager = as_user("merchant1")
    manager.goto(f"{base}/tickets/?status=pending&service_type=batch_case")
    expect(manager.locator("table.tickets tbody tr")).to_have_count(20)
    screenshot(manager, "workday-list-pending-zh-hans")
    for ticket in workday[1:3]:
        manager.check(f"input[name=numbers][value='{ticket.number}']")
    manager.select_option("#bulk-handler", "merchant1b")
    manager.click("#bulk-assign")
    expect(manager.locator(".msg-success")).to_contain_text("已将 2 个服务单分配给 merchant1b")

    # The colleague finds them under 分配给我, and a notification says so.
    colleague = as_user("merchant1b")
    colleague.click("a.tab[data-tab='mine']")
    expect(colleague).to_have_url(re.compile(r"assigned=me"))
    shown = colleague.locator("table.tickets tbody tr a.mono").all_inner_texts()
    assert set(n for n in shown if n in {t.number for t in workday}) == \
        {t.number for t in workday[1:3]}
    screenshot(colleague, "workday-assigned-to-me-zh-hans")
    colleague.goto(f"{base}/notifications/")
    expect(colleague.locator("main")).to_contain_text(f"服务单 {workday[1].number} 已分配给你")

    # Two merchants open the same ticket: the second sees who is replying.
    manager.goto(f"{base}/tickets/{workday[5].number}/")
    colleague.goto(f"{base}/tickets/{workday[5].number}/")
    expect(colleague.locator(".presence")).to_contain_text("merchant1 正在回复（刚刚开始）")

    # A template fills the placeholders from the order.
    colleague.select_option("#reply-template", label="已处理")
    expect(colleague.locator("#id_body")).to_have_value(
        f"橘**水 您好，关于「纯棉短袖T恤」的问题我们已处理，订单 {workday[5].order.number}。")
    expect(colleague.locator("#id_body-counter")).to_contain_text("/ 2000")
    screenshot(colleague, "workday-detail-presence-zh-hans")

    # The colleague opens another ticket's reply form (and will be too late).
    colleague.goto(f"{base}/tickets/{workday[7].number}/")

    # Batch reply: select all on the page (20 tickets, one late, one replied).
    manager.goto(f"{base}/tickets/?status=pending&service_type=batch_case")
    manager.check("#select-all")
    assert manager.locator("input[name=numbers]:checked").count() == 20
    manager.fill("#batch-body", "订单 {order_number} 已发货，单号 {tracking_number}。")
    manager.click("#batch-reply")
    expect(manager.locator("#batch-summary")).to_have_text("已回复 19 个，被拒绝 1 个。")
    expect(manager.locator("#batch-refused")).to_contain_text(late.number)
    expect(manager.locator("#batch-refused")).to_contain_text("已超过处理时效")
    screenshot(manager, "workday-batch-result-zh-hans")
    replied = Ticket.objects.get(pk=workday[9].pk).events.get(kind="replied")
    assert replied.text == f"订单 {workday[9].order.number} 已发货，单号 SF900009。"

    # The colleague's reply now meets a ticket already answered: refused, and
    # the address bar shows the ticket, so a reload does not post again.
    colleague.fill("#id_body", "我也来回复")
    colleague.click("#reply button[type=submit]")
    expect(colleague.locator(".msg-error")).to_contain_text("已回复")
    expect(colleague).to_have_url(f"{base}/tickets/{workday[7].number}/")
    colleague.reload()
    expect(colleague.locator(".msg-error")).to_have_count(0)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("phone", [False, True], ids=["desktop", "phone"])
def test_workday_pages_screenshots(workday, as_user, live_server, screenshot, language, phone):
    base, size = live_server.url, "phone" if phone else "desktop"
    page = as_user("merchant1", language=language, phone=phone)
    for name, path in (("list-pending", "/tickets/"), ("due-soon", "/tickets/?status=due_soon"),
                       ("closed", "/tickets/?status=closed"),
                       ("detail", f"/tickets/{workday[3].number}/"),
                       ("templates", "/settings/templates/"),
                       ("assignment", "/settings/assignment/")):
        response = page.goto(base + path)
        assert response.status == 200, path
        screenshot(page, f"workday-{name}-{language}-{size}")
