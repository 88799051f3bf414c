"""Reply templates and the handler in the API: the same services as the pages."""

import pytest

from tests.factories import MerchantFactory
from tickets import assignment
from tickets.models import ReplyTemplate, ShopMembership


def test_merchant_lists_creates_and_deletes_templates(merchant_api, merchant, shop_a, shop_b,
                                                      service_type):
    ReplyTemplate.objects.create(shop=None, title="平台", body="您好")
    ReplyTemplate.objects.create(shop=shop_b, title="别人的", body="x")
    created = merchant_api.post("/api/v1/reply-templates/", {
        "title": "已发货", "body": "单号 {tracking_number}", "service_type": service_type.code},
        format="json")
    assert created.status_code == 201
    assert created.json()["service_type"] == service_type.code
    listed = merchant_api.get("/api/v1/reply-templates/").json()
    assert [(t["title"], t["shop_owned"]) for t in listed] == [("已发货", True), ("平台", False)]
    platform = ReplyTemplate.objects.get(title="平台")
    assert merchant_api.delete(f"/api/v1/reply-templates/{platform.pk}/").status_code == 404
    assert merchant_api.delete(
        f"/api/v1/reply-templates/{created.json()['id']}/").status_code == 204
    assert not ReplyTemplate.objects.filter(shop=shop_a).exists()


def test_template_input_is_checked(merchant_api):
    response = merchant_api.post("/api/v1/reply-templates/", {"title": "", "body": "x",
                                                              "service_type": "nope"},
                                 format="json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"title", "service_type"}


def test_agents_have_no_templates(agent_api):
    assert agent_api.get("/api/v1/reply-templates/").status_code == 403


def test_ticket_representation_names_the_handler(merchant_api, merchant, shop_a,
                                                 pending_ticket):
    ShopMembership.objects.filter(user=merchant).update(manager=True)
    colleague = MerchantFactory(username="merchant_a2", membership__shop=shop_a)
    assert merchant_api.get("/api/v1/tickets/").json()["results"][0]["handler"] is None
    assignment.assign([pending_ticket.number], actor=merchant, handler=colleague)
    assert merchant_api.get("/api/v1/tickets/").json()["results"][0]["handler"] == "merchant_a2"
    assert merchant_api.get(f"/api/v1/tickets/{pending_ticket.number}/").json()["handler"] \
        == "merchant_a2"


@pytest.mark.parametrize("params", [{"assigned": "me"}, {"status": "due_soon"}])
def test_the_list_tabs_are_in_the_api_too(merchant_api, pending_ticket, params):
    response = merchant_api.get("/api/v1/tickets/", params)
    assert response.status_code == 200
    assert response.json()["results"] == []
