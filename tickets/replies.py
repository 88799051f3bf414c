"""Reply templates (快捷回复) and batch replies: the services the reply form,
the list's batch form, the settings page and the API share.

A template's placeholders are filled from the ticket's order by plain
replacement of the four known names, never with ``str.format``: the text is
the merchant's, and braces of their own (or ``{0.__class__}``) stay text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from . import lifecycle, roles
from .assignment import MAX_BATCH
from .errors import InvalidInput, NotPermitted, TicketError
from .models import ReplyTemplate, ServiceType, Ticket

# The placeholders and what fills them. The buyer is masked, as the merchant sees them.
PLACEHOLDERS = {
    "{order_number}": lambda order: order.number,
    "{tracking_number}": lambda order: order.tracking_number,
    "{product}": lambda order: order.product_title,
    "{buyer}": lambda order: order.buyer_masked,
}


def fill(body: str, ticket: Ticket) -> str:
    """``body`` with the placeholders replaced by the ticket's order values."""
    for placeholder, value in PLACEHOLDERS.items():
        if placeholder in body:
            body = body.replace(placeholder, value(ticket.order))
    return body


def _require_merchant(user) -> int:
    if not roles.is_merchant(user):
        raise NotPermitted(_("Only the shop's merchants manage reply templates."))
    return roles.shop_id_of(user)


def templates_for(user, service_type: ServiceType | None = None):
    """The templates a merchant may use: their shop's and the platform's, all of
    them or those fitting ``service_type`` (its own and the general ones);
    the shop's first."""
    shop_id = _require_merchant(user)
    templates = (ReplyTemplate.objects.filter(Q(shop_id=shop_id) | Q(shop__isnull=True))
                 .select_related("service_type"))
    if service_type is not None:
        templates = templates.filter(Q(service_type=service_type) | Q(service_type__isnull=True))
    # The shop's own before the platform defaults (no shop).
    return templates.order_by(F("shop_id").asc(nulls_last=True), "title", "id")


def create_template(user, *, title: str, body: str,
                    service_type: ServiceType | None = None) -> ReplyTemplate:
    shop_id = _require_merchant(user)
    title, body = (title or "").strip(), (body or "").strip()
    if not title or not body:
        raise InvalidInput(_("A template needs a title and a text."))
    return ReplyTemplate.objects.create(shop_id=shop_id, service_type=service_type,
                                        title=title, body=body)


def delete_template(user, template_id: int) -> None:
    """Only the shop's own: a platform default (or another shop's) is not found."""
    shop_id = _require_merchant(user)
    deleted, _rows = ReplyTemplate.objects.filter(pk=template_id, shop_id=shop_id).delete()
    if not deleted:
        raise ReplyTemplate.DoesNotExist


@dataclass(frozen=True)
class BatchOutcome:
    number: str
    ticket: Ticket | None
    error: str | None  # None: replied

    @property
    def done(self) -> bool:
        return self.error is None


NOT_FOUND = _("No such ticket in your shop.")


def batch_reply(numbers: Sequence[str], *, actor, body: str,
                now: datetime | None = None) -> list[BatchOutcome]:
    """One reply (placeholders filled per ticket) to each of ``numbers``, in
    the order given, each its own ``lifecycle.reply`` transaction: one refused
    ticket (deadline passed, already replied, evidence required, ...) does not
    stop the others, and its reason is the lifecycle's own message. What is
    shared is the lookup: one query finds every ticket with its order and
    service type. Never call this inside a transaction (each reply is durable)."""
    numbers = list(dict.fromkeys(numbers))
    if len(numbers) > MAX_BATCH:
        raise InvalidInput(_("Select at most %(limit)s tickets at once.") % {"limit": MAX_BATCH})
    found = {t.number: t for t in Ticket.objects.visible_to(actor).filter(number__in=numbers)}
    outcomes = []
    for number in numbers:
        ticket = found.get(number)
        if ticket is None:
            outcomes.append(BatchOutcome(number, None, str(NOT_FOUND)))
            continue
        try:
            lifecycle.reply(ticket, actor=actor, body=fill(body, ticket), now=now)
        except TicketError as error:
            outcomes.append(BatchOutcome(number, ticket, str(error.message)))
        else:
            outcomes.append(BatchOutcome(number, ticket, None))
    return outcomes
