"""Exports, notifications, evidence, service types; the tokens page and the
create_api_token command."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from api.models import ApiToken
from exports.models import ExportJob
from notifications.models import Notification
from tests.api.conftest import bearer, problem
from tests.evidence.images import png_of
from tickets import lifecycle


def test_export_through_the_api(merchant_api, make_ticket, django_capture_on_commit_callbacks):
    make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        response = merchant_api.post("/api/v1/exports/", {"status": "pending"}, format="json")
    assert response.status_code == 202, response.content
    job = response.json()
    assert job["matched_count"] == 1 and job["filter"] == {"status": "pending"}
    detail = merchant_api.get(f"/api/v1/exports/{job['id']}/").json()
    assert detail["status"] == "done", detail
    download = merchant_api.get(detail["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content)[:2] == b"PK"
    # One per cooldown: the second is refused with Retry-After.
    refused = merchant_api.post("/api/v1/exports/", {}, format="json")
    body = problem(refused, 429, "export_cooldown")
    assert int(refused["Retry-After"]) == body["retry_after"] > 0


def test_export_too_large_has_count_and_cap(merchant_api, make_ticket, settings):
    settings.EXPORT_MAX_ROWS = 1
    make_ticket()
    make_ticket()
    body = problem(merchant_api.post("/api/v1/exports/", {}, format="json"),
                   400, "export_too_large")
    assert (body["count"], body["cap"]) == (2, 1)
    assert not ExportJob.objects.exists()


def test_export_bad_filter_is_field_error(merchant_api):
    body = problem(merchant_api.post("/api/v1/exports/", {"created_after": "x"}, format="json"),
                   400, "validation_error")
    assert "created_after" in body["errors"]


def test_someone_elses_export_is_404(merchant_api, outsider, make_ticket,
                                     django_capture_on_commit_callbacks, token_for):
    make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        job_id = merchant_api.post("/api/v1/exports/", {}, format="json").json()["id"]
    other = bearer(token_for(outsider))
    problem(other.get(f"/api/v1/exports/{job_id}/"), 404, "not_found")
    problem(other.get(f"/api/v1/exports/{job_id}/download/"), 404, "not_found")


def test_notifications_list_and_read(merchant_api, pending_ticket, merchant):
    listed = merchant_api.get("/api/v1/notifications/").json()["results"]
    assert [n["ticket"] for n in listed] == [pending_ticket.number]
    assert listed[0]["read_at"] is None and pending_ticket.number in listed[0]["text"]
    read = merchant_api.post(f"/api/v1/notifications/{listed[0]['id']}/read/")
    assert read.status_code == 200 and read.json()["read_at"]
    assert not Notification.objects.filter(recipient=merchant, read_at__isnull=True).exists()


def test_a_notification_about_no_ticket_has_no_ticket_number_and_leads_to_its_page(
        merchant_api, merchant, shop_a):
    notification = Notification.objects.create(
        recipient=merchant, kind="weekly_scorecard",
        params={"shop": shop_a.id, "week": "2026-11-23", "closed": 4, "timed_out": 1,
                "previous_closed": 2, "previous_timed_out": 1})
    listed = merchant_api.get("/api/v1/notifications/").json()["results"]
    assert [(n["id"], n["ticket"], n["url"]) for n in listed] == [
        (notification.pk, None, f"/scorecard/{shop_a.id}/")]
    assert "2026-11-23" in listed[0]["text"]
    read = merchant_api.post(f"/api/v1/notifications/{notification.pk}/read/")
    assert read.status_code == 200 and read.json()["ticket"] is None


def test_someone_elses_notification_is_404(outsider_api, merchant, pending_ticket):
    notification = Notification.objects.get()
    problem(outsider_api.post(f"/api/v1/notifications/{notification.pk}/read/"),
            404, "not_found")
    assert Notification.objects.get().read_at is None


def test_evidence_is_served_with_the_pages_headers(merchant_api, agent_api, client, agent,
                                                   pending_ticket):
    response = merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/", {
        "body": "见图",
        "evidence": [SimpleUploadedFile("x.png", png_of((12, 10)), content_type="image/png")],
    }, format="multipart")
    assert response.status_code == 200, response.content
    (evidence,) = response.json()["events"][-1]["evidence"]
    served = agent_api.get(evidence["url"])
    assert served.status_code == 200
    client.force_login(agent)
    page = client.get(f"/tickets/{pending_ticket.number}/evidence/{evidence['id']}/")
    for header in ("Content-Type", "Content-Security-Policy", "X-Content-Type-Options",
                   "Cache-Control", "Content-Disposition"):
        assert served[header] == page[header], header
    assert served["Content-Security-Policy"].endswith("sandbox")


def test_a_bad_evidence_file_is_a_field_error(merchant_api, pending_ticket):
    body = problem(merchant_api.post(f"/api/v1/tickets/{pending_ticket.number}/reply/", {
        "body": "见图",
        "evidence": [SimpleUploadedFile("x.png", b"<script>", content_type="image/png")],
    }, format="multipart"), 400, "validation_error")
    assert "evidence" in body["errors"]


def test_service_types(merchant_api, service_type):
    (listed,) = merchant_api.get("/api/v1/service-types/").json()
    assert listed["code"] == service_type.code


def test_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get("/api/v1/schema/?format=json")
    assert schema.status_code == 200
    assert "/api/v1/tickets/{number}/reply/" in schema.json()["paths"]
    docs = client.get("/api/v1/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    # Nothing inline (a strict CSP allows neither): the init script is a separate file.
    assert "<script>" not in html and "<style" not in html
    assert "cdn" not in html.lower() and "/static/drf_spectacular_sidecar/" in html


def test_tokens_page_shows_the_token_once_then_lists_and_revokes(client, merchant):
    client.force_login(merchant)
    assert client.get("/settings/tokens/").status_code == 200
    created = client.post("/settings/tokens/", {"name": "ERP", "expires": "90",
                                                "read_only": "on"})
    assert created.status_code == 201
    raw = re.search(r'id="new-token-value">([^<]+)<', created.content.decode()).group(1)
    token = ApiToken.objects.get(user=merchant)
    assert token.read_only and raw not in str(ApiToken.objects.values().get())
    listing = client.get("/settings/tokens/").content.decode()
    assert "ERP" in listing and raw not in listing
    assert bearer(raw).get("/api/v1/tickets/").status_code == 200
    client.post(f"/settings/tokens/{token.pk}/revoke/")
    assert bearer(raw).get("/api/v1/tickets/").status_code == 401


def test_one_cannot_revoke_someone_elses_token(client, merchant, outsider, token_for):
    raw = token_for(outsider)
    client.force_login(merchant)
    client.post(f"/settings/tokens/{ApiToken.objects.get().pk}/revoke/")
    assert bearer(raw).get("/api/v1/tickets/").status_code == 200


def test_create_api_token_prints_the_token_last(merchant, capsys, pending_ticket):
    call_command("create_api_token", merchant.username, "--name", "ERP", "--read-only")
    raw = capsys.readouterr().out.strip().splitlines()[-1]
    client = bearer(raw)
    assert client.get(f"/api/v1/tickets/{pending_ticket.number}/").status_code == 200
    problem(client.post(f"/api/v1/tickets/{pending_ticket.number}/reply/", {"body": "x"},
                        format="json"), 403, "not_permitted")
    assert ApiToken.objects.get().read_only


def test_reply_then_agent_sees_actions(merchant_api, agent_api, pending_ticket, merchant):
    lifecycle.reply(pending_ticket, actor=merchant, body="好")
    body = agent_api.get(f"/api/v1/tickets/{pending_ticket.number}/").json()
    assert body["actions"] == ["approve", "reject", "close_as_agreed"]
