"""Deliveries from real transitions to a real receiver: every event type,
signed as the README tells receivers to check, scoped to who may see the ticket."""

from datetime import timedelta

import pytest
from django.utils import timezone

from tickets import lifecycle, sweep
from webhooks import delivery
from webhooks.models import Delivery, DeliveryStatus
from webhooks.verify import verify_signature

pytestmark = pytest.mark.django_db

TICKET_EVENTS = {"ticket.created", "ticket.replied", "ticket.rejected", "ticket.approved",
                 "ticket.closed", "ticket.timed_out", "ticket.due_soon"}


def _check_signed(request, secret):
    assert verify_signature(secret, request.body, request.headers["X-Desk-Signature"])
    assert not verify_signature("whsec_wrong", request.body, request.headers["X-Desk-Signature"])
    assert request.headers["Content-Type"] == "application/json"
    body = request.json
    assert request.headers["X-Desk-Event"] == body["type"]
    assert request.headers["X-Desk-Delivery"] == body["id"]
    return body


def test_every_event_type_reaches_the_shops_and_the_platforms_endpoints_signed(
        receiver, endpoint_for, merchant, outsider, ops, agent, make_ticket,
        django_capture_on_commit_callbacks):
    mine = endpoint_for(merchant, url=f"{receiver.url}/merchant")
    theirs = endpoint_for(outsider, url=f"{receiver.url}/outsider")
    platform = endpoint_for(ops, url=f"{receiver.url}/ops")

    def committed(call, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return call(*args, **kwargs)

    handling = timedelta(hours=24)  # the fixture service type
    ticket = committed(make_ticket)
    committed(lifecycle.reply, ticket, actor=merchant, body="今天发货")
    committed(lifecycle.reject, ticket, actor=agent, reason_code="other", reason="请补充单号")
    committed(lifecycle.reply, ticket, actor=merchant, body="单号 SF123")
    committed(lifecycle.approve, ticket, actor=agent)
    agreed = committed(make_ticket)
    committed(lifecycle.close_as_agreed, agreed, actor=agent, note="已协商")
    overdue = committed(make_ticket, now=timezone.now() - handling - timedelta(minutes=1))
    nearly = committed(make_ticket, now=timezone.now() - handling + timedelta(hours=1))
    committed(sweep.sweep_deadlines)
    for endpoint in (mine, theirs):
        committed(delivery.send_test_event, endpoint)

    received = {"merchant": [], "outsider": [], "ops": []}
    for request in receiver.requests:
        received[request.path.rsplit("/", 1)[1]].append(request)
    secrets = {"merchant": mine.secret, "outsider": theirs.secret, "ops": platform.secret}
    bodies = {who: [_check_signed(r, secrets[who]) for r in requests]
              for who, requests in received.items()}

    assert {b["type"] for b in bodies["merchant"]} == TICKET_EVENTS | {"ping"}
    assert {b["type"] for b in bodies["ops"]} == TICKET_EVENTS
    # Another shop's merchant: nothing about shop A, only the test event asked for.
    assert [b["type"] for b in bodies["outsider"]] == ["ping"]
    by_type = {}
    for body in bodies["merchant"]:
        by_type.setdefault(body["type"], body)
    assert by_type["ticket.timed_out"]["data"]["ticket"]["number"] == overdue.number
    assert by_type["ticket.due_soon"]["data"]["ticket"]["number"] == nearly.number
    assert by_type["ticket.closed"]["data"]["ticket"]["resolution"] == "agreed"
    created = by_type["ticket.created"]["data"]["ticket"]
    assert created["number"] == ticket.number and "events" not in created
    # As the owner sees it: the merchant gets the buyer masked, ops in full.
    ops_created = next(b for b in bodies["ops"] if b["type"] == "ticket.created"
                       and b["data"]["ticket"]["number"] == ticket.number)["data"]["ticket"]
    assert created["order"]["buyer"] == ticket.order.buyer_masked
    assert ops_created["order"]["buyer"] == ticket.order.buyer_nickname
    assert by_type["ping"]["data"]["endpoint"]["id"] == mine.pk
    # One row per event and endpoint, all delivered on the first attempt.
    assert set(Delivery.objects.values_list("status", "attempts")) == {
        (DeliveryStatus.DELIVERED, 1)}
    assert len({b["id"] for bs in bodies.values() for b in bs}) == len(receiver.requests)


def test_an_endpoint_receives_only_the_events_it_subscribed_to(
        receiver, endpoint_for, merchant, agent, make_ticket,
        django_capture_on_commit_callbacks):
    endpoint_for(merchant, events=["ticket.replied"])
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    with django_capture_on_commit_callbacks(execute=True):
        lifecycle.reply(ticket, actor=merchant, body="好的")
    assert [r.json["type"] for r in receiver.requests] == ["ticket.replied"]
    assert receiver.requests[0].json["data"]["ticket"]["status"] == "under_review"


def test_a_rolled_back_transition_writes_and_sends_nothing(
        receiver, endpoint_for, merchant, make_ticket, settings,
        django_capture_on_commit_callbacks):
    from tickets.models import Ticket
    from tickets.writes import TicketWriteTimedOut

    endpoint_for(merchant)
    # Every ticket write now takes longer than its bound and is rolled back
    # after all its statements ran, the outbox row's included.
    settings.TICKET_WRITE_TIMEOUT_SECONDS = 1e-9
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(TicketWriteTimedOut):
            make_ticket()
    assert not Ticket.objects.exists()
    assert not Delivery.objects.exists()
    assert callbacks == [] and receiver.requests == []


def test_a_committed_transition_writes_one_row_per_endpoint_that_may_see_it(
        endpoint_for, merchant, outsider, ops, agent, make_ticket,
        django_capture_on_commit_callbacks):
    first, _other = endpoint_for(merchant), endpoint_for(merchant)
    endpoint_for(outsider)
    platform = endpoint_for(ops)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        ticket = make_ticket()
    rows = Delivery.objects.filter(ticket=ticket)
    assert rows.count() == 3
    assert {row.endpoint_id for row in rows} >= {first.pk, platform.pk}
    assert {row.type for row in rows} == {"ticket.created"}
    assert len({row.event_id for row in rows}) == 3
    # Published once the transaction commits, not before.
    assert len(callbacks) == 1
    assert set(rows.values_list("status", "attempts")) == {(DeliveryStatus.PENDING, 0)}
