"""Registering, changing and removing a user's webhook endpoints. The API and
the settings page both call these; the form (``webhooks.forms``) checks input."""

from __future__ import annotations

from django.db import transaction

from tickets import roles
from tickets.errors import NotPermitted
from tickets.roles import Role

from .models import Endpoint
from .signing import new_secret


def may_register(user) -> bool:
    """Anyone with a role in the desk: a merchant's endpoint gets their shop's
    events, an agent's, ops user's or administrator's every shop's."""
    return roles.role_of(user) != Role.NONE


def create_endpoint(owner, *, url: str, events: list[str], description: str = "") -> Endpoint:
    """The new endpoint; its ``secret`` is shown to the owner on this response only."""
    if not may_register(owner):
        raise NotPermitted()
    return Endpoint.objects.create(owner=owner, url=url, events=events,
                                   description=description, secret=new_secret())


def update_endpoint(endpoint: Endpoint, **changes) -> Endpoint:
    """Change url, events, description or is_active. Switching an endpoint on
    again starts its failure count afresh."""
    fields = []
    for name in ("url", "events", "description", "is_active"):
        if name in changes:
            setattr(endpoint, name, changes[name])
            fields.append(name)
    if changes.get("is_active"):
        endpoint.consecutive_failures, endpoint.disabled_at = 0, None
        fields += ["consecutive_failures", "disabled_at"]
    with transaction.atomic():
        endpoint.save(update_fields=fields)
    return endpoint


def delete_endpoint(endpoint: Endpoint) -> None:
    """Its delivery log goes with it."""
    endpoint.delete()
