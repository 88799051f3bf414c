"""The notifications and webhook deliveries a sweep batch writes hang on their
ticket and recipient without a foreign-key constraint in the database (the
per-row check was a large part of the sweep's cost). Deleting a user or a
ticket through the ORM must still take their rows with it, as the constraint's
on_delete did, on every database. The same for a webhook endpoint's
deliveries."""

import pytest
from django.db import connection

from notifications.models import Notification, NotificationKind
from tickets import lifecycle
from tickets.models import Ticket, TicketEvent
from tickets.transitions import WebhookEvent
from webhooks import endpoints
from webhooks.models import Delivery, Endpoint

pytestmark = pytest.mark.django_db


@pytest.fixture
def swept(pending_ticket, merchant, ops):
    """A ticket the sweep timed out, with a timeout notification for the
    shop's merchant and a delivery to two endpoints (the merchant's, ops')."""
    for owner in (merchant, ops):
        endpoints.create_endpoint(owner, url=f"https://erp.example.com/{owner.username}",
                                  events=[WebhookEvent.TIMED_OUT.value])
    assert lifecycle.time_out_due(pending_ticket.deadline, limit=10) == 1
    timeouts = Notification.objects.filter(ticket=pending_ticket,
                                           kind=NotificationKind.TIMED_OUT)
    assert list(timeouts.values_list("recipient_id", flat=True)) == [merchant.pk]
    assert Delivery.objects.filter(ticket=pending_ticket).count() == 2
    return pending_ticket


def test_deleting_a_user_deletes_their_notifications_and_endpoints_deliveries(
        swept, merchant, ops):
    kept_deliveries = set(Delivery.objects.filter(endpoint__owner=ops).values_list("pk",
                                                                                  flat=True))
    assert Notification.objects.filter(recipient=merchant).exists()
    merchant.delete()
    assert not Notification.objects.filter(recipient_id=merchant.pk).exists()
    assert set(Delivery.objects.values_list("pk", flat=True)) == kept_deliveries
    # The ticket and its thread are untouched.
    assert TicketEvent.objects.filter(ticket=swept).count() == 2


def test_deleting_a_ticket_deletes_its_notifications_and_deliveries(swept, make_ticket):
    other = make_ticket()
    others_notifications = set(Notification.objects.filter(ticket=other)
                               .values_list("pk", flat=True))
    assert others_notifications
    Ticket.objects.filter(pk=swept.pk).delete()
    assert not Notification.objects.filter(ticket_id=swept.pk).exists()
    assert not Delivery.objects.filter(ticket_id=swept.pk).exists()
    assert set(Notification.objects.values_list("pk", flat=True)) == others_notifications


def _foreign_keys(model) -> set[str]:
    with connection.cursor() as cursor:
        constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
    return {column for constraint in constraints.values() if constraint["foreign_key"]
            for column in constraint["columns"]}


def test_only_the_audit_thread_keeps_its_database_checked_ticket_reference():
    assert "ticket_id" in _foreign_keys(TicketEvent)
    assert not {"ticket_id", "recipient_id"} & _foreign_keys(Notification)
    # The endpoint too is unchecked (tests/webhooks/test_prune.py: what happens
    # to rows an endpoint deleted mid-write leaves behind).
    assert not {"ticket_id", "endpoint_id"} & _foreign_keys(Delivery)


def test_deleting_an_endpoint_deletes_its_deliveries(swept, merchant, ops):
    mine = Endpoint.objects.get(owner=merchant)
    kept = set(Delivery.objects.filter(endpoint__owner=ops).values_list("pk", flat=True))
    assert kept and Delivery.objects.filter(endpoint=mine).exists()
    endpoints.delete_endpoint(mine)
    assert not Delivery.objects.filter(endpoint_id=mine.pk).exists()
    assert set(Delivery.objects.values_list("pk", flat=True)) == kept
