"""The notification list, marking read (one, all, by opening), the badge fragment
and the unread count for scripts."""

import datetime as dt
import json
import re

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from notifications.models import Notification
from tickets import lifecycle, review_queue, selectors

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def unread(user):
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def badge_number(html: str) -> int:
    return int(re.search(r'data-unread="(\d+)"', html).group(1))


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


@pytest.fixture
def three_notifications(make_ticket, merchant, outsider, shop_b):
    """Three of the merchant's (oldest first) and one of the outsider's."""
    start = timezone.now() - dt.timedelta(hours=3)
    tickets = [make_ticket(now=start + dt.timedelta(hours=i)) for i in range(3)]
    make_ticket(shop=shop_b)
    return tickets


def test_list_shows_my_notifications_newest_first_each_linking_through_open(
        merchant_client, merchant, three_notifications):
    response = merchant_client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    mine = list(Notification.objects.filter(recipient=merchant).order_by("-created_at"))
    positions = [html.index(f'id="notification-{n.pk}"') for n in mine]
    assert positions == sorted(positions)
    for n in mine:
        assert f'href="/notifications/{n.pk}/open/"' in html
    theirs = Notification.objects.exclude(recipient=merchant).get()
    assert f"notification-{theirs.pk}" not in html


def test_list_highlights_unread_only(merchant_client, merchant, three_notifications):
    first, second, _ = Notification.objects.filter(recipient=merchant).order_by("created_at")
    Notification.objects.filter(pk=first.pk).update(read_at=timezone.now())
    html = merchant_client.get("/notifications/").content.decode()
    assert re.search(rf'id="notification-{first.pk}" class="notification"', html)
    assert re.search(rf'id="notification-{second.pk}" class="notification unread"', html)


def test_list_is_paginated_with_a_pinned_query_count(merchant_client, merchant, make_ticket,
                                                     django_assert_max_num_queries):
    for _ in range(25):
        make_ticket()
    # the user with role and shop, badge count, page count, page rows.
    with django_assert_max_num_queries(5):
        first = merchant_client.get("/notifications/")
    second = merchant_client.get("/notifications/?page=2")
    assert first.content.decode().count('class="notification unread"') == 20
    assert second.content.decode().count('class="notification unread"') == 5
    assert merchant_client.get("/notifications/?page=99").status_code == 200


