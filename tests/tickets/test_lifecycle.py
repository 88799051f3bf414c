"""Every allowed transition and every forbidden one, with events and counters."""

import io
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from tests.factories import OrderFactory, ServiceTypeFactory
from tickets import lifecycle
from tickets.errors import (
    AlreadyReplied,
    DeadlinePassed,
    InvalidInput,
    NotPermitted,
    TransitionNotAllowed,
)
from tickets.models import EventKind, Evidence, Resolution, Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db


def png(name="proof.png", size=(8, 8)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


def events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", "from_status",
                                                                        "to_status"))


# --- create -------------------------------------------------------------------------

def test_agent_creates_pending_ticket_with_deadline_from_handling_hours(agent, order,
                                                                        service_type):
    now = timezone.now()
    ticket = lifecycle.create_ticket(actor=agent, order=order, service_type=service_type,
                                     content="买家催发货", now=now)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert ticket.deadline == now + timedelta(hours=24)
    assert ticket.shop_id == order.shop_id
    assert ticket.created_at == now and ticket.created_by == agent
    assert len(ticket.number) == 16 and ticket.number.isdigit()
    assert events(ticket) == [(EventKind.CREATED, "", TicketStatus.PENDING)]


@pytest.mark.parametrize("role", ["merchant", "ops"])
def test_only_agents_create_tickets(request, role, order, service_type):
    user = request.getfixturevalue(role)
    with pytest.raises(NotPermitted):
        lifecycle.create_ticket(actor=user, order=order, service_type=service_type,
                                content="x")
    assert Ticket.objects.count() == 0


def test_create_needs_content_and_an_active_service_type(agent, order, service_type):
    with pytest.raises(InvalidInput):
        lifecycle.create_ticket(actor=agent, order=order, service_type=service_type,
                                content="   ")
    retired = ServiceTypeFactory(code="retired", is_active=False)
    with pytest.raises(InvalidInput):
        lifecycle.create_ticket(actor=agent, order=order, service_type=retired, content="x")
    assert Ticket.objects.count() == 0 and TicketEvent.objects.count() == 0


# --- reply --------------------------------------------------------------------------

def test_merchant_reply_moves_ticket_to_review_and_stops_the_countdown(pending_ticket,
                                                                       merchant):
    now = timezone.now()
    ticket = lifecycle.reply(pending_ticket, actor=merchant, body="今天发货", now=now)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.UNDER_REVIEW
    assert ticket.deadline is None
    assert ticket.first_replied_at == ticket.last_replied_at == now
    reply_event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REPLIED)
    assert (reply_event.actor, reply_event.text, reply_event.from_status,
            reply_event.to_status) == (merchant, "今天发货", "pending", "under_review")


def test_second_reply_is_refused_as_already_replied(under_review_ticket, merchant):
    with pytest.raises(AlreadyReplied) as caught:
        lifecycle.reply(under_review_ticket, actor=merchant, body="again")
    assert caught.value.status_code == 409
    assert TicketEvent.objects.filter(kind=EventKind.REPLIED).count() == 1


def test_merchant_cannot_reply_one_second_after_the_deadline(pending_ticket, merchant):
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(pending_ticket, actor=merchant, body="late",
                        now=pending_ticket.deadline + timedelta(seconds=1))
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.PENDING
    assert not TicketEvent.objects.filter(kind=EventKind.REPLIED).exists()


def test_merchant_can_reply_one_second_before_the_deadline(pending_ticket, merchant):
    lifecycle.reply(pending_ticket, actor=merchant, body="just in time",
                    now=pending_ticket.deadline - timedelta(seconds=1))
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.UNDER_REVIEW


def test_reply_uses_the_server_clock_when_no_time_is_given(pending_ticket, merchant):
    with time_machine.travel(pending_ticket.deadline + timedelta(minutes=5), tick=False):
        with pytest.raises(DeadlinePassed):
            lifecycle.reply(pending_ticket, actor=merchant, body="late")


