"""Notifications share the transition's transaction: rolled back, there are none;
committed, exactly one per recipient."""

import datetime as dt

import pytest

from notifications import services
from notifications.models import Notification
from tickets import lifecycle
from tickets.errors import DeadlinePassed, InvalidInput, TransitionNotAllowed
from tickets.models import Ticket, TicketStatus


class Boom(Exception):
    pass


@pytest.fixture
def fail_after_notifying(monkeypatch):
    """Make the lifecycle's notify write its rows, then raise while the
    transition's transaction is still open."""
    written = []

    def notify_then_fail(*args, **kwargs):
        written.append(services.notify(*args, **kwargs))
        raise Boom

    monkeypatch.setattr(lifecycle, "notify", notify_then_fail)
    return written


def transitions(ticket_maker, merchant, agent):
    """name -> (prepare, act): prepare builds the ticket, act runs the transition."""
    return {
        "create": (lambda: None, lambda _: ticket_maker()),
        "reply": (ticket_maker, lambda t: lifecycle.reply(t, actor=merchant, body="已发货")),
        "approve": (
            lambda: lifecycle.reply(ticket_maker(), actor=merchant, body="已发货"),
            lambda t: lifecycle.approve(t, actor=agent)),
        "reject": (
            lambda: lifecycle.reply(ticket_maker(), actor=merchant, body="已发货"),
            lambda t: lifecycle.reject(t, actor=agent, reason_code="other", reason="请补充")),
        "close_as_agreed": (ticket_maker,
                            lambda t: lifecycle.close_as_agreed(t, actor=agent)),
        "time_out": (ticket_maker,
                     lambda t: lifecycle.time_out(t, now=t.deadline + dt.timedelta(minutes=1))),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["create", "reply", "approve", "reject", "close_as_agreed",
                                  "time_out"])
def test_a_failure_after_the_notification_write_leaves_no_notification(
        name, make_ticket, merchant, colleague, agent, fail_after_notifying):
    # The colleague is the one told of the merchant's reply (nobody is told of
    # their own action).
    prepare, act = transitions(make_ticket, merchant, agent)[name]
    with pytest.MonkeyPatch.context() as unpatched:
        unpatched.setattr(lifecycle, "notify", services.notify)
        ticket = prepare()
    before = Notification.objects.count()
    status_before = ticket.status if ticket else None
    with pytest.raises(Boom):
        act(ticket)
    # Two merchants of the shop; the one who replied is not told of it.
    assert fail_after_notifying == [1 if name == "reply" else 2], \
        "the notification was written before the failure"
    assert Notification.objects.count() == before
    if ticket is not None:
        assert Ticket.objects.get(pk=ticket.pk).status == status_before
    else:
        assert not Ticket.objects.exists()


@pytest.mark.django_db
def test_a_failure_after_the_whole_transition_rolls_the_notifications_back(
        make_ticket, merchant, monkeypatch):
    """The reply stores its evidence rows after notifying: failing there undoes both."""
    ticket = make_ticket()
    before = Notification.objects.count()

    def broken_bulk_create(*args, **kwargs):
        raise Boom

    from tickets.models import Evidence

    monkeypatch.setattr(Evidence.objects, "bulk_create", broken_bulk_create)
    with pytest.raises(Boom):
        lifecycle.reply(ticket, actor=merchant, body="已发货")
    assert Notification.objects.count() == before
    assert Ticket.objects.get(pk=ticket.pk).status == TicketStatus.PENDING


@pytest.mark.django_db
def test_domain_errors_leave_no_notification(make_ticket, merchant, agent):
    ticket = make_ticket()
    before = Notification.objects.count()
    with pytest.raises(DeadlinePassed):
        lifecycle.reply(ticket, actor=merchant, body="晚了",
                        now=ticket.deadline + dt.timedelta(seconds=1))
    with pytest.raises(TransitionNotAllowed):
        lifecycle.approve(ticket, actor=agent)
    with pytest.raises(InvalidInput):
        lifecycle.reply(ticket, actor=merchant, body="   ")
    assert Notification.objects.count() == before


@pytest.mark.django_db(transaction=True)
def test_committed_transition_has_exactly_one_notification_per_recipient(
        require_postgres, make_ticket, merchant, agent):
    """On PostgreSQL with real commits (no test-wrapping transaction)."""
    ticket = lifecycle.reply(make_ticket(), actor=merchant, body="已发货")
    lifecycle.reject(ticket, actor=agent, reason_code="other", reason="请补充")
    # The merchant's own reply is not news to them.
    assert list(Notification.objects.filter(ticket=ticket).order_by("id")
                .values_list("recipient__username", "kind")) == [
        ("merchant_a", "new_ticket"), ("merchant_a", "rejected")]


@pytest.mark.django_db(transaction=True)
def test_rolled_back_transition_on_postgres_leaves_nothing(require_postgres,
                                                           make_ticket,
                                                           merchant, fail_after_notifying):
    with pytest.MonkeyPatch.context() as unpatched:
        unpatched.setattr(lifecycle, "notify", services.notify)
        ticket = make_ticket()
    with pytest.raises(Boom):
        lifecycle.reply(ticket, actor=merchant, body="已发货")
    assert list(Notification.objects.values_list("kind", flat=True)) == ["new_ticket"]
