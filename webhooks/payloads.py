"""The body of a delivery: JSON ``{"id", "type", "created_at", "data"}``, with
the ticket as the API represents it to the endpoint's owner, minus the thread."""

from __future__ import annotations

import json
from urllib.parse import urljoin

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone
from rest_framework import serializers

from api.serializers import TicketDetailSerializer
from tickets import roles
from tickets.models import Ticket

from .models import Delivery, WebhookEvent


class TicketWithoutThreadSerializer(TicketDetailSerializer):
    # The thread (events, evidence links) is left out: a receiver that needs it
    # asks the API with the ticket's "url".
    events = None


class _Owner:
    """What the API's serializers read of a request: who is asking (the
    endpoint's owner, so a merchant sees the buyer masked and their own
    actions) and where the desk lives (SITE_URL; a delivery has no request)."""

    def __init__(self, user):
        self.user = user

    def build_absolute_uri(self, location: str) -> str:
        return urljoin(f"{settings.SITE_URL}/", location)


class NotVisible(Exception):
    """The owner may no longer see the ticket (e.g. they left the shop)."""


def _data(delivery: Delivery) -> dict:
    if delivery.type == WebhookEvent.PING:
        endpoint = delivery.endpoint
        return {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}
    owner = roles.load_user(delivery.endpoint.owner_id)
    ticket = (Ticket.objects.visible_to(owner).filter(pk=delivery.ticket_id).first()
              if owner is not None and owner.is_active else None)
    if ticket is None:
        raise NotVisible()
    context = {"request": _Owner(owner), "now": timezone.now()}
    return {"ticket": TicketWithoutThreadSerializer(ticket, context=context).data}


def render(delivery: Delivery) -> str:
    """The body to send, as text (UTF-8 on the wire). Raises NotVisible."""
    body = {
        "id": str(delivery.event_id),
        "type": delivery.type,
        "created_at": serializers.DateTimeField().to_representation(delivery.created_at),
        "data": _data(delivery),
    }
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))
