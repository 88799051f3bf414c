"""Webhook endpoints and their deliveries.

A ``Delivery`` is both the outbox row (written in the transaction of the
transition that caused it, ``webhooks.outbox``) and the delivery log the
settings page shows: one row per event and endpoint, with its attempts.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# The event types are named by the ticket lifecycle's transition table.
from tickets.transitions import WebhookEvent

__all__ = ["Delivery", "DeliveryStatus", "Endpoint", "WebhookEvent"]


class EndpointQuerySet(models.QuerySet):
    def owned_by(self, user) -> "EndpointQuerySet":
        """A person only ever sees and touches their own endpoints."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(owner_id=user.pk)

    def subscribed_to(self, event_type: str) -> "EndpointQuerySet":
        """Active endpoints whose ``events`` list names ``event_type``. Matched
        on the list's JSON text with the quotes, which works on SQLite too
        (JSON containment does not); no type's quoted name is part of another's."""
        return self.filter(is_active=True, events__icontains=f'"{event_type}"')


class Endpoint(models.Model):
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="webhook_endpoints", verbose_name=_("owner"))
    url = models.URLField(_("URL"), max_length=500)
    # A list of WebhookEvent values (ping is always sent when asked for).
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # The HMAC key of the signatures; shown to the owner once, when created.
    secret = models.CharField(_("secret"), max_length=80)
    is_active = models.BooleanField(_("active"), default=True)
    # Failed attempts in a row (test events not counted); a success resets it.
    consecutive_failures = models.PositiveIntegerField(_("consecutive failures"), default=0)
    disabled_at = models.DateTimeField(_("disabled at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", pgettext_lazy("webhook delivery", "Pending")
    DELIVERED = "delivered", pgettext_lazy("webhook delivery", "Delivered")
    # Gave up: out of attempts, the endpoint was disabled, or the ticket is no
    # longer the owner's to see.
    FAILED = "failed", pgettext_lazy("webhook delivery", "Failed")


class Delivery(models.Model):
    # No foreign-key constraint in the database (``db_constraint``), like
    # ``ticket`` below: PostgreSQL checks one with a SELECT ... FOR KEY SHARE of
    # the endpoint per inserted row, a third of the time of a sweep batch's
    # INSERT in bench_sweep --webhooks. Deleting an endpoint still deletes its
    # deliveries (Django cascades itself). A row written for an endpoint being
    # deleted at that very moment can outlive it: the retry pass never hands
    # such a row out and pruning deletes it (``webhooks.delivery``).
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries",
                                 db_index=False, db_constraint=False,
                                 verbose_name=_("endpoint"))
    # The event's id, sent as X-Desk-Delivery and the payload's "id": receivers
    # dedupe by it (delivery is at least once; a redelivery keeps the id). No
    # unique index: the sweep's inserts stay cheap, and ids are random.
    event_id = models.UUIDField(_("event id"))
    type = models.CharField(_("event"), max_length=30, choices=WebhookEvent.choices)
    # Null for test events. No foreign-key constraint in the database
    # (``db_constraint``): the sweep writes these rows by INSERT ... SELECT from
    # the tickets they name, and PostgreSQL would check each row with a SELECT
    # ... FOR KEY SHARE of its ticket (as for ``Notification.ticket``, where
    # bench_sweep measured the cost). Deleting a ticket still deletes its
    # deliveries (Django cascades itself); a delivery whose ticket is gone is
    # given up when it is sent (``payloads``: the owner cannot see it).
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, null=True,
                               blank=True, related_name="+", db_index=False,
                               db_constraint=False, verbose_name=_("ticket"))
    # The exact body sent, rendered at the first attempt and kept, so every
    # retry sends the same bytes under the same event id.
    payload = models.TextField(_("payload"), blank=True)
    status = models.CharField(_("status"), max_length=10, choices=DeliveryStatus.choices,
                              default=DeliveryStatus.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    # When the next attempt is due (pending only).
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # Set while a worker sends: until then no other worker takes the row; a
    # worker that died mid-send lets it lapse and the row is sent again.
    leased_until = models.DateTimeField(_("leased until"), null=True, blank=True)
    last_status_code = models.PositiveIntegerField(_("last status code"), null=True,
                                                   blank=True)
    last_error = models.CharField(_("last error"), max_length=300, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), null=True, blank=True)
    response_body = models.TextField(_("response body"), blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [
            # The retry pass: WHERE status = 'pending' AND next_attempt_at <= ?
            # ORDER BY next_attempt_at. Partial: delivered rows cost it nothing.
            models.Index(fields=["next_attempt_at"], name="webhook_delivery_due",
                         condition=Q(status="pending")),
            # The endpoint's log: WHERE endpoint_id = ? ORDER BY created_at DESC, id DESC.
            # Retention uses it too, an endpoint at a time (WHERE endpoint_id = ?
            # AND created_at < ?): an index of its own on created_at cost every
            # inserted row (a sweep batch writes thousands) for an hourly DELETE.
            models.Index(fields=["endpoint", "-created_at", "-id"], name="webhook_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
