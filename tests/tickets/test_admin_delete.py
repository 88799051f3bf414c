"""Tickets are the audit record: the admin never deletes one (and deleting one would
scan every notification, which has no index on ticket_id)."""

import pytest
from django.contrib import admin
from django.test import RequestFactory

from tests.factories import UserFactory
from tickets.models import Ticket


@pytest.mark.django_db
def test_the_admin_cannot_delete_a_ticket_even_for_a_superuser(pending_ticket):
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(is_superuser=True, is_staff=True)
    ticket_admin = admin.site._registry[Ticket]
    assert not ticket_admin.has_delete_permission(request)
    assert not ticket_admin.has_delete_permission(request, pending_ticket)
    assert "delete_selected" not in ticket_admin.get_actions(request)
