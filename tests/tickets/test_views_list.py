"""The ticket list: who sees what, status tabs with counts, the order of each
tab, keyset pages and a query count that does not grow with page depth."""

import datetime as dt
import re
from html import unescape
from urllib.parse import parse_qs

import pytest
import time_machine
from django.utils import timezone

from tests.factories import OrderFactory, ServiceTypeFactory
from tickets import lifecycle, rows, selectors
from tickets.models import Ticket, TicketStatus
from tickets.pagination import PAGE_SIZE, Cursor

LIST = "/tickets/"


def numbers(response):
    return [t.number for t in response.context["page"].rows]


def tab_counts(response):
    return {t["code"]: (t["count"], t["capped"]) for t in response.context["tabs"]}


# --- who sees what ------------------------------------------------------------

def test_anonymous_is_sent_to_log_in(client):
    response = client.get(LIST)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/?next=/tickets/")


def test_root_redirects_to_the_list(client):
    assert client.get("/")["Location"] == "/tickets/"


def test_merchant_sees_only_own_shop(client, merchant, make_ticket, shop_b):
    own = make_ticket()
    make_ticket(shop=shop_b)
    client.force_login(merchant)
    assert numbers(client.get(LIST, {"status": "all"})) == [own.number]


def test_outsider_merchant_sees_none_of_shop_a(client, outsider, make_ticket):
    make_ticket()
    client.force_login(outsider)
    response = client.get(LIST, {"status": "all"})
    assert response.status_code == 200
    assert numbers(response) == []
    assert tab_counts(response)["all"] == (0, False)


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_agent_and_ops_see_every_shop(client, request, role, make_ticket, shop_b):
    tickets = [make_ticket(), make_ticket(shop=shop_b)]
    client.force_login(request.getfixturevalue(role))
    response = client.get(LIST)
    assert response.status_code == 200
    assert set(numbers(response)) == {t.number for t in tickets}


# --- tabs -----------------------------------------------------------------------

def test_merchant_lands_on_pending_and_is_told_so(client, merchant, make_ticket,
                                                  under_review_ticket):
    pending = make_ticket()
    client.force_login(merchant)
    response = client.get(LIST)
    assert response.context["tab"] == "pending"
    assert numbers(response) == [pending.number]
    assert "当前显示待您回复的服务单，最先到期的排在最前。" in response.content.decode()


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_agent_and_ops_land_on_all(client, request, role):
    client.force_login(request.getfixturevalue(role))
    assert client.get(LIST).context["tab"] == "all"


def test_tab_counts_follow_scope_and_filters(client, merchant, agent, make_ticket, shop_b,
                                             under_review_ticket):
    make_ticket()
    closed = make_ticket()
    lifecycle.close_as_agreed(closed, actor=agent)
    make_ticket(shop=shop_b)  # not the merchant's
    client.force_login(merchant)
    assert tab_counts(client.get(LIST)) == {
        "pending": (1, False), "due_soon": (0, False), "mine": (0, False),
        "under_review": (1, False), "closed": (1, False), "all": (3, False)}
    # Filtering by order number narrows every tab's count.
    response = client.get(LIST, {"order_number": closed.order.number})
    assert tab_counts(response) == {
        "pending": (0, False), "due_soon": (0, False), "mine": (0, False),
        "under_review": (0, False), "closed": (1, False), "all": (1, False)}


