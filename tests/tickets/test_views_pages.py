"""The other pages: creating a ticket (agents), the review queue (agents),
the handling-time rules (everyone), log-in and the language switch."""

import datetime as dt

import pytest
from django.utils import timezone

from tests.factories import MerchantFactory, ServiceTypeFactory, UserFactory
from tickets import claims, lifecycle, selectors
from tickets.models import Ticket, TicketStatus

NEW = "/tickets/new/"
REVIEW = "/review/"
RULES = "/handling-times/"


# --- create -----------------------------------------------------------------------

def test_agent_opens_the_create_form_with_active_types_only(client, agent, service_type):
    ServiceTypeFactory(code="retired", name_zh="旧类型", name_en="Retired", is_active=False)
    client.force_login(agent)
    response = client.get(NEW, {"order_number": "69001"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'value="69001"' in html
    assert "催发货" in html and "旧类型" not in html


def test_agent_creates_a_ticket_for_an_order(client, agent, order, service_type):
    client.force_login(agent)
    response = client.post(NEW, {"order_number": f" {order.number} ",
                                 "service_type": "shipping_urge", "content": "买家催发货"})
    assert response.status_code == 303
    ticket = Ticket.objects.get()
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert (ticket.shop, ticket.order, ticket.status) == (order.shop, order, TicketStatus.PENDING)
    assert "服务单已创建，已通知店铺。" in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize("data, field", [
    ({"order_number": "nope", "service_type": "shipping_urge", "content": "x"}, "order_number"),
    ({"order_number": "", "service_type": "shipping_urge", "content": "x"}, "order_number"),
    ({"service_type": "no-such", "content": "x"}, "service_type"),
    ({"service_type": "shipping_urge", "content": ""}, "content"),
])
def test_create_form_errors_are_400(client, agent, order, service_type, data, field):
    data = {"order_number": order.number, **data}
    client.force_login(agent)
    response = client.post(NEW, data)
    assert response.status_code == 400
    assert field in response.context["form"].errors
    assert not Ticket.objects.exists()


def test_create_with_a_retired_service_type_is_400(client, agent, order):
    ServiceTypeFactory(code="retired", name_zh="旧类型", name_en="Retired", is_active=False)
    client.force_login(agent)
    response = client.post(NEW, {"order_number": order.number, "service_type": "retired",
                                 "content": "x"})
    assert response.status_code == 400


def test_unknown_order_message_is_translated(client, agent, service_type):
    client.force_login(agent)
    html = client.post(NEW, {"order_number": "404", "service_type": "shipping_urge",
                             "content": "x"}).content.decode()
    assert "没有这个订单号的订单。" in html


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("role", ["merchant", "outsider", "ops"])
def test_only_agents_create_tickets(client, request, role, method, order, service_type):
    client.force_login(request.getfixturevalue(role))
    response = getattr(client, method)(NEW, {"order_number": order.number,
                                             "service_type": "shipping_urge", "content": "x"})
    assert response.status_code == 403
    assert "无权操作" in response.content.decode()
    assert not Ticket.objects.exists()


def test_create_needs_login(client):
    assert client.get(NEW)["Location"].startswith("/accounts/login/")


def test_new_is_never_taken_for_a_ticket_number(client, merchant):
    client.force_login(merchant)
    assert client.get(NEW).status_code == 403


# --- review queue ------------------------------------------------------------------

def test_review_queue_lists_replies_oldest_first(client, agent, merchant, make_ticket, shop_b):
    now = timezone.now()
    b_merchant = MerchantFactory(membership__shop=shop_b)
    late = make_ticket()
    early = make_ticket(shop=shop_b)
    make_ticket()  # pending: not in the queue
    lifecycle.reply(early, actor=b_merchant, body="先回复", now=now - dt.timedelta(hours=2))
    lifecycle.reply(late, actor=merchant, body="后回复", now=now - dt.timedelta(hours=1))
    client.force_login(agent)
    response = client.get(REVIEW)
    assert response.status_code == 200
    assert [t.number for t in response.context["page"].rows] == [early.number, late.number]
    assert response.context["count"] == 2


def test_review_queue_pages_forward(client, agent, merchant, make_ticket, monkeypatch):
    now = timezone.now()
    tickets = [make_ticket() for _ in range(23)]
    for i, ticket in enumerate(tickets):
        lifecycle.reply(ticket, actor=merchant, body="好", now=now - dt.timedelta(minutes=30 - i))
    client.force_login(agent)
    first = client.get(REVIEW)
    second = client.get(REVIEW, {"after": first.context["page"].next_cursor})
    rows = first.context["page"].rows + second.context["page"].rows
    assert [t.number for t in rows] == [t.number for t in tickets]


def test_review_queue_count_is_capped(client, agent, merchant, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    for _ in range(2):
        lifecycle.reply(make_ticket(), actor=merchant, body="好")
    client.force_login(agent)
    assert "1+" in client.get(REVIEW).content.decode()


def test_review_queue_count_at_the_cap_is_remembered_per_agent(client, agent, merchant,
                                                               make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    replied = [lifecycle.reply(make_ticket(), actor=merchant, body="好") for _ in range(2)]
    client.force_login(agent)
    assert client.get(REVIEW).context["capped"]
    # One reply is decided: "1+" stays for the short while the count is
    # remembered, and the queue itself is current.
    claims.claim(replied[0], agent)
    lifecycle.approve(replied[0], actor=agent)
    response = client.get(REVIEW)
    assert response.context["capped"]
    assert [t.number for t in response.context["page"].rows] == [replied[1].number]
    # Another agent's count is their own.
    other = UserFactory(username="agent_two", role="agent")
    client.force_login(other)
    assert client.get(REVIEW).context["count"] == 1


def test_review_queue_broken_cursor_is_400(client, agent):
    client.force_login(agent)
    assert client.get(REVIEW, {"after": "x"}).status_code == 400


def test_review_queue_query_count(client, agent, merchant, make_ticket,
                                  django_assert_max_num_queries):
    for _ in range(25):
        lifecycle.reply(make_ticket(), actor=merchant, body="好")
    client.force_login(agent)
    first = client.get(REVIEW)
    # the user with role, page, count, the header badge's unread and review
    # counts, the filter's service type and shop choices
    with django_assert_max_num_queries(7):
        client.get(REVIEW, {"after": first.context["page"].next_cursor})


def test_review_queue_costs_the_same_queries_on_any_page(client, agent, merchant, make_ticket,
                                                         django_assert_num_queries):
    for _ in range(45):
        lifecycle.reply(make_ticket(), actor=merchant, body="好")
    client.force_login(agent)
    client.get(REVIEW)  # warm the session and the header's review count
    # the user with role (the session is in the cache), page, capped count, the
    # header badge's unread count, the filter's service type and shop choices;
    # rows add none.
    with django_assert_num_queries(6):
        first = client.get(REVIEW)
    with django_assert_num_queries(6):
        second = client.get(REVIEW, {"after": first.context["page"].next_cursor})
    with django_assert_num_queries(6):
        client.get(REVIEW, {"after": second.context["page"].next_cursor})
    assert len(second.context["page"].rows) == 20


@pytest.mark.parametrize("role", ["merchant", "outsider", "ops"])
def test_review_queue_is_for_agents_only(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(REVIEW).status_code == 403


def test_review_queue_needs_login(client):
    assert client.get(REVIEW)["Location"].startswith("/accounts/login/")


# --- handling times ----------------------------------------------------------------

@pytest.mark.parametrize("role", ["merchant", "outsider", "agent", "ops"])
def test_everyone_reads_the_handling_times_from_the_table(client, request, role):
    client.force_login(request.getfixturevalue(role))
    ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice", handling_hours=72,
                       evidence_required=True, sort_order=2)
    ServiceTypeFactory(code="address", name_zh="修改地址", name_en="Address change",
                       handling_hours=12, sort_order=1)
    ServiceTypeFactory(code="retired", name_zh="旧类型", name_en="Retired", is_active=False)
    response = client.get(RULES)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.index("修改地址") < html.index("发票")
    assert "72 小时" in html and "12 小时" in html and "必须上传" in html
    assert "旧类型" not in html
    assert "平台关闭服务单，计为超时" in html


def test_handling_times_in_english(client, merchant, service_type):
    client.force_login(merchant)
    client.cookies["django_language"] = "en"
    html = client.get(RULES).content.decode()
    assert "Shipping urge" in html and "24 hours" in html
    assert "Closed by the platform; counts as a timeout" in html


def test_handling_times_needs_login(client):
    assert client.get(RULES)["Location"].startswith("/accounts/login/")


# --- log-in and language --------------------------------------------------------------

def test_login_page_is_styled_and_translated(client):
    html = client.get("/accounts/login/").content.decode()
    assert "商家服务台" in html and "用户名" in html and "css/app.css" in html


def test_login_then_lands_on_the_list(client, merchant):
    response = client.post("/accounts/login/", {"username": "merchant_a",
                                                "password": "pw-test-123"})
    assert response["Location"] == "/tickets/"


def test_wrong_password_is_shown_not_500(client, merchant):
    response = client.post("/accounts/login/", {"username": "merchant_a", "password": "x"})
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_logout_is_a_post(client, merchant):
    client.force_login(merchant)
    assert client.post("/accounts/logout/").status_code == 302
    assert client.get("/tickets/").status_code == 302


def test_language_switch_sticks(client, merchant, pending_ticket):
    client.force_login(merchant)
    assert "待处理" in client.get("/tickets/").content.decode()
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/tickets/"})
    assert response.status_code == 302 and response["Location"] == "/tickets/"
    assert response.cookies["django_language"]["max-age"] >= 60 * 60 * 24 * 365
    html = client.get("/tickets/").content.decode()
    assert '<html lang="en">' in html and "Pending" in html and "left" in html
    assert "待处理" not in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/tickets/"})
    assert "待处理" in client.get("/tickets/").content.decode()


def test_header_links_for_each_role(client, merchant, agent, ops):
    expected = {
        merchant: {"/tickets/", "/exports/", "/handling-times/"},
        agent: {"/tickets/", "/review/", "/handling-times/"},
        ops: {"/tickets/", "/exports/", "/handling-times/"},
    }
    for user, links in expected.items():
        client.force_login(user)
        html = client.get("/handling-times/").content.decode()
        nav = html[html.index('class="mainnav"'):html.index("</nav>")]
        for link in {"/tickets/", "/review/", "/exports/", "/notifications/",
                     "/handling-times/"}:
            assert (f'href="{link}"' in nav) == (link in links), (user, link)
        # The notifications are reached through the header badge, once.
        assert html.count('href="/notifications/"') == 1, user
        badge = html[html.index('id="notification-badge"'):]
        assert 'href="/notifications/"' in badge[:badge.index("</span>")], user


def test_countdown_script_and_formats_are_on_every_page(client, merchant):
    client.force_login(merchant)
    html = client.get(RULES).content.decode()
    assert "js/countdown.js" in html
    assert 'id="countdown-config"' in html
    assert "\\u5269\\u4f59" in html  # 剩余, JSON-escaped

