"""Who of a shop answers a ticket: its handler (处理人). The only writer of
``Ticket.handler``.

Assignment is not a status and not a row of the transition table: a handler
changes nobody's rights (any merchant of the shop may still reply; the
lifecycle decides), it says whose work the ticket is, and the notifications
about the ticket go to that person (``notifications.services``). What it shares
with a transition is the shape: one durable transaction that locks the rows
within the actor's scope (``visible_to``), writes, appends a ``TicketEvent``
(kind ``assigned``, the status unchanged) and notifies.

Who may: the shop's managers (``roles.is_manager``), only pending tickets.
Automatic assignment (``auto_handler``) runs inside ``lifecycle.create_ticket``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from notifications.services import notify_many

from . import roles
from .errors import InvalidInput, NotPermitted
from .models import AutoAssignRule, EventKind, ServiceType, Ticket, TicketEvent, TicketStatus
from .transitions import NotificationKind
from .writes import ticket_write

# A bulk assignment takes at most as many tickets as a batch reply.
MAX_BATCH = 100


def handler_named(actor, username: str) -> User | None:
    """The merchant of the actor's shop called ``username``; None for an empty
    name (unassign). Anyone else is a 400, whoever they are."""
    username = (username or "").strip()
    if not username:
        return None
    handler = roles.shop_merchants(roles.shop_id_of(actor)).filter(username=username).first()
    if handler is None:
        raise InvalidInput(_("%(name)s is not a merchant of your shop.") % {"name": username})
    return handler


def assign(numbers: Sequence[str], *, actor, handler: User | None,
           now: datetime | None = None) -> list[Ticket]:
    """Make ``handler`` (None: nobody) the handler of the actor's pending
    tickets among ``numbers``; returns the tickets that changed. Tickets that
    are not pending, already have that handler, or are not the actor's to see
    are left alone (the caller compares with what it asked for)."""
    if not roles.is_manager(actor):
        raise NotPermitted(_("Only a manager of the shop can assign tickets."))
    numbers = list(dict.fromkeys(numbers))
    if len(numbers) > MAX_BATCH:
        raise InvalidInput(_("Select at most %(limit)s tickets at once.") % {"limit": MAX_BATCH})
    handler_id = handler.pk if handler is not None else None
    now = now or timezone.now()
    scope = Ticket.objects.visible_to(actor).filter(number__in=numbers,
                                                    status=TicketStatus.PENDING)
    if handler_id is None:
        scope = scope.filter(handler__isnull=False)
    else:
        scope = scope.exclude(handler_id=handler_id)
    # A ticket write like any transition (it moves updated_at, which the API's
    # sync reads): bounded, so a sync's settle window covers it.
    with ticket_write():
        # PostgreSQL re-checks the WHERE on each row once its lock is granted,
        # so a ticket a reply moved out of pending meanwhile is not returned.
        tickets = list(scope.select_for_update(of=("self",)).order_by("pk"))
        if not tickets:
            return []
        Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(handler_id=handler_id,
                                                                   updated_at=now)
        _record(tickets, handler, actor=actor, now=now)
        if handler is not None:
            notify_many(tickets, NotificationKind.ASSIGNED, now=now, actor_id=actor.pk)
    for ticket in tickets:
        ticket.handler = handler
    return tickets


def _record(tickets: Sequence[Ticket], handler: User | None, *, actor, now: datetime) -> None:
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket=ticket, actor=actor, kind=EventKind.ASSIGNED,
                    from_status=ticket.status, to_status=ticket.status,
                    text=handler.get_username() if handler is not None else "",
                    created_at=now)
        for ticket in tickets
    )


def auto_handler(shop_id: int, service_type: ServiceType) -> User | None:
    """The next handler for a new ticket of this shop and service type by its
    round-robin rule, or None (no rule, or nobody on it is still a merchant of
    the shop). Must run inside the creating transaction: the rule's row is
    locked so two tickets created at once go to two people."""
    rule = (AutoAssignRule.objects.select_for_update()
            .filter(shop_id=shop_id, service_type=service_type).first())
    if rule is None:
        return None
    staff = list(roles.shop_merchants(shop_id).filter(pk__in=rule.staff.values("pk"))
                 .order_by("pk"))
    if not staff:
        return None
    handler = staff[rule.turns % len(staff)]
    AutoAssignRule.objects.filter(pk=rule.pk).update(turns=rule.turns + 1)
    return handler


def record_auto_assignment(ticket: Ticket, handler: User, *, now: datetime) -> None:
    """The thread says who the platform gave the new ticket to (no actor)."""
    _record([ticket], handler, actor=None, now=now)


def set_rule(*, actor, service_type: ServiceType, staff: Sequence[User]) -> AutoAssignRule | None:
    """The manager's round-robin rule for one service type; no staff removes it."""
    if not roles.is_manager(actor):
        raise NotPermitted(_("Only a manager of the shop can assign tickets."))
    shop_id = roles.shop_id_of(actor)
    allowed = set(roles.shop_merchants(shop_id).values_list("pk", flat=True))
    if any(user.pk not in allowed for user in staff):
        raise InvalidInput(_("Choose merchants of your shop."))
    with transaction.atomic():
        if not staff:
            AutoAssignRule.objects.filter(shop_id=shop_id, service_type=service_type).delete()
            return None
        rule, _created = AutoAssignRule.objects.get_or_create(shop_id=shop_id,
                                                              service_type=service_type)
        rule.staff.set(staff)
    return rule


def rules_of(shop_id: int) -> dict[int, list[int]]:
    """{service type id: [user ids]} of the shop's rules, for the settings page."""
    rules: dict[int, list[int]] = {}
    for type_id, user_id in (AutoAssignRule.staff.through.objects
                             .filter(autoassignrule__shop_id=shop_id)
                             .values_list("autoassignrule__service_type_id", "user_id")):
        rules.setdefault(type_id, []).append(user_id)
    return rules