def test_tab_counts_stop_at_the_cap(client, merchant, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()
    client.force_login(merchant)
    response = client.get(LIST)
    assert tab_counts(response)["pending"] == (2, True)
    assert tab_counts(response)["all"] == (2, True)
    assert '2+</span>' in response.content.decode()


def test_each_status_tab_shows_only_its_status(client, agent, make_ticket, under_review_ticket):
    pending = make_ticket()
    closed = make_ticket()
    lifecycle.close_as_agreed(closed, actor=agent)
    client.force_login(agent)
    assert numbers(client.get(LIST, {"status": "pending"})) == [pending.number]
    assert numbers(client.get(LIST, {"status": "under_review"})) == [under_review_ticket.number]
    assert numbers(client.get(LIST, {"status": "closed"})) == [closed.number]
    assert len(numbers(client.get(LIST, {"status": "all"}))) == 3


def test_pending_tab_is_sorted_by_deadline_soonest_first(client, merchant, make_ticket):
    slow = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice", handling_hours=72)
    fast = ServiceTypeFactory(code="address", name_zh="修改地址", name_en="Address",
                              handling_hours=12)
    newest_but_slow = make_ticket(service_type_=slow)
    older_and_default = make_ticket(now=timezone.now() - dt.timedelta(hours=1))
    newest_and_fast = make_ticket(service_type_=fast)
    client.force_login(merchant)
    assert numbers(client.get(LIST, {"status": "pending"})) == [
        newest_and_fast.number, older_and_default.number, newest_but_slow.number]


def test_other_tabs_are_newest_first(client, merchant, make_ticket):
    now = timezone.now()
    old = make_ticket(now=now - dt.timedelta(hours=5))
    new = make_ticket(now=now - dt.timedelta(hours=1))
    client.force_login(merchant)
    assert numbers(client.get(LIST, {"status": "all"})) == [new.number, old.number]


def test_countdown_only_on_pending_rows(client, merchant, make_ticket, under_review_ticket):
    make_ticket()
    client.force_login(merchant)
    html = client.get(LIST, {"status": "all"}).content.decode()
    assert html.count('class="countdown') == 1


def test_pending_row_shows_time_left_in_shop_language(client, merchant, make_ticket):
    with time_machine.travel(dt.datetime(2026, 11, 26, 8, 0, tzinfo=dt.UTC), tick=False):
        make_ticket()
        client.force_login(merchant)
        html = client.get(LIST).content.decode()
    assert "剩余 24 小时 0 分" in html


# --- pages ------------------------------------------------------------------------

@pytest.fixture
def many_tickets(make_ticket):
    """45 pending tickets, one a minute, deadlines in creation order."""
    start = timezone.now() - dt.timedelta(hours=2)
    return [make_ticket(now=start + dt.timedelta(minutes=i)) for i in range(45)]


def test_pages_walk_forward_and_back_without_gaps(client, merchant, many_tickets):
    client.force_login(merchant)
    seen = []
    response = client.get(LIST, {"status": "all"})
    pages = [response]
    while response.context["page"].next_cursor:
        seen += numbers(response)
        response = client.get(LIST, {"status": "all",
                                     "after": response.context["page"].next_cursor})
        pages.append(response)
    seen += numbers(response)
    newest_first = [t.number for t in reversed(many_tickets)]
    assert seen == newest_first
    assert [len(numbers(p)) for p in pages] == [20, 20, 5]
    # Back from the last page gives the middle page again.
    back = client.get(LIST, {"status": "all", "before": pages[-1].context["page"].prev_cursor})
    assert numbers(back) == numbers(pages[1])
    assert back.context["page"].prev_cursor is not None
    first = client.get(LIST, {"status": "all", "before": pages[1].context["page"].prev_cursor})
    assert numbers(first) == numbers(pages[0])
    assert first.context["page"].prev_cursor is None


def test_pending_pages_follow_the_deadline_order(client, merchant, many_tickets):
    client.force_login(merchant)
    first = client.get(LIST)
    second = client.get(LIST, {"after": first.context["page"].next_cursor})
    assert numbers(first) + numbers(second) == [t.number for t in many_tickets[:40]]


def test_tickets_with_the_same_time_are_split_by_id(client, merchant, make_ticket):
    same = timezone.now() - dt.timedelta(minutes=5)
    tickets = [make_ticket(now=same) for _ in range(PAGE_SIZE + 3)]
    client.force_login(merchant)
    first = client.get(LIST, {"status": "all"})
    second = client.get(LIST, {"status": "all", "after": first.context["page"].next_cursor})
    assert numbers(first) + numbers(second) == [t.number for t in reversed(tickets)]


def test_cursor_round_trips_to_the_microsecond():
    moment = dt.datetime(2026, 11, 26, 8, 0, 0, 123457, tzinfo=dt.UTC)
    assert Cursor.decode(Cursor(moment, 42).encode()) == Cursor(moment, 42)


@pytest.mark.parametrize("cursor", ["nonsense", "12_x", "_", "99999999999999999999999_1", "5_-1"])
def test_broken_page_link_is_400_not_500(client, merchant, cursor):
    client.force_login(merchant)
    response = client.get(LIST, {"after": cursor})
    assert response.status_code == 400
    assert "分页链接已失效" in response.content.decode()


def test_list_query_count_is_the_same_on_a_deep_page(client, merchant, many_tickets,
                                                     django_assert_max_num_queries):
    client.force_login(merchant)
    first = client.get(LIST, {"status": "all"})  # warm the session
    # the user with role and shop (one query; the session is in the cache),
    # the service type named in the filter, service types for the form, every
    # tab count (one statement), the page, the header's unread badge.
    with django_assert_max_num_queries(6):
        first = client.get(LIST, {"status": "all", "service_type": "shipping_urge"})
    with django_assert_max_num_queries(6):
        deep = client.get(LIST, {"status": "all", "service_type": "shipping_urge",
                                 "after": first.context["page"].next_cursor})
    assert len(numbers(deep)) == 20


@pytest.mark.parametrize("role, queries", [("agent", 7), ("ops", 6)])
def test_list_query_count_for_agents_and_ops(client, request, role, queries, many_tickets,
                                             django_assert_max_num_queries):
    client.force_login(request.getfixturevalue(role))
    client.get(LIST)
    # the user with role, service types and shops for the form, every tab
    # count (one statement), the page, the unread badge, and for agents the badge's review
    # count (agents and ops have no shop to look up).
    with django_assert_max_num_queries(queries):
        first = client.get(LIST, {"status": "pending"})
    with django_assert_max_num_queries(queries):
        client.get(LIST, {"status": "pending", "after": first.context["page"].next_cursor})


@pytest.mark.parametrize("tab, queries", [("pending", 6), ("due_soon", 6), ("under_review", 5),
                                          ("closed", 5), ("all", 5)])
def test_every_tab_costs_the_same_queries_on_any_page(client, merchant, agent, make_ticket,
                                                      tab, queries, django_assert_num_queries):
    start = timezone.now() - dt.timedelta(hours=2)
    tickets = [make_ticket(now=start + dt.timedelta(minutes=i)) for i in range(66)]
    for ticket in tickets[:44]:
        lifecycle.reply(ticket, actor=merchant, body="好")
    for ticket in tickets[:22]:
        lifecycle.approve(ticket, actor=agent)
    client.force_login(merchant)
    client.get(LIST)  # warm the session
    # the user with role and shop (one query; the session is in the cache),
    # service types for the form, the page, every tab count (one statement),
    # the header's unread badge, and on the tabs of pending tickets the
    # shop's reply templates for the batch form: rows add none (the include
    # reads only what visible_to joins).
    with django_assert_num_queries(queries):
        first = client.get(LIST, {"status": tab})
    if tab == "due_soon":
        return  # nothing is due within two hours here; the count is the point
    assert len(numbers(first)) == 20
    with django_assert_num_queries(queries):
        client.get(LIST, {"status": tab, "after": first.context["page"].next_cursor})


def link_queries(html, marker):
    """The parsed query of every same-page link (href="?...") whose tag or text
    holds ``marker``."""
    found = re.finditer(r'<a\b([^>]*?)href="\?([^"]*)"(.*?)</a>', html, re.S)
    return [parse_qs(unescape(link[2])) for link in found if marker in link[1] + link[3]]


def test_tab_and_pager_links_keep_the_filter_and_drop_the_cursor(client, merchant,
                                                                 many_tickets):
    client.force_login(merchant)
    filters = {"status": "all", "service_type": "shipping_urge"}
    first = client.get(LIST, filters)
    response = client.get(LIST, {**filters, "after": first.context["page"].next_cursor})
    page, html = response.context["page"], response.content.decode()
    tabs = link_queries(html, 'data-tab="')
    assert tabs == [{"status": [code], "service_type": ["shipping_urge"]}
                    for code in ("pending", "due_soon")] + [
        {"service_type": ["shipping_urge"], "assigned": ["me"]}] + [
        {"status": [code], "service_type": ["shipping_urge"]}
        for code in ("under_review", "closed", "all")]
    # The page number rides along with the cursor (the link came without one: page 1).
    assert link_queries(html, 'rel="next"') == [
        {"status": ["all"], "service_type": ["shipping_urge"], "after": [page.next_cursor],
         "page": ["2"]}]
    assert link_queries(html, 'rel="prev"') == [
        {"status": ["all"], "service_type": ["shipping_urge"], "before": [page.prev_cursor],
         "page": ["1"]}]
    assert link_queries(html, "« ") == [{"status": ["all"], "service_type": ["shipping_urge"]}]


def test_list_and_review_queue_render_rows_through_one_function(client, agent, merchant,
                                                                make_ticket, monkeypatch):
    ticket = lifecycle.reply(make_ticket(), actor=merchant, body="好")
    calls = []

    def spy(tickets, columns, shared):
        calls.append(columns)
        return real(tickets, columns, shared)

    real = rows.ticket_rows
    monkeypatch.setattr(rows, "ticket_rows", spy)
    client.force_login(agent)
    for url in (LIST, "/review/"):
        calls.clear()
        response = client.get(url)
        assert len(calls) == 1, url
        assert ticket.number in response.content.decode()


# --- export slot ----------------------------------------------------------------

def test_export_slot_gets_the_filter_on_screen(client, merchant, make_ticket):
    ticket = make_ticket()
    client.force_login(merchant)
    response = client.get(LIST, {"order_number": ticket.order.number, "after": "1_1"})
    assert response.context["export_query"] == (
        f"order_number={ticket.order.number}&status=pending")


def test_export_slot_is_not_nested_in_the_filter_form(client, merchant, settings, tmp_path):
    slot = tmp_path / "exports"
    slot.mkdir()
    (slot / "_export_button.html").write_text('<form method="post" id="export-slot"></form>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0],
                           "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    client.force_login(merchant)
    html = client.get(LIST).content.decode()
    filter_form = html[html.index('<form method="get" id="filter-form">'):]
    assert filter_form.index("</form>") < filter_form.index('id="export-slot"')


def test_all_tab_exports_without_a_status(client, ops):
    client.force_login(ops)
    assert client.get(LIST, {"status": "all"}).context["export_query"] == ""


def test_agents_have_no_export_or_and_merchants_do(client, agent, merchant):
    client.force_login(agent)
    html = client.get(LIST).content.decode()
    assert 'href="/exports/"' not in html
    assert 'href="/review/"' in html
    client.force_login(merchant)
    html = client.get(LIST).content.decode()
    assert 'href="/exports/"' in html
    assert 'href="/review/"' not in html


def test_order_numbers_of_other_shops_are_not_leaked_through_filters(client, outsider,
                                                                    make_ticket):
    ticket = make_ticket()
    client.force_login(outsider)
    response = client.get(LIST, {"status": "all", "order_number": ticket.order.number})
    assert numbers(response) == []
    assert Ticket.objects.filter(status=TicketStatus.PENDING).count() == 1


def test_an_order_with_tickets_in_two_shops_is_impossible_but_filter_is_exact(
        client, merchant, make_ticket):
    order = OrderFactory(number="6912345678901234567", shop=merchant.shop_membership.shop)
    ticket = make_ticket(order=order)
    make_ticket()
    client.force_login(merchant)
    assert numbers(client.get(LIST, {"order_number": "6912345678901234"})) == []
    assert numbers(client.get(LIST, {"order_number": order.number})) == [ticket.number]


def test_what_merchants_and_buyers_typed_is_escaped_in_the_rows(client, ops, agent, make_ticket,
                                                                 shop_a):
    """The rows are written in Python, not by the template engine: every value
    that came from outside (shop name, request text, status and result labels)
    must come out as text."""
    shop_a.name = '<img src=x onerror="alert(1)">&店'
    shop_a.save()
    ticket = make_ticket(content='<script>alert("x")</script> 买家 & 卖家')
    lifecycle.close_as_agreed(ticket, actor=agent, note="")
    client.force_login(ops)
    html = client.get(LIST, {"status": "all"}, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;&amp;店" in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/scr" in html
    assert 'status-closed">Closed</span>' in html
    assert 'resolution-agreed">Agreement reached</span>' in html
