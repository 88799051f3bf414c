"""A shop's ERP works a ticket through the API while an agent's tool decides,
and the detail page shows the same thread."""

from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.evidence.images import png_of


def test_erp_journey(merchant_api, agent_api, client, agent, make_ticket, time_machine):
    start = timezone.now().replace(microsecond=0)
    time_machine.move_to(start, tick=False)
    ticket = make_ticket(content="买家问什么时候发货")
    since = (start - timedelta(seconds=1)).isoformat()

    # 1. Pull what changed since the last sync: nothing yet while the change
    # is younger than the settle window, then the new ticket.
    assert merchant_api.get("/api/v1/tickets/", {"updated_after": since}).json()["results"] == []
    time_machine.move_to(start + timedelta(minutes=1), tick=False)
    pulled = merchant_api.get("/api/v1/tickets/", {"updated_after": since}).json()
    assert [t["number"] for t in pulled["results"]] == [ticket.number]
    first_deadline = pulled["results"][0]["deadline"]
    assert pulled["results"][0]["seconds_left"] > 0

    # 2. Reply with evidence.
    time_machine.move_to(start + timedelta(minutes=5), tick=False)
    replied = merchant_api.post(f"/api/v1/tickets/{ticket.number}/reply/", {
        "body": "今天发货", "evidence": [
            SimpleUploadedFile("label.png", png_of((20, 10)), content_type="image/png")],
    }, format="multipart", HTTP_IDEMPOTENCY_KEY="erp-reply-1")
    assert replied.status_code == 200, replied.content
    assert replied.json()["status"] == "under_review"
    last_sync = replied.json()["updated_at"]

    # 3. The agent's token rejects.
    time_machine.move_to(start + timedelta(minutes=30), tick=False)
    rejected = agent_api.post(f"/api/v1/tickets/{ticket.number}/reject/",
                              {"reason_code": "invalid_tracking", "reason": "请补充物流单号"},
                              format="json")
    assert rejected.status_code == 200, rejected.content

    # 4. Pull again: the rejection and the new deadline.
    time_machine.move_to(start + timedelta(minutes=31), tick=False)
    pulled = merchant_api.get("/api/v1/tickets/", {"updated_after": last_sync}).json()
    (changed,) = pulled["results"]
    assert changed["status"] == "pending" and changed["reject_count"] == 1
    assert changed["deadline"] > first_deadline
    detail = merchant_api.get(changed["url"]).json()
    assert detail["events"][-1]["kind"] == "rejected"
    assert detail["events"][-1]["text"] == "请补充物流单号"
    assert detail["actions"] == ["reply"]

    # 5. Reply again; 6. approve.
    assert merchant_api.post(f"/api/v1/tickets/{ticket.number}/reply/",
                             {"body": "单号 SF123"}, format="json").status_code == 200
    approved = agent_api.post(f"/api/v1/tickets/{ticket.number}/approve/")
    assert approved.status_code == 200
    final = approved.json()
    assert (final["status"], final["resolution"]) == ("closed", "approved")
    kinds = [e["kind"] for e in final["events"]]
    assert kinds == ["created", "replied", "rejected", "replied", "approved"]
    evidence_url = final["events"][1]["evidence"][0]["url"]
    assert agent_api.get(evidence_url).status_code == 200

    # The page shows the same thread.
    client.force_login(agent)
    page = client.get(f"/tickets/{ticket.number}/")
    events = list(page.context["events"])
    assert [e.kind for e in events] == kinds
    assert [e.text for e in events] == [e["text"] for e in final["events"]]
    html = page.content.decode()
    for text in ("今天发货", "请补充物流单号", "单号 SF123"):
        assert text in html
