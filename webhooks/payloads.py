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


def _data_of_all(deliveries: list[Delivery]) -> dict[int, dict | None]:
    """The ``data`` of each delivery (None: the ticket is out of the owner's
    sight). A worker renders a chunk at a time: each owner is loaded once and
    their tickets read in one query, not a query pair per delivery."""
    now = timezone.now()
    data: dict[int, dict | None] = {}
    by_owner: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        if delivery.type == WebhookEvent.PING:
            endpoint = delivery.endpoint
            data[delivery.pk] = {"endpoint": {"id": endpoint.pk, "url": endpoint.url}}
        else:
            by_owner.setdefault(delivery.endpoint.owner_id, []).append(delivery)
    for owner_id, owned in by_owner.items():
        owner = roles.load_user(owner_id)
        tickets = {}
        if owner is not None and owner.is_active:
            tickets = Ticket.objects.visible_to(owner).in_bulk({d.ticket_id for d in owned})
        # One serializer for the owner's tickets: DRF copies a serializer's
        # fields each time one is made, which cost more than the rendering.
        represented = TicketWithoutThreadSerializer(
            list(tickets.values()), many=True,
            context={"request": _Owner(owner), "now": now}).data
        by_ticket = dict(zip(tickets, represented, strict=True))
        for delivery in owned:
            ticket = by_ticket.get(delivery.ticket_id)
            data[delivery.pk] = None if ticket is None else {"ticket": ticket}
    return data


def _body(delivery: Delivery, data: dict) -> str:
    body = {
        "id": str(delivery.event_id),
        "type": delivery.type,
        "created_at": serializers.DateTimeField().to_representation(delivery.created_at),
        "data": data,
    }
    return json.dumps(body, cls=DjangoJSONEncoder, ensure_ascii=False, separators=(",", ":"))


def render(delivery: Delivery) -> str:
    """The body to send, as text (UTF-8 on the wire). Raises NotVisible."""
    body = render_all([delivery])[delivery.pk]
    if body is None:
        raise NotVisible()
    return body


def render_all(deliveries: list[Delivery]) -> dict[int, str | None]:
    """The body of each delivery by its id; None where the ticket is no longer
    the endpoint owner's to see."""
    data = _data_of_all(deliveries)
    return {delivery.pk: None if data[delivery.pk] is None else _body(delivery, data[delivery.pk])
            for delivery in deliveries}
