"""The database refuses states the lifecycle would never write."""

from datetime import timedelta

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("changes", [
    {"status": "lost"},                                            # unknown status
    {"resolution": "approved"},                                    # resolution while pending
    {"deadline": None},                                            # pending without deadline
    {"status": "closed", "deadline": None},                        # closed without resolution
    {"status": "under_review"},                                    # review with a deadline
    {"status": "closed", "resolution": "approved", "deadline": None},  # closed w/o closed_at
])
def test_database_refuses_inconsistent_ticket_states(pending_ticket, changes):
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=pending_ticket.pk).update(**changes)


def test_database_accepts_a_consistent_closed_state(pending_ticket):
    Ticket.objects.filter(pk=pending_ticket.pk).update(
        status="closed", resolution="agreed", deadline=None, closed_at=timezone.now())


def test_ticket_numbers_are_unique(pending_ticket, make_ticket):
    other = make_ticket()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=other.pk).update(number=pending_ticket.number)


def test_deadline_is_handling_hours_in_calendar_time(make_ticket, service_type):
    now = timezone.now()
    ticket = make_ticket(now=now)
    assert ticket.deadline - now == timedelta(hours=service_type.handling_hours)
