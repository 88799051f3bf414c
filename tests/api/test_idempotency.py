"""Idempotency-Key: a replay returns the first response and does nothing again;
another request under the same key is 422; two racing requests with one key
make one transition (PostgreSQL, separate connections)."""

from datetime import timedelta

import pytest
from django.utils import timezone

from api.models import IdempotencyRecord
from tests.api.conftest import bearer, problem
from tests.threads import run_together
from tickets.models import EventKind, Ticket, TicketEvent


def _approve(client, ticket, key):
    return client.post(f"/api/v1/tickets/{ticket.number}/approve/", {}, format="json",
                       HTTP_IDEMPOTENCY_KEY=key)


def test_replay_returns_the_first_response_and_does_nothing(agent_api, under_review_ticket):
    first = _approve(agent_api, under_review_ticket, "k-1")
    assert first.status_code == 200
    again = _approve(agent_api, under_review_ticket, "k-1")
    assert again.status_code == 200 and again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert TicketEvent.objects.filter(ticket=under_review_ticket,
                                      kind=EventKind.APPROVED).count() == 1
    # Without the key the same call meets the lifecycle: the ticket is closed now.
    problem(agent_api.post(f"/api/v1/tickets/{under_review_ticket.number}/approve/"),
            409, "wrong_state")


def test_an_error_is_replayed_too(merchant_api, under_review_ticket):
    url = f"/api/v1/tickets/{under_review_ticket.number}/reply/"
    first = merchant_api.post(url, {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="e")
    problem(first, 409, "already_replied")
    again = merchant_api.post(url, {"body": "x"}, format="json", HTTP_IDEMPOTENCY_KEY="e")
    assert again.status_code == 409 and again.json() == first.json()


def test_same_key_different_body_is_422(agent_api, under_review_ticket, pending_ticket):
    url = f"/api/v1/tickets/{under_review_ticket.number}/reject/"
    assert agent_api.post(url, {"reason_code": "other", "reason": "a"}, format="json",
                          HTTP_IDEMPOTENCY_KEY="k").status_code == 200
    problem(agent_api.post(url, {"reason_code": "other", "reason": "b"}, format="json",
                           HTTP_IDEMPOTENCY_KEY="k"),
            422, "idempotency_conflict")
    problem(_approve(agent_api, pending_ticket, "k"), 422, "idempotency_conflict")
    assert Ticket.objects.get(pk=under_review_ticket.pk).reject_count == 1


def test_keys_are_per_user(agent, token_for, make_ticket, merchant, under_review_ticket):
    from tests.factories import UserFactory

    other_agent = bearer(token_for(UserFactory(username="agent2", role="agent")))
    second = lifecycle_reply(make_ticket(), merchant)
    assert _approve(bearer(token_for(agent)), under_review_ticket, "same").status_code == 200
    response = _approve(other_agent, second, "same")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    assert Ticket.objects.get(pk=second.pk).status == "closed"


def lifecycle_reply(ticket, merchant):
    from tickets import lifecycle

    return lifecycle.reply(ticket, actor=merchant, body="好")


def test_a_key_older_than_a_day_is_new_again(agent_api, under_review_ticket, pending_ticket,
                                             time_machine):
    assert _approve(agent_api, under_review_ticket, "old").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(hours=24, seconds=1))
    response = agent_api.post(f"/api/v1/tickets/{pending_ticket.number}/close/", {},
                              format="json", HTTP_IDEMPOTENCY_KEY="old")
    assert response.status_code == 200 and response.json()["status"] == "closed"


def test_a_bad_key_is_400(agent_api, under_review_ticket):
    problem(_approve(agent_api, under_review_ticket, "x" * 300), 400, "validation_error")
    assert Ticket.objects.get(pk=under_review_ticket.pk).status == "under_review"


def test_a_rate_limited_or_failed_request_gives_the_key_back(merchant_api, settings,
                                                             monkeypatch, pending_ticket):
    from api import views

    def explode(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(views.lifecycle, "reply", explode)
    merchant_api.raise_request_exception = False
    url = f"/api/v1/tickets/{pending_ticket.number}/reply/"
    problem(merchant_api.post(url, {"body": "好"}, format="json", HTTP_IDEMPOTENCY_KEY="r"),
            500, "server_error")
    assert not IdempotencyRecord.objects.exists()
    monkeypatch.undo()
    response = merchant_api.post(url, {"body": "好"}, format="json", HTTP_IDEMPOTENCY_KEY="r")
    assert response.status_code == 200


def test_multipart_reply_with_evidence_is_fingerprinted_by_content(merchant_api, pending_ticket):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.evidence.images import png_of

    url = f"/api/v1/tickets/{pending_ticket.number}/reply/"

    def send(data):
        return merchant_api.post(url, {"body": "见图", "evidence": [
            SimpleUploadedFile("a.png", data, content_type="image/png")]},
            format="multipart", HTTP_IDEMPOTENCY_KEY="m")

    first = send(png_of((8, 8)))
    assert first.status_code == 200, first.content
    assert send(png_of((8, 8))).json() == first.json()
    problem(send(png_of((9, 9))), 422, "idempotency_conflict")


@pytest.mark.django_db(transaction=True)
def test_racing_requests_with_one_key_make_one_transition(require_postgres, agent, merchant,
                                                          make_ticket, token_for):
    ticket = lifecycle_reply(make_ticket(), merchant)
    raw = token_for(agent)
    results = run_together(*[lambda: _approve(bearer(raw), ticket, "race")] * 2)
    responses = [value for outcome, value in results if outcome == "ok"]
    assert len(responses) == 2, results
    assert [r.status_code for r in responses] == [200, 200]
    assert responses[0].json() == responses[1].json()
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.APPROVED).count() == 1
    assert sum(1 for r in responses if "Idempotent-Replayed" in r) == 1


def test_records_older_than_a_day_are_pruned(agent_api, under_review_ticket, pending_ticket,
                                             time_machine):
    from api.tasks import prune_idempotency_records

    assert _approve(agent_api, under_review_ticket, "old").status_code == 200
    time_machine.move_to(timezone.now() + timedelta(hours=23))
    agent_api.post(f"/api/v1/tickets/{pending_ticket.number}/close/", {}, format="json",
                   HTTP_IDEMPOTENCY_KEY="newer")
    time_machine.move_to(timezone.now() + timedelta(hours=2))
    assert prune_idempotency_records() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["newer"]