def test_outsider_merchant_cannot_reply_to_another_shops_ticket(pending_ticket, outsider):
    with pytest.raises(NotPermitted):
        lifecycle.reply(pending_ticket, actor=outsider, body="not mine")


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_only_merchants_reply(request, role, pending_ticket):
    with pytest.raises(NotPermitted) as caught:
        lifecycle.reply(pending_ticket, actor=request.getfixturevalue(role), body="x")
    assert caught.value.status_code == 403


def test_reply_on_a_closed_ticket_is_a_wrong_state(pending_ticket, merchant):
    lifecycle.time_out(pending_ticket, now=pending_ticket.deadline)
    with pytest.raises(TransitionNotAllowed):
        lifecycle.reply(pending_ticket, actor=merchant, body="x",
                        now=pending_ticket.deadline - timedelta(hours=1))


def test_reply_stores_evidence_images_on_the_reply_event(pending_ticket, merchant):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图", evidence=[png("a.png"),
                                                                        png("b.png")])
    stored = list(Evidence.objects.all())
    assert [e.original_name for e in stored] == ["a.png", "b.png"]
    assert all(e.event.kind == EventKind.REPLIED for e in stored)
    assert all(e.image.storage.exists(e.image.name) for e in stored)


def test_evidence_required_type_refuses_a_reply_without_images(make_ticket, merchant,
                                                               evidence_type):
    ticket = make_ticket(service_type_=evidence_type)
    with pytest.raises(InvalidInput):
        lifecycle.reply(ticket, actor=merchant, body="no photos")
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING


def test_evidence_that_is_not_an_image_is_refused_whatever_its_name(pending_ticket,
                                                                    merchant):
    fake = SimpleUploadedFile("photo.png", b"<?php echo 'hi'; ?>", content_type="image/png")
    with pytest.raises(InvalidInput):
        lifecycle.reply(pending_ticket, actor=merchant, body="x", evidence=[fake])
    assert Evidence.objects.count() == 0


def test_at_most_four_evidence_images(pending_ticket, merchant):
    with pytest.raises(InvalidInput):
        lifecycle.reply(pending_ticket, actor=merchant, body="x",
                        evidence=[png(f"{i}.png") for i in range(5)])


def test_evidence_over_the_size_cap_is_refused(pending_ticket, merchant, settings):
    settings.EVIDENCE_MAX_BYTES = 50
    with pytest.raises(InvalidInput):
        lifecycle.reply(pending_ticket, actor=merchant, body="x", evidence=[png()])


def test_failed_reply_leaves_no_evidence_file_behind(pending_ticket, merchant):
    from pathlib import Path

    from django.conf import settings as dj_settings

    def media():  # stored names are random: compare every file under MEDIA_ROOT
        # (files only: storage makes its folders on the way and leaves them)
        return {path for path in Path(dj_settings.MEDIA_ROOT).rglob("*") if path.is_file()}

    before = media()
    image = png("late.png")
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(pending_ticket, actor=merchant, body="late", evidence=[image],
                        now=pending_ticket.deadline)
    assert Evidence.objects.count() == 0
    assert media() == before


# --- review -------------------------------------------------------------------------

def test_agent_approves_a_reply_and_closes_the_ticket(under_review_ticket, agent):
    now = timezone.now()
    ticket = lifecycle.approve(under_review_ticket, actor=agent, now=now)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution, ticket.closed_at, ticket.deadline) == (
        TicketStatus.CLOSED, Resolution.APPROVED, now, None)
    assert events(ticket)[-1] == (EventKind.APPROVED, "under_review", "closed")


