"""The webhooks settings pages (server side; the browser journey is in
tests/browser/test_webhooks_page.py)."""

import pytest

from tests.factories import UserFactory
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


def test_registering_shows_the_secret_once(client, merchant, receiver):
    client.force_login(merchant)
    response = client.post("/settings/webhooks/", {
        "url": receiver.url, "events": ["ticket.created", "ticket.replied"],
        "description": "ERP"})
    assert response.status_code == 201
    endpoint = Endpoint.objects.get()
    assert endpoint.secret in response.content.decode()
    assert response["Cache-Control"] == "no-store"
    listed = client.get("/settings/webhooks/")
    assert endpoint.url in listed.content.decode()
    assert endpoint.secret not in listed.content.decode()
    assert endpoint.secret not in client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()


def test_a_refused_url_is_a_400_with_the_reason_at_the_field(client, merchant, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False
    client.force_login(merchant)
    response = client.post("/settings/webhooks/", {"url": "https://10.0.0.1/hook",
                                                   "events": ["ticket.created"]},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "public addresses" in response.content.decode()
    chinese = client.post("/settings/webhooks/", {"url": "https://10.0.0.1/hook",
                                                  "events": ["ticket.created"]})
    assert chinese.status_code == 400 and "公网地址" in chinese.content.decode()
    assert not Endpoint.objects.exists()


def test_test_event_and_redeliver_show_in_the_log(client, merchant, receiver, endpoint_for,
                                                  django_capture_on_commit_callbacks):
    endpoint = endpoint_for(merchant)
    client.force_login(merchant)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/settings/webhooks/{endpoint.pk}/test/")
    assert response.status_code == 302
    row = Delivery.objects.get()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"/settings/webhooks/{endpoint.pk}/deliveries/{row.pk}/redeliver/")
    page = client.get(f"/settings/webhooks/{endpoint.pk}/").content.decode()
    assert page.count('class="delivery"') == 2 and "answered 200" in page
    assert len(receiver.requests) == 2


def test_another_users_endpoint_is_404_on_every_page(client, merchant, outsider, endpoint_for):
    endpoint = endpoint_for(merchant)
    row = Delivery.objects.create(endpoint=endpoint, event_id="0" * 32, type="ping")
    client.force_login(outsider)
    base = f"/settings/webhooks/{endpoint.pk}/"
    assert client.get(base).status_code == 404
    for path in ("test/", "enable/", "delete/", f"deliveries/{row.pk}/redeliver/"):
        assert client.post(base + path).status_code == 404
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert Delivery.objects.count() == 1


def test_a_user_without_a_role_gets_403(client):
    client.force_login(UserFactory(username="nobody"))
    assert client.get("/settings/webhooks/").status_code == 403


def test_the_pages_are_in_chinese_and_english(client, merchant, endpoint_for):
    endpoint = endpoint_for(merchant)
    client.force_login(merchant)
    chinese = client.get(f"/settings/webhooks/{endpoint.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = client.get(f"/settings/webhooks/{endpoint.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Send test event" in english.content.decode()
    assert "Send test event" not in chinese.content.decode()
    assert "发送测试事件" in chinese.content.decode()


@pytest.mark.parametrize("allowed, shown, hidden", [
    (False, "https only", "also accepts http"),
    (True, "also accepts http and private addresses", "https only"),
])
def test_the_url_help_says_what_this_server_accepts(client, merchant, settings,
                                                    allowed, shown, hidden):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = allowed
    client.force_login(merchant)
    page = client.get("/settings/webhooks/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert shown in page and hidden not in page
    if allowed:
        chinese = client.get("/settings/webhooks/").content.decode()
        assert "本服务器还接受 http 和内网地址" in chinese
