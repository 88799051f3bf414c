import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

from tickets.models import Order, Resolution, ServiceType, Shop, Ticket, TicketEvent
from tickets.roles import Role, role_of, shop_id_of

pytestmark = pytest.mark.django_db


def counts():
    return {model.__name__: model.objects.count()
            for model in (Shop, Order, ServiceType, Ticket, TicketEvent)}


def test_seed_demo_runs_twice_without_duplicating_anything():
    call_command("seed_demo")
    first = counts()
    call_command("seed_demo")
    assert counts() == first
    # The two demo shops, and four more with weeks of history for the scorecard.
    assert first["Shop"] == 6 and first["ServiceType"] == 8


def test_seed_demo_leaves_a_scorecard_with_weeks_of_history_and_timeouts():
    from scorecard import figures

    call_command("seed_demo")
    ranked = figures.ranking(days=30)
    assert len(ranked) == 6
    assert all(row.received >= 5 for row in ranked)
    assert sum(row.timed_out for row in ranked) >= 10
    assert ranked[0].on_time_rate < ranked[-1].on_time_rate
    assert figures.as_of() is not None


def test_seed_demo_creates_every_role_with_the_demo_password():
    call_command("seed_demo")
    expected = {"merchant1": Role.MERCHANT, "merchant2": Role.MERCHANT, "agent1": Role.AGENT,
                "ops1": Role.OPS, "admin": Role.ADMIN}
    for username, role in expected.items():
        # With login throttling, authentication is always about a request.
        request = RequestFactory().post("/accounts/login/")
        user = authenticate(request, username=username, password="demo-pass-2026")
        assert user is not None and role_of(user) == role


def test_seed_demo_has_tickets_in_every_state_and_resolution():
    call_command("seed_demo")
    assert set(Ticket.objects.values_list("status", flat=True)) == {
        "pending", "under_review", "closed"}
    assert set(Ticket.objects.exclude(resolution="").values_list("resolution", flat=True)) == \
        set(Resolution.values)
    assert Ticket.objects.filter(reject_count=1, status="pending").exists()


def test_bulk_seed_inserts_consistent_tickets_with_their_events():
    call_command("seed_demo", tickets=600, overdue=50)
    bulk = Ticket.objects.filter(number__regex=r"^\d{6}0")
    assert bulk.count() == 600
    from django.utils import timezone
    assert bulk.filter(status="pending", deadline__lte=timezone.now()).count() == 50
    # Every bulk ticket has its creation event, closed ones their closing event.
    assert TicketEvent.objects.filter(ticket__in=bulk, kind="created").count() == 600
    closed = bulk.filter(status="closed")
    assert TicketEvent.objects.filter(
        ticket__in=closed, to_status="closed").count() == closed.count()


def test_bulk_seeded_replies_are_signed_by_a_merchant_of_the_tickets_shop():
    """Not by nobody: an event without an actor reads as "the platform replied"."""
    call_command("seed_demo")
    call_command("seed_demo", tickets=300)
    replies = TicketEvent.objects.filter(kind="replied").select_related("actor", "ticket")
    assert replies.count() > 100
    for event in replies:
        assert event.actor is not None, event.ticket.number
        assert role_of(event.actor) == Role.MERCHANT
        assert shop_id_of(event.actor) == event.ticket.shop_id
    # The demo shops' replies are their own merchants'.
    demo_shop = Shop.objects.get(name="潮流服饰旗舰店")
    assert set(replies.filter(ticket__shop=demo_shop)
               .values_list("actor__username", flat=True)) == {"merchant1"}


def test_bulk_seeded_events_are_steps_the_lifecycle_could_take():
    call_command("seed_demo", tickets=300)
    platform = {"timed_out"}
    # An assignment is the platform's (the round-robin rule, at creation) or a
    # manager's: either is a step the desk could take.
    for event in TicketEvent.objects.exclude(kind="assigned"):
        assert (event.actor is None) == (event.kind in platform), event.kind