def test_opening_a_notification_marks_it_read_and_goes_to_its_ticket(
        merchant_client, merchant, three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    response = merchant_client.get(f"/notifications/{notification.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{notification.ticket.number}/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread(merchant) == 2


def test_mark_one_read(merchant_client, merchant, three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    response = merchant_client.post(f"/notifications/{notification.pk}/read/")
    assert response.status_code == 302
    assert response["Location"] == "/notifications/"
    notification.refresh_from_db()
    assert notification.read_at is not None
    assert unread(merchant) == 2


def test_mark_one_read_twice_keeps_the_first_read_time(merchant_client, merchant,
                                                       three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    with time_machine.travel(timezone.now(), tick=False):
        merchant_client.post(f"/notifications/{notification.pk}/read/")
        first_read = Notification.objects.get(pk=notification.pk).read_at
    merchant_client.post(f"/notifications/{notification.pk}/read/")
    assert Notification.objects.get(pk=notification.pk).read_at == first_read


def test_mark_one_read_by_htmx_returns_the_row_and_the_badge_out_of_band(
        merchant_client, merchant, three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    response = merchant_client.post(f"/notifications/{notification.pk}/read/", **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="notification-{notification.pk}" class="notification"' in html
    assert 'hx-swap-oob="true"' in html
    assert badge_number(html) == 2


def test_mark_all_read_touches_only_my_notifications(merchant_client, merchant, outsider,
                                                    three_notifications):
    response = merchant_client.post("/notifications/read-all/")
    assert response.status_code == 302
    assert unread(merchant) == 0
    assert unread(outsider) == 1


def test_mark_all_read_leaves_what_arrived_after_the_page_was_built(
        merchant_client, merchant, three_notifications, make_ticket):
    html = merchant_client.get("/notifications/").content.decode()
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    make_ticket()  # arrives while the merchant reads the page
    merchant_client.post("/notifications/read-all/", {"up_to": up_to})
    assert unread(merchant) == 1


def test_mark_all_read_by_htmx_returns_the_list_and_a_zero_badge(merchant_client, merchant,
                                                                 three_notifications):
    response = merchant_client.post("/notifications/read-all/", **HTMX)
    html = response.content.decode()
    assert 'id="notification-list"' in html
    assert 'class="notification unread"' not in html
    assert badge_number(html) == 0


def test_mark_all_read_with_a_malformed_bound_is_a_400(merchant_client, merchant,
                                                       three_notifications):
    response = merchant_client.post("/notifications/read-all/", {"up_to": "1 OR 1=1"})
    assert response.status_code == 400
    assert unread(merchant) == 3


@pytest.mark.parametrize("action", ["open", "read"])
def test_another_users_notification_is_404_and_stays_unread(merchant_client, outsider,
                                                            three_notifications, action):
    theirs = Notification.objects.get(recipient=outsider)
    if action == "open":
        response = merchant_client.get(f"/notifications/{theirs.pk}/open/")
    else:
        response = merchant_client.post(f"/notifications/{theirs.pk}/read/")
    assert response.status_code == 404
    assert unread(outsider) == 1


def test_unknown_id_is_404(merchant_client):
    assert merchant_client.post("/notifications/999999/read/").status_code == 404


def test_mark_read_endpoints_refuse_get(merchant_client, merchant, three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    assert merchant_client.get(f"/notifications/{notification.pk}/read/").status_code == 405
    assert merchant_client.get("/notifications/read-all/").status_code == 405
    assert unread(merchant) == 3


def test_unread_count_endpoint_costs_two_queries(merchant_client, three_notifications,
                                                 django_assert_num_queries):
    # the user (with role and shop; the session is in the cache), and the COUNT
    # over the user's unread rows (partial index).
    with django_assert_num_queries(2):
        response = merchant_client.get("/notifications/unread-count/")
    assert response.status_code == 200
    assert json.loads(response.content) == {"unread": 3}
    assert "no-cache" in response["Cache-Control"]


def test_unread_count_endpoint_and_badge_agree(merchant_client, merchant,
                                               three_notifications):
    def both():
        count = json.loads(merchant_client.get("/notifications/unread-count/").content)["unread"]
        fragment = badge_number(merchant_client.get("/notifications/badge/", **HTMX)
                                .content.decode())
        page = badge_number(merchant_client.get("/tickets/").content.decode())
        return count, fragment, page

    assert both() == (3, 3, 3)
    merchant_client.post(f"/notifications/{Notification.objects.filter(recipient=merchant).first().pk}/read/")
    assert both() == (2, 2, 2)
    merchant_client.post("/notifications/read-all/")
    assert both() == (0, 0, 0)


def test_badge_fragment_polls_at_the_configured_interval(merchant_client, settings):
    assert 'hx-trigger="every 30s"' in merchant_client.get("/notifications/badge/").content.decode()
    settings.NOTIFICATION_POLL_SECONDS = 1
    html = merchant_client.get("/tickets/").content.decode()
    assert 'hx-trigger="every 1s"' in html
    assert 'hx-get="/notifications/badge/"' in html
    assert 'hx-swap="outerHTML"' in html


def test_agents_badge_shows_the_review_queue(client, agent, under_review_ticket, make_ticket,
                                             django_assert_max_num_queries):
    make_ticket()  # pending: not waiting for review
    client.force_login(agent)
    # the user with role (the session is in the cache), unread count, review count.
    with django_assert_max_num_queries(3):
        html = client.get("/notifications/badge/", **HTMX).content.decode()
    assert 'data-review="1"' in html
    assert 'href="/review/"' in html


def test_agents_badge_review_count_stops_at_the_cap(client, agent, merchant, make_ticket,
                                                    monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 1)
    for _ in range(3):
        lifecycle.reply(make_ticket(), actor=merchant, body="好")
    client.force_login(agent)
    html = client.get("/notifications/badge/", **HTMX).content.decode()
    assert re.search(r'data-review="1">1\+</span>', html), html


def test_merchants_badge_costs_two_queries(merchant_client, django_assert_num_queries):
    merchant_client.get("/notifications/badge/", **HTMX)
    # the user with role and shop, the unread count.
    with django_assert_num_queries(2):
        merchant_client.get("/notifications/badge/", **HTMX)


def test_merchants_badge_has_no_review_queue(merchant_client):
    html = merchant_client.get("/notifications/badge/", **HTMX).content.decode()
    assert "data-review" not in html


def test_anonymous_pages_redirect_to_login(client, merchant, three_notifications):
    notification = Notification.objects.filter(recipient=merchant).first()
    for response in (client.get("/notifications/"),
                     client.get(f"/notifications/{notification.pk}/open/"),
                     client.post(f"/notifications/{notification.pk}/read/"),
                     client.post("/notifications/read-all/"),
                     client.get("/notifications/badge/")):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    assert unread(merchant) == 3


def test_anonymous_unread_count_is_401_json(client):
    response = client.get("/notifications/unread-count/")
    assert response.status_code == 401
    assert "detail" in json.loads(response.content)


def test_polling_after_logout_stops_instead_of_swapping_in_the_login_page(client):
    response = client.get("/notifications/badge/", **HTMX)
    assert response.status_code == 286  # htmx: stop polling
    assert 'id="notification-badge"' in response.content.decode()
    assert "hx-trigger" not in response.content.decode()


def test_reject_reaches_the_merchants_badge(merchant_client, merchant, agent,
                                            under_review_ticket):
    before = badge_number(merchant_client.get("/notifications/badge/").content.decode())
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="单号无效")
    after = badge_number(merchant_client.get("/notifications/badge/").content.decode())
    assert after == before + 1


def test_admin_lists_notifications(admin_client, three_notifications):
    response = admin_client.get("/admin/notifications/notification/")
    assert response.status_code == 200
    assert response.content.decode().count('class="field-kind"') == 4


def test_mark_all_read_from_a_later_page_covers_the_newer_pages_too(merchant_client, merchant,
                                                                   make_ticket):
    for _ in range(25):
        make_ticket()
    html = merchant_client.get("/notifications/?page=2").content.decode()
    up_to = re.search(r'name="up_to" value="(\d+)"', html).group(1)
    merchant_client.post("/notifications/read-all/", {"up_to": up_to})
    assert unread(merchant) == 0


def test_each_row_shows_its_kind_as_a_tag(merchant_client, merchant, agent,
                                          under_review_ticket):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="单号无效")
    html = merchant_client.get("/notifications/").content.decode()
    assert '<span class="badge kind-rejected">回复被驳回</span>' in html
    assert '<span class="badge kind-new_ticket">新服务单</span>' in html


def test_pages_link_to_each_other(merchant_client, make_ticket):
    for _ in range(25):
        make_ticket()
    first = merchant_client.get("/notifications/").content.decode()
    second = merchant_client.get("/notifications/?page=2").content.decode()
    assert 'rel="next" href="?page=2"' in first and 'rel="prev"' not in first
    assert 'rel="prev" href="?page=1"' in second and 'rel="next"' not in second


def test_empty_list_says_so_and_offers_nothing_to_mark(merchant_client):
    html = merchant_client.get("/notifications/").content.decode()
    assert "暂无提醒。" in html
    assert "/notifications/read-all/" not in html


def test_agents_badge_counts_the_queue_once_until_a_decision_commits(
        client, agent, merchant, make_ticket, django_assert_num_queries,
        django_capture_on_commit_callbacks):
    lifecycle.reply(make_ticket(), actor=merchant, body="好")
    client.force_login(agent)
    assert 'data-review="1"' in client.get("/notifications/badge/", **HTMX).content.decode()
    # Another agent's poll, nothing decided since: the user with role, the
    # unread count; the queue's size comes from the cache.
    with django_assert_num_queries(2):
        html = client.get("/notifications/badge/", **HTMX).content.decode()
    assert 'data-review="1"' in html
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reply(make_ticket(), actor=merchant, body="好")
    assert 'data-review="2"' in client.get("/notifications/badge/", **HTMX).content.decode()


def test_the_queue_is_counted_afresh_only_once_the_decision_commits(
        merchant, make_ticket, django_capture_on_commit_callbacks):
    # Bumped before the commit, a poll in between would keep the old count
    # under the new version.
    ticket = make_ticket()
    before = cache.get(review_queue.VERSION_KEY)
    with django_capture_on_commit_callbacks() as callbacks:
        lifecycle.reply(ticket, actor=merchant, body="好")
        assert cache.get(review_queue.VERSION_KEY) == before
    for callback in callbacks:
        callback()
    assert cache.get(review_queue.VERSION_KEY) == before + 1
