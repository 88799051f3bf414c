"""A notification about no ticket (last week's scorecard; a webhook endpoint
switched off without a ticket to name): listed, opened and read like any other,
leading to the page it is about."""

import pytest
from django.utils import timezone, translation

from notifications import services
from notifications.models import Notification, NotificationKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def weekly(merchant, shop_a):
    return Notification.objects.create(
        recipient=merchant, kind=NotificationKind.WEEKLY_SCORECARD,
        params={"shop": shop_a.id, "week": "2026-11-23", "closed": 10, "timed_out": 2,
                "previous_closed": 8, "previous_timed_out": 1})


@pytest.fixture
def merchant_client(client, merchant):
    client.force_login(merchant)
    return client


def test_the_list_shows_it_linking_through_open(merchant_client, weekly, pending_ticket):
    response = merchant_client.get("/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="notification-{weekly.pk}"' in html
    assert f'href="/notifications/{weekly.pk}/open/"' in html
    assert "贵店上周（2026-11-23 至 2026-11-29）：准时率 80.0%" in html
    assert "每周服务考核" in html  # its kind
    # The ticket's own notification is still there beside it.
    assert pending_ticket.number in html


def test_opening_it_reads_it_and_leads_to_the_shop_s_scorecard(merchant_client, weekly,
                                                              shop_a):
    response = merchant_client.get(f"/notifications/{weekly.pk}/open/")
    assert response.status_code == 302
    assert response["Location"] == f"/scorecard/{shop_a.id}/"
    weekly.refresh_from_db()
    assert weekly.read_at is not None
    assert merchant_client.get(response["Location"]).status_code == 200


def test_marking_it_read_with_htmx_renders_its_row(merchant_client, weekly):
    response = merchant_client.post(f"/notifications/{weekly.pk}/read/",
                                    HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert f'id="notification-{weekly.pk}"' in response.content.decode()
    assert services.unread_count(weekly.recipient) == 0


def test_the_change_is_said_both_ways_and_when_nothing_closed(weekly):
    with translation.override("en"):
        assert weekly.text == (
            "Your shop last week (2026-11-23 to 2026-11-29): on-time rate 80.0% "
            "(-7.5 percentage points on the week before), 2 timed out "
            "(+1 on the week before).")
    weekly.params.update(previous_closed=0, previous_timed_out=0)
    with translation.override("en"):
        assert "on-time rate 80.0% (no comparison on the week before)" in weekly.text


def test_a_webhook_endpoint_disabled_without_a_ticket_leads_to_the_webhooks_page(
        merchant, merchant_client):
    notice = services.notify_user(merchant.pk, None, NotificationKind.WEBHOOK_DISABLED,
                                  params={"url": "https://erp.example/hook", "failures": "5"},
                                  now=timezone.now())
    with translation.override("en"):
        assert notice.text == (
            "Your webhook endpoint https://erp.example/hook was disabled after 5 failed "
            "deliveries in a row. Fix the receiver, then enable it again on the webhooks page.")
    assert "https://erp.example/hook" in merchant_client.get("/notifications/").content.decode()
    response = merchant_client.get(f"/notifications/{notice.pk}/open/")
    assert response["Location"] == "/settings/webhooks/"
