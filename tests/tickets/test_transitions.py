"""The transition table, checked against an independent copy written out here,
and the places that must follow it: who may do what now (roles), what the
lifecycle accepts, and which buttons the detail page shows."""

import dataclasses
import datetime as dt

import pytest
import time_machine
from django.contrib.auth.models import Group

from tests.factories import MerchantFactory, UserFactory
from tickets import lifecycle, roles
from tickets.errors import TicketError
from tickets.models import Ticket, TicketEvent
from tickets.transitions import TRANSITIONS

pytestmark = pytest.mark.django_db

# action: (starts from, leaves in, who, event, notification, webhook event,
#          sets a fresh deadline, deadline rule, resolution)
EXPECTED_TABLE = {
    "create": (set(), "pending", {"agent", "admin"}, "created", "new_ticket",
               "ticket.created", True, "any", ""),
    "reply": ({"pending"}, "under_review", {"merchant"}, "replied", "status_changed",
              "ticket.replied", False, "before", ""),
    "approve": ({"under_review"}, "closed", {"agent", "admin"}, "approved", "status_changed",
                "ticket.approved", False, "any", "approved"),
    "reject": ({"under_review"}, "pending", {"agent", "admin"}, "rejected", "rejected",
               "ticket.rejected", True, "any", ""),
    "close_as_agreed": ({"pending", "under_review"}, "closed", {"agent", "admin"}, "agreed",
                        "status_changed", "ticket.closed", False, "any", "agreed"),
    # Nobody: the platform's sweep.
    "time_out": ({"pending"}, "closed", set(), "timed_out", "timed_out",
                 "ticket.timed_out", False, "passed", "timed_out"),
}


def test_the_table_is_exactly_the_expected_one():
    actual = {
        str(action): ({str(s) for s in t.sources}, str(t.target), {str(r) for r in t.roles},
                      str(t.event), str(t.notification), str(t.webhook), t.sets_deadline,
                      str(t.deadline_rule), str(t.resolution))
        for action, t in TRANSITIONS.items()
    }
    assert actual == EXPECTED_TABLE
    assert all(str(action) == str(t.action) for action, t in TRANSITIONS.items())


# --- who may do what, now ---------------------------------------------------------

SITUATIONS = ["pending", "overdue", "under_review", "closed"]

# What each kind of user may do in each situation, written out (not derived).
EXPECTED_ALLOWED = {
    "merchant": {"pending": {"reply"}, "overdue": set(), "under_review": set(),
                 "closed": set()},
    "outsider_as_merchant": {"pending": {"reply"}, "overdue": set(), "under_review": set(),
                             "closed": set()},
    "agent": {"pending": {"close_as_agreed"}, "overdue": {"close_as_agreed"},
              "under_review": {"approve", "reject", "close_as_agreed"}, "closed": set()},
    "agent_and_merchant": {"pending": {"close_as_agreed"}, "overdue": {"close_as_agreed"},
                           "under_review": {"approve", "reject", "close_as_agreed"},
                           "closed": set()},
    "admin": {"pending": {"close_as_agreed"}, "overdue": {"close_as_agreed"},
              "under_review": {"approve", "reject", "close_as_agreed"}, "closed": set()},
    "ops": {situation: set() for situation in SITUATIONS},
    "nobody": {situation: set() for situation in SITUATIONS},
}

USERS = [name for name in EXPECTED_ALLOWED if name != "outsider_as_merchant"]


@pytest.fixture
def make_user(request, shop_a):
    def make(name):
        if name in ("merchant", "agent", "ops"):
            return request.getfixturevalue(name)
        if name == "agent_and_merchant":
            user = MerchantFactory(username="agent_merchant", membership__shop=shop_a)
            user.groups.add(Group.objects.get_or_create(name="agent")[0])
            return user
        if name == "admin":
            return UserFactory(username="root", is_superuser=True, is_staff=True)
        return UserFactory(username="roleless")

    return make