def test_reject_restarts_the_countdown_and_counts(under_review_ticket, agent, merchant):
    now = timezone.now() + timedelta(hours=1)
    ticket = lifecycle.reject(under_review_ticket, actor=agent, reason_code="other",
                              reason="请补充物流单号",
                              now=now)
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    assert ticket.deadline == now + timedelta(hours=24)
    assert ticket.reject_count == 1
    rejected = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REJECTED)
    assert rejected.text == "请补充物流单号" and rejected.actor == agent
    # The merchant may answer again; first_replied_at keeps the first answer.
    first = ticket.first_replied_at
    lifecycle.reply(ticket, actor=merchant, body="单号 SF123", now=now + timedelta(hours=2))
    ticket.refresh_from_db()
    assert ticket.first_replied_at == first
    assert ticket.last_replied_at == now + timedelta(hours=2)


def test_reject_needs_a_reason(under_review_ticket, agent):
    with pytest.raises(InvalidInput):
        lifecycle.reject(under_review_ticket, actor=agent, reason_code="other", reason="  ")
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.status == TicketStatus.UNDER_REVIEW


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_review_of_a_pending_ticket_is_a_wrong_state(pending_ticket, agent, action):
    kwargs = {"reason_code": "other", "reason": "r"} if action == "reject" else {}
    with pytest.raises(TransitionNotAllowed):
        getattr(lifecycle, action)(pending_ticket, actor=agent, **kwargs)


@pytest.mark.parametrize("role", ["merchant", "ops"])
@pytest.mark.parametrize("action", ["approve", "reject", "close_as_agreed"])
def test_only_agents_review_or_close(request, role, action, under_review_ticket):
    kwargs = {"reason_code": "other", "reason": "r"} if action == "reject" else {}
    with pytest.raises(NotPermitted):
        getattr(lifecycle, action)(under_review_ticket, actor=request.getfixturevalue(role),
                                   **kwargs)
    under_review_ticket.refresh_from_db()
    assert under_review_ticket.status == TicketStatus.UNDER_REVIEW


@pytest.mark.parametrize("start", ["pending", "under_review"])
def test_agent_closes_as_agreed_from_pending_or_review(request, start, agent):
    ticket = request.getfixturevalue(f"{start}_ticket")
    lifecycle.close_as_agreed(ticket, actor=agent, note="协商一致")
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (TicketStatus.CLOSED, Resolution.AGREED)
    assert events(ticket)[-1] == (EventKind.AGREED, start, "closed")


def test_closed_ticket_cannot_be_closed_again(under_review_ticket, agent):
    lifecycle.approve(under_review_ticket, actor=agent)
    for action, kwargs in [("approve", {}), ("reject", {"reason_code": "other", "reason": "r"}),
                           ("close_as_agreed", {})]:
        with pytest.raises(TransitionNotAllowed):
            getattr(lifecycle, action)(under_review_ticket, actor=agent, **kwargs)
    assert TicketEvent.objects.filter(ticket=under_review_ticket).count() == 3


# --- time out -----------------------------------------------------------------------

def test_time_out_closes_an_overdue_ticket_without_a_human_actor(pending_ticket):
    ticket = lifecycle.time_out(pending_ticket, now=pending_ticket.deadline)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution) == (TicketStatus.CLOSED, Resolution.TIMED_OUT)
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.TIMED_OUT)
    assert event.actor is None


def test_time_out_before_the_deadline_is_refused(pending_ticket):
    with pytest.raises(TransitionNotAllowed):
        lifecycle.time_out(pending_ticket, now=pending_ticket.deadline - timedelta(seconds=1))


def test_time_out_of_a_ticket_under_review_is_refused(under_review_ticket):
    with pytest.raises(TransitionNotAllowed):
        lifecycle.time_out(under_review_ticket, now=timezone.now() + timedelta(days=10))


def test_lifecycle_works_from_a_ticket_id(pending_ticket, merchant):
    lifecycle.reply(pending_ticket.pk, actor=merchant, body="by id")
    assert Ticket.objects.get(pk=pending_ticket.pk).status == TicketStatus.UNDER_REVIEW


def test_each_shop_order_keeps_its_shop(agent, service_type, shop_b):
    order = OrderFactory(shop=shop_b)
    ticket = lifecycle.create_ticket(actor=agent, order=order, service_type=service_type,
                                     content="x")
    assert ticket.shop == shop_b
