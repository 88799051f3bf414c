"""The webhook endpoints of the API: the secret once, one's own endpoints only,
read-only tokens read, problem+json errors."""

import pytest

from tests.api.conftest import bearer, problem
from tests.factories import UserFactory
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def registered(merchant, token_for, receiver):
    client = bearer(token_for(merchant))
    response = client.post("/api/v1/webhooks/", {
        "url": receiver.url, "events": ["ticket.replied", "ticket.created"],
        "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    return client, response.json()


def test_registering_returns_the_secret_once(registered):
    client, created = registered
    assert created["secret"].startswith("whsec_")
    assert created["events"] == ["ticket.created", "ticket.replied"]
    assert created["active"] is True
    shown = client.get(f"/api/v1/webhooks/{created['id']}/").json()
    assert "secret" not in shown and shown["url"] == created["url"]
    listed = client.get("/api/v1/webhooks/").json()
    assert [e["id"] for e in listed] == [created["id"]] and "secret" not in listed[0]
    assert Endpoint.objects.get().secret == created["secret"]


def test_patch_changes_only_what_is_sent_and_switching_on_resets_failures(registered):
    client, created = registered
    Endpoint.objects.filter(pk=created["id"]).update(is_active=False, consecutive_failures=50)
    response = client.patch(f"/api/v1/webhooks/{created['id']}/",
                            {"description": "新的", "active": True}, format="json")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["description"] == "新的" and body["events"] == created["events"]
    assert body["active"] is True and body["consecutive_failures"] == 0
    problem(client.patch(f"/api/v1/webhooks/{created['id']}/", {"events": ["nope"]},
                         format="json"), 400, "validation_error")
    problem(client.patch(f"/api/v1/webhooks/{created['id']}/", {"active": None},
                         format="json"), 400, "validation_error")


def test_ping_sends_a_test_event(registered, receiver, django_capture_on_commit_callbacks):
    client, created = registered
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/api/v1/webhooks/{created['id']}/ping/")
    assert response.status_code == 202, response.content
    assert response.json()["type"] == "ping"
    (request,) = receiver.requests
    assert request.headers["X-Desk-Event"] == "ping"
    assert request.headers["X-Desk-Delivery"] == response.json()["id"]


def test_another_users_endpoint_is_404_for_every_method(registered, outsider, token_for):
    _client, created = registered
    other = bearer(token_for(outsider))
    url = f"/api/v1/webhooks/{created['id']}/"
    problem(other.get(url), 404, "not_found")
    problem(other.patch(url, {"description": "x"}, format="json"), 404, "not_found")
    problem(other.delete(url), 404, "not_found")
    problem(other.post(f"{url}ping/"), 404, "not_found")
    assert other.get("/api/v1/webhooks/").json() == []
    assert Endpoint.objects.get().description == "ERP"


def test_a_read_only_token_reads_but_cannot_write(registered, merchant, token_for, receiver):
    _client, created = registered
    reader = bearer(token_for(merchant, read_only=True))
    assert reader.get("/api/v1/webhooks/").status_code == 200
    problem(reader.post("/api/v1/webhooks/", {"url": receiver.url,
                                              "events": ["ticket.created"]}, format="json"),
            403, "not_permitted")
    url = f"/api/v1/webhooks/{created['id']}/"
    problem(reader.patch(url, {"description": "x"}, format="json"), 403, "not_permitted")
    problem(reader.delete(url), 403, "not_permitted")
    problem(reader.post(f"{url}ping/"), 403, "not_permitted")
    assert Endpoint.objects.count() == 1


def test_a_user_without_a_role_cannot_register(token_for, receiver):
    nobody = UserFactory(username="nobody")
    problem(bearer(token_for(nobody)).post("/api/v1/webhooks/", {
        "url": receiver.url, "events": ["ticket.created"]}, format="json"),
        403, "not_permitted")


@pytest.mark.parametrize(("payload", "field"), [
    ({"url": "not a url", "events": ["ticket.created"]}, "url"),
    ({"events": ["ticket.created"]}, "url"),
    ({"url": "RECEIVER", "events": []}, "events"),
    ({"url": "RECEIVER", "events": "ticket.created,ping"}, "events"),
    ({"url": "RECEIVER", "events": ["ping"]}, "events"),
    ({"url": "RECEIVER", "events": [{"a": 1}]}, "events"),
    ({"url": "ftp://127.0.0.1/hook", "events": ["ticket.created"]}, "url"),
    ({"url": "RECEIVER", "events": ["ticket.created"], "description": "x" * 201},
     "description"),
    (["not", "an", "object"], "non_field_errors"),
])
def test_bad_input_is_a_field_error(merchant, token_for, receiver, payload, field):
    if isinstance(payload, dict) and payload.get("url") == "RECEIVER":
        payload = {**payload, "url": receiver.url}
    body = problem(bearer(token_for(merchant)).post("/api/v1/webhooks/", payload,
                                                    format="json"),
                   400, "validation_error")
    assert list(body["errors"]) == [field]
    assert not Endpoint.objects.exists()


def test_delete_removes_the_endpoint_and_its_log(registered, make_ticket,
                                                  django_capture_on_commit_callbacks):
    client, created = registered
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    assert Delivery.objects.count() == 1
    assert client.delete(f"/api/v1/webhooks/{created['id']}/").status_code == 204
    assert not Endpoint.objects.exists() and not Delivery.objects.exists()
    problem(client.get(f"/api/v1/webhooks/{created['id']}/"), 404, "not_found")


def test_the_schema_documents_the_webhook_operations(agent_api):
    schema = agent_api.get("/api/v1/schema/?format=json").json()
    operations = {op["operationId"] for path in schema["paths"].values()
                  for op in path.values()}
    assert {"webhooks_list", "webhooks_create", "webhooks_retrieve", "webhooks_update",
            "webhooks_delete", "webhooks_ping"} <= operations