@pytest.fixture
def ticket_in(make_ticket, merchant, agent):
    """ticket_in(situation) -> (ticket, now) with the ticket in that situation."""

    def make(situation):
        ticket = make_ticket()
        now = ticket.created_at + dt.timedelta(hours=1)
        if situation == "overdue":
            now = ticket.deadline
        elif situation == "under_review":
            lifecycle.reply(ticket, actor=merchant, body="已发货", now=now)
        elif situation == "closed":
            lifecycle.close_as_agreed(ticket, actor=agent, now=now)
        return Ticket.objects.get(pk=ticket.pk), now

    return make


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("who", USERS)
def test_allowed_actions_follow_the_table(make_user, ticket_in, who, situation):
    user = make_user(who)
    ticket, now = ticket_in(situation)
    assert {str(a) for a in roles.allowed_actions(user, ticket, now)} == \
        EXPECTED_ALLOWED[who][situation]


def test_a_merchant_of_the_same_role_elsewhere_is_only_kept_out_by_the_scope(
        outsider, ticket_in):
    """allowed_actions judges role, status and deadline; visibility is the scope's
    (Ticket.objects.visible_to), and the lifecycle refuses the outsider."""
    ticket, now = ticket_in("pending")
    assert {str(a) for a in roles.allowed_actions(outsider, ticket, now)} == \
        EXPECTED_ALLOWED["outsider_as_merchant"]["pending"]
    assert not Ticket.objects.visible_to(outsider).filter(pk=ticket.pk).exists()
    with pytest.raises(TicketError):
        lifecycle.reply(ticket, actor=outsider, body="not mine", now=now)


def test_creating_is_for_agents_and_the_admin_only(make_user):
    assert {who for who in USERS if roles.can_create_tickets(make_user(who))} == \
        {"agent", "agent_and_merchant", "admin"}


# --- the lifecycle accepts exactly what the table allows --------------------------

def attempt(action, ticket, user, now):
    """Run ``action`` as ``user``; True if it went through, False if refused
    (then the ticket and its events are untouched)."""
    before = Ticket.objects.values().get(pk=ticket.pk)
    events = TicketEvent.objects.filter(ticket=ticket).count()
    calls = {
        "reply": lambda: lifecycle.reply(ticket.pk, actor=user, body="已处理", now=now),
        "approve": lambda: lifecycle.approve(ticket.pk, actor=user, now=now),
        "reject": lambda: lifecycle.reject(ticket.pk, actor=user, reason_code="other",
                                           reason="不够详细", now=now),
        "close_as_agreed": lambda: lifecycle.close_as_agreed(ticket.pk, actor=user, now=now),
    }
    try:
        calls[action]()
    except TicketError:
        assert Ticket.objects.values().get(pk=ticket.pk) == before
        assert TicketEvent.objects.filter(ticket=ticket).count() == events
        return False
    return True


@pytest.mark.parametrize("action", ["reply", "approve", "reject", "close_as_agreed"])
@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("who", USERS)
def test_the_lifecycle_accepts_exactly_what_the_table_allows(make_user, ticket_in, who,
                                                             situation, action):
    user = make_user(who)
    ticket, now = ticket_in(situation)
    assert attempt(action, ticket, user, now) == (action in EXPECTED_ALLOWED[who][situation])


@pytest.mark.parametrize("situation, accepted", [
    ("pending", False), ("overdue", True), ("under_review", False), ("closed", False)])
def test_only_the_platform_times_out_and_only_an_overdue_ticket(ticket_in, situation,
                                                                accepted):
    ticket, now = ticket_in(situation)
    try:
        lifecycle.time_out(ticket.pk, now=now)
    except TicketError:
        assert not accepted
    else:
        assert accepted


# --- the detail page shows exactly those buttons -----------------------------------

BUTTON_URL = {"reply": "/reply/", "approve": "/approve/", "reject": "/reject/",
              "close_as_agreed": "/close/"}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("who", [who for who in USERS if who != "nobody"])
def test_the_detail_page_shows_exactly_the_allowed_actions(client, make_user, ticket_in,
                                                           who, situation):
    ticket, now = ticket_in(situation)
    client.force_login(make_user(who))
    with time_machine.travel(now, tick=False):
        html = client.get(ticket.get_absolute_url()).content.decode()
    shown = {action for action, path in BUTTON_URL.items()
             if f'action="/tickets/{ticket.number}{path}"' in html}
    assert shown == EXPECTED_ALLOWED[who][situation]


def test_the_table_cannot_be_changed_at_run_time():
    with pytest.raises(TypeError):
        TRANSITIONS["appeal"] = TRANSITIONS["reply"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        TRANSITIONS["reply"].roles = frozenset({"ops"})
