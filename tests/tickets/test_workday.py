"""The merchant's workday: handler assignment (by hand, in bulk, round-robin),
the "assigned to me" and "due soon" tabs, batch replies, reply templates,
"someone is replying", and the rough edges a new user met."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache

from exports.models import ExportJob
from notifications.models import Notification
from tests.factories import MerchantFactory, OrderFactory, ServiceTypeFactory
from tickets import assignment, lifecycle, replies
from tickets.models import AutoAssignRule, EventKind, ReplyTemplate, ShopMembership, TicketStatus

LIST = "/tickets/"


@pytest.fixture(autouse=True)
def _empty_cache():
    cache.clear()  # presence lives in the cache
    yield
    cache.clear()


@pytest.fixture
def manager(merchant):
    ShopMembership.objects.filter(user=merchant).update(manager=True)
    return merchant


@pytest.fixture
def colleague(shop_a):
    return MerchantFactory(username="merchant_a2", membership__shop=shop_a)


def numbers_on(response):
    return [t.number for t in response.context["page"].rows]


def notified(ticket, kind):
    return sorted(Notification.objects.filter(ticket=ticket, kind=kind)
                  .values_list("recipient__username", flat=True))


# --- assignment ------------------------------------------------------------------

def test_manager_assigns_and_the_handler_sees_it_under_assigned_to_me(
        client, manager, colleague, pending_ticket, make_ticket):
    other = make_ticket()
    client.force_login(manager)
    response = client.post(f"/tickets/{pending_ticket.number}/assign/",
                           {"handler": "merchant_a2"})
    assert response.status_code == 303
    pending_ticket.refresh_from_db()
    assert pending_ticket.handler == colleague
    # Told: the handler only; the manager assigned it and is not told of their own action.
    assert notified(pending_ticket, "assigned") == ["merchant_a2"]
    event = pending_ticket.events.get(kind=EventKind.ASSIGNED)
    assert (event.actor, event.text, event.to_status) == (manager, "merchant_a2", "pending")
    client.force_login(colleague)
    mine = client.get(LIST, {"assigned": "me"})
    assert numbers_on(mine) == [pending_ticket.number]
    assert other.number not in numbers_on(mine)
    assert {t["code"]: t["count"] for t in mine.context["tabs"]}["mine"] == 1
    detail = client.get(f"/tickets/{pending_ticket.number}/").content.decode()
    assert "处理人：merchant_a2" in detail


def test_notifications_go_to_the_handler_when_there_is_one(manager, colleague, pending_ticket,
                                                           make_ticket, service_type):
    assignment.assign([pending_ticket.number], actor=manager, handler=colleague)
    lifecycle.warn_due_soon(pending_ticket.deadline - dt.timedelta(hours=1), limit=10,
                            window=dt.timedelta(hours=2))
    assert notified(pending_ticket, "due_soon") == ["merchant_a2"]
    unassigned = make_ticket()
    assert notified(unassigned, "new_ticket") == ["merchant_a", "merchant_a2"]


def test_empty_handler_unassigns_and_the_thread_says_so(client, manager, colleague,
                                                        pending_ticket):
    assignment.assign([pending_ticket.number], actor=manager, handler=colleague)
    client.force_login(manager)
    assert client.post(f"/tickets/{pending_ticket.number}/assign/",
                       {"handler": ""}).status_code == 303
    pending_ticket.refresh_from_db()
    assert pending_ticket.handler is None
    assert list(pending_ticket.events.filter(kind="assigned").values_list("text", flat=True)) \
        == ["merchant_a2", ""]


def test_non_manager_gets_403_and_outsider_404(client, merchant, outsider, colleague,
                                               pending_ticket):
    client.force_login(colleague)  # a merchant of the shop, not a manager
    assert client.post(f"/tickets/{pending_ticket.number}/assign/",
                       {"handler": "merchant_a2"}).status_code == 403
    client.force_login(outsider)
    assert client.post(f"/tickets/{pending_ticket.number}/assign/",
                       {"handler": "merchant_b"}).status_code == 404
    pending_ticket.refresh_from_db()
    assert pending_ticket.handler is None


def test_assigning_to_someone_outside_the_shop_is_400(client, manager, outsider, pending_ticket):
    client.force_login(manager)
    response = client.post(f"/tickets/{pending_ticket.number}/assign/", {"handler": "merchant_b"})
    assert response.status_code == 400
    assert "merchant_b 不是本店的商家" in response.content.decode()


def test_only_pending_tickets_are_assigned(client, manager, colleague, under_review_ticket):
    client.force_login(manager)
    response = client.post(f"/tickets/{under_review_ticket.number}/assign/",
                           {"handler": "merchant_a2"})
    assert response.status_code == 409
    assert 'data-replace-url="/tickets/' in response.content.decode()


def test_bulk_assign_from_the_list(client, manager, colleague, make_ticket, under_review_ticket):
    tickets = [make_ticket() for _ in range(3)]
    client.force_login(manager)
    response = client.post("/tickets/assign/", {
        "numbers": [t.number for t in tickets] + [under_review_ticket.number],
        "handler": "merchant_a2"}, follow=True)
    assert "已将 3 个服务单分配给 merchant_a2" in response.content.decode()
    assert sorted(notified(t, "assigned") for t in tickets) == [["merchant_a2"]] * 3
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.handler is None


def test_round_robin_assigns_new_tickets_in_turn(manager, colleague, make_ticket, service_type):
    rule = AutoAssignRule.objects.create(shop=manager.shop_membership.shop,
                                         service_type=service_type)
    rule.staff.set([manager, colleague])
    handlers = [make_ticket().handler.username for _ in range(4)]
    assert handlers == ["merchant_a", "merchant_a2", "merchant_a", "merchant_a2"]
    ticket = make_ticket()
    # The thread records it (the platform's doing), and only the handler hears of it.
    assert ticket.events.get(kind="assigned").actor is None
    assert notified(ticket, "new_ticket") == [ticket.handler.username]


def test_assignment_rules_page_saves_the_round_robin(client, manager, colleague, service_type):
    client.force_login(manager)
    assert client.get("/settings/assignment/").status_code == 200
    client.post("/settings/assignment/", {f"type-{service_type.code}": [str(colleague.pk)]})
    assert list(AutoAssignRule.objects.get(service_type=service_type).staff.all()) == [colleague]


# --- tabs --------------------------------------------------------------------------

def test_due_soon_tab_lists_pending_with_little_time_left_soonest_first(client, merchant,
                                                                       make_ticket):
    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    later = make_ticket(now=now - dt.timedelta(hours=22, minutes=30))  # 1 h 30 left
    sooner = make_ticket(now=now - dt.timedelta(hours=23))  # 1 h left
    make_ticket(now=now - dt.timedelta(hours=10))  # 14 h left: not due soon
    make_ticket(now=now - dt.timedelta(hours=25))  # past: replies closed, not "soon"
    client.force_login(merchant)
    with time_machine.travel(now, tick=False):
        response = client.get(LIST, {"status": "due_soon"})
    assert numbers_on(response) == [sooner.number, later.number]
    assert {t["code"]: t["count"] for t in response.context["tabs"]}["due_soon"] == 2


def test_closed_tab_shows_the_result_and_marks_timeouts(client, merchant, agent, make_ticket,
                                                        under_review_ticket):
    lifecycle.approve(under_review_ticket, actor=agent)
    timed = make_ticket()
    lifecycle.time_out(timed, now=timed.deadline)
    client.force_login(merchant)
    html = client.get(LIST, {"status": "closed"}).content.decode()
    assert "处理结果" in html
    assert 'class="badge resolution-timed_out"' in html
    assert html.count('class="row-timed-out"') == 1


def test_agents_filter_by_shop_merchants_have_no_shop_field(client, agent, merchant, shop_a,
                                                           shop_b, make_ticket):
    mine = make_ticket()
    make_ticket(shop=shop_b)
    client.force_login(agent)
    response = client.get(LIST, {"status": "all", "shop": shop_a.pk})
    assert numbers_on(response) == [mine.number]
    assert 'name="shop"' in response.content.decode()
    client.force_login(merchant)
    assert 'name="shop"' not in client.get(LIST).content.decode()


def test_rows_preview_the_request_and_offer_handle(client, merchant, make_ticket):
    ticket = make_ticket(content="买家说：" + "衣服尺码不合适，想换大一号。" * 5)
    client.force_login(merchant)
    html = client.get(LIST).content.decode()
    assert "买家说：衣服尺码不合适" in html
    assert f'href="/tickets/{ticket.number}/#reply">去处理</a>' in html


def test_pager_says_which_page(client, merchant, make_ticket):
    for _ in range(45):
        make_ticket()
    client.force_login(merchant)
    first = client.get(LIST)
    second = client.get(LIST, {"after": first.context["page"].next_cursor, "page": 2})
    third = client.get(LIST, {"after": second.context["page"].next_cursor, "page": 3})
    assert "第 3 页" in third.content.decode()
    assert "第 2 页" in second.content.decode()


# --- batch reply -------------------------------------------------------------------

def test_batch_reply_to_20_with_one_past_its_deadline(client, merchant, make_ticket):
    now = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    tickets = [make_ticket(now=now - dt.timedelta(hours=1)) for _ in range(19)]
    late = make_ticket(now=now - dt.timedelta(hours=25))
    client.force_login(merchant)
    with time_machine.travel(now, tick=False):
        response = client.post("/tickets/batch-reply/", {
            "numbers": [t.number for t in tickets] + [late.number],
            "body": "订单 {order_number} 已发货"})
    assert response.status_code == 200
    assert len(response.context["done"]) == 19
    [refused] = response.context["refused"]
    assert refused.number == late.number
    assert refused.error == "该服务单已超过处理时效，无法再回复。"
    html = response.content.decode()
    assert "已回复 19 个，被拒绝 1 个" in html
    for ticket in tickets:
        ticket.refresh_from_db()
        assert ticket.status == TicketStatus.UNDER_REVIEW
        # One transition each, the placeholder filled with that ticket's order.
        [event] = ticket.events.filter(kind=EventKind.REPLIED)
        assert event.text == f"订单 {ticket.order.number} 已发货"


def test_batch_reply_reports_already_replied_evidence_and_other_shops(
        client, merchant, make_ticket, under_review_ticket, evidence_type, shop_b):
    needs_evidence = make_ticket(service_type_=evidence_type)
    elsewhere = make_ticket(shop=shop_b)
    client.force_login(merchant)
    response = client.post("/tickets/batch-reply/", {
        "numbers": [under_review_ticket.number, needs_evidence.number, elsewhere.number],
        "body": "好的"})
    reasons = {o.number: o.error for o in response.context["refused"]}
    assert reasons == {under_review_ticket.number: "该服务单已回复，无需重复回复。",
                       needs_evidence.number: "该服务类型要求至少上传一张凭证图片。",
                       elsewhere.number: "本店没有这个服务单。"}
    elsewhere.refresh_from_db()
    assert elsewhere.status == TicketStatus.PENDING


def test_batch_reply_refuses_more_than_100_and_other_roles(client, merchant, agent):
    client.force_login(merchant)
    response = client.post("/tickets/batch-reply/", {
        "numbers": [f"26112600000{i:05d}" for i in range(101)], "body": "好"})
    assert response.status_code == 400
    assert "一次最多选择 100 个服务单" in response.content.decode()
    assert client.post("/tickets/batch-reply/", {"body": "好"}).status_code == 400
    client.force_login(agent)
    assert client.post("/tickets/batch-reply/", {"numbers": ["1"], "body": "好"}
                       ).status_code == 403


def test_pending_tab_has_checkboxes_and_select_all(client, merchant, pending_ticket):
    client.force_login(merchant)
    html = client.get(LIST).content.decode()
    assert f'name="numbers" value="{pending_ticket.number}" form="batch-form"' in html
    assert "data-select-all" in html
    assert 'action="/tickets/batch-reply/"' in html
    assert "data-select-all" not in client.get(LIST, {"status": "closed"}).content.decode()


# --- templates ---------------------------------------------------------------------

@pytest.fixture
def ticket_with_order(make_ticket, shop_a):
    order = OrderFactory(shop=shop_a, buyer_nickname="张小明同学", tracking_number="SF123",
                         product_title="纯棉T恤")
    return make_ticket(order=order)


def test_reply_form_offers_fitting_templates_filled(client, merchant, shop_a, shop_b,
                                                    ticket_with_order, service_type):
    other_type = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    ReplyTemplate.objects.create(shop=shop_a, service_type=service_type, title="已发货",
                                 body="{buyer}，订单 {order_number} 的 {product} 已发出，单号 "
                                      "{tracking_number}。{unknown} {0.__class__}")
    ReplyTemplate.objects.create(shop=None, service_type=None, title="平台通用", body="您好")
    ReplyTemplate.objects.create(shop=shop_a, service_type=other_type, title="发票说明", body="x")
    ReplyTemplate.objects.create(shop=shop_b, title="别人的", body="y")
    client.force_login(merchant)
    html = client.get(f"/tickets/{ticket_with_order.number}/").content.decode()
    number = ticket_with_order.order.number
    assert (f'data-body="张***学，订单 {number} 的 纯棉T恤 已发出，单号 SF123。'
            '{unknown} {0.__class__}"') in html
    assert "平台通用" in html
    assert "发票说明" not in html and "别人的" not in html


def test_placeholders_are_replaced_never_formatted(ticket_with_order):
    # Merchant text is not a format string: other braces stay as typed.
    assert replies.fill("{product} {product} {0} {order_number!r}", ticket_with_order) == \
        "纯棉T恤 纯棉T恤 {0} {order_number!r}"


def test_templates_page_creates_lists_and_deletes(client, merchant, outsider, agent,
                                                  service_type):
    client.force_login(merchant)
    assert client.get("/settings/templates/").status_code == 200
    response = client.post("/settings/templates/", {"title": "已发货",
                                                    "body": "单号 {tracking_number}",
                                                    "service_type": service_type.code})
    assert response.status_code == 303
    template = ReplyTemplate.objects.get(title="已发货")
    assert template.shop == merchant.shop_membership.shop
    assert client.post("/settings/templates/", {"title": "", "body": ""}).status_code == 400
    client.force_login(outsider)
    assert client.post(f"/settings/templates/{template.pk}/delete/").status_code == 404
    client.force_login(merchant)
    assert client.post(f"/settings/templates/{template.pk}/delete/").status_code == 303
    assert not ReplyTemplate.objects.exists()
    client.force_login(agent)
    assert client.get("/settings/templates/").status_code == 403


# --- someone is replying -----------------------------------------------------------

def test_second_merchant_sees_who_is_replying(client, merchant, colleague, pending_ticket):
    start = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    client.force_login(merchant)
    with time_machine.travel(start, tick=False):
        client.get(f"/tickets/{pending_ticket.number}/")
    client.force_login(colleague)
    with time_machine.travel(start + dt.timedelta(minutes=1, seconds=30), tick=False):
        html = client.get(f"/tickets/{pending_ticket.number}/").content.decode()
    assert "merchant_a 正在回复（1 分钟前开始）" in html
    # Advisory only: the colleague may still reply; no status changed.
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.PENDING
    # After REPLY_PRESENCE_SECONDS (120) without a sign of life it is gone.
    with time_machine.travel(start + dt.timedelta(minutes=5), tick=False):
        html = client.get(f"/tickets/{pending_ticket.number}/").content.decode()
    assert "正在回复" not in html


def test_typing_renews_presence_and_a_reply_ends_it(client, merchant, colleague, pending_ticket):
    start = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    client.force_login(merchant)
    with time_machine.travel(start, tick=False):
        client.get(f"/tickets/{pending_ticket.number}/")
    with time_machine.travel(start + dt.timedelta(minutes=1, seconds=50), tick=False):
        assert client.post(f"/tickets/{pending_ticket.number}/presence/").status_code == 204
    client.force_login(colleague)
    with time_machine.travel(start + dt.timedelta(minutes=3), tick=False):
        assert "merchant_a 正在回复（3 分钟前开始）" in client.get(
            f"/tickets/{pending_ticket.number}/").content.decode()
    client.force_login(merchant)
    with time_machine.travel(start + dt.timedelta(minutes=3), tick=False):
        client.post(f"/tickets/{pending_ticket.number}/reply/", {"body": "已发货"})
    client.force_login(colleague)
    # The colleague's own second reply is the lifecycle's 409, as ever.
    response = client.post(f"/tickets/{pending_ticket.number}/reply/", {"body": "我也回"})
    assert response.status_code == 409


# --- rough edges -------------------------------------------------------------------

def test_replier_is_not_notified_of_their_own_reply(merchant, colleague, pending_ticket):
    lifecycle.reply(pending_ticket, actor=merchant, body="已发货")
    assert notified(pending_ticket, "status_changed") == ["merchant_a2"]


def test_closed_ticket_does_not_ask_for_a_reply_within_hours(client, merchant, agent,
                                                              pending_ticket):
    client.force_login(merchant)
    assert "小时内回复" in client.get(f"/tickets/{pending_ticket.number}/").content.decode()
    lifecycle.close_as_agreed(pending_ticket, actor=agent)
    assert "小时内回复" not in client.get(f"/tickets/{pending_ticket.number}/").content.decode()


def test_long_reply_is_not_cut_and_the_message_is_for_people(client, merchant, pending_ticket):
    client.force_login(merchant)
    form = client.get(f"/tickets/{pending_ticket.number}/").content.decode()
    textarea = re.search(r"<textarea[^>]*name=\"body\"[^>]*>", form)[0]
    assert "maxlength" not in textarea and 'data-max-length="2000"' in textarea
    response = client.post(f"/tickets/{pending_ticket.number}/reply/", {"body": "长" * 3000})
    assert response.status_code == 400
    html = response.content.decode()
    assert "回复最多 2000 字，当前 3000 字。" in html
    assert "变量" not in html


def test_evidence_required_is_said_at_the_image_field(client, merchant, make_ticket,
                                                      evidence_type):
    ticket = make_ticket(service_type_=evidence_type)
    client.force_login(merchant)
    response = client.post(f"/tickets/{ticket.number}/reply/", {"body": "见附件"})
    assert response.status_code == 400
    assert response.context["reply_form"].errors["evidence"] == [
        "该服务类型要求至少上传一张凭证图片。"]


def test_refused_reply_tells_the_browser_the_tickets_own_address(client, merchant,
                                                                  under_review_ticket):
    client.force_login(merchant)
    response = client.post(f"/tickets/{under_review_ticket.number}/reply/", {"body": "再回"})
    assert response.status_code == 409
    assert f'data-replace-url="/tickets/{under_review_ticket.number}/"' in \
        response.content.decode()


def test_navigation_says_fuwudan(client, merchant):
    client.force_login(merchant)
    nav = re.search(r'<nav class="mainnav".*?</nav>', client.get(LIST).content.decode(), re.S)[0]
    assert "服务单" in nav and "工单" not in nav


def test_review_queue_waits_in_hours_and_minutes(client, agent, merchant, make_ticket):
    replied_at = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    ticket = make_ticket(now=replied_at - dt.timedelta(hours=1))
    lifecycle.reply(ticket, actor=merchant, body="好", now=replied_at)
    client.force_login(agent)
    with time_machine.travel(replied_at + dt.timedelta(hours=6, minutes=4), tick=False):
        html = client.get("/review/").content.decode()
    assert "6 小时 4 分" in html and "，" not in re.search(r"6 小时.{0,6}", html)[0]


def test_export_records_show_their_filter_and_expiry(client, merchant, service_type):
    finished = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)
    ExportJob.objects.create(requester=merchant, shop=merchant.shop_membership.shop,
                             filter_params={"status": "pending",
                                            "service_type": service_type.code},
                             language="zh-hans", matched_count=3, status="done",
                             file="exports/1/x.xlsx", finished_at=finished)
    client.force_login(merchant)
    html = client.get("/exports/").content.decode()
    assert f"状态: 待处理; 服务类型: {service_type.name_zh}" in html
    assert "2026-12-03 10:00" in html  # finished + 7 days, Shanghai time


def test_exports_page_prefills_from_the_lists_filter(client, merchant, service_type):
    client.force_login(merchant)
    listing = client.get(LIST, {"status": "closed", "service_type": service_type.code})
    link = re.search(r'href="(/exports/\?[^"]*)" id="export-options"',
                     listing.content.decode())[1].replace("&amp;", "&")
    page = client.get(link).content.decode()
    assert f'<option value="{service_type.code}" selected>' in page
    assert '<option value="closed" selected>' in page
