"""The ticket lifecycle as data: one row per action, read by everything that has
to know a rule of it.

The lifecycle's guards (``tickets.lifecycle``), "may this user do X now"
(``tickets.roles.allowed_actions`` / ``may``), the detail page's buttons, the
timeout sweep's batch path and the bulk seeder all ask this table, so a rule is
stated once and cannot disagree with itself (django-oscar keeps its order
pipeline the same way)::

                create (agent)              reply (merchant, before the deadline)
     ─────────────────────▶  PENDING  ───────────────────────────────▶  UNDER_REVIEW
                             │   ▲                                       │      │
         deadline passed     │   └──────── reject (agent, reason) ───────┘      │ approve
         (the platform's     │                                                  ▼ (agent)
          timeout sweep)     └─────────────────────────────────────────▶  CLOSED
                          close as agreed (agent, from PENDING or UNDER_REVIEW)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from types import MappingProxyType

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import EventKind, Resolution, ServiceType, TicketStatus
from .roles import Role


def deadline_from(now: datetime, service_type: ServiceType) -> datetime:
    """Calendar hours from the moment the ticket (re-)enters pending."""
    return now + timedelta(hours=service_type.handling_hours)


class NotificationKind(models.TextChoices):
    """What a notification says happened. Lives beside the table that decides
    which transition sends which kind (notifications import it from here; the
    ticket domain never imports the notifications app for it)."""

    NEW_TICKET = "new_ticket", _("New ticket")
    STATUS_CHANGED = "status_changed", _("Status changed")
    REJECTED = "rejected", _("Reply rejected")
    # Not a transition: the sweep's reminder while a ticket stays pending.
    DUE_SOON = "due_soon", _("Due soon")
    TIMED_OUT = "timed_out", _("Timed out")
    # Not a transition either: a manager made someone the ticket's handler
    # (tickets.assignment).
    ASSIGNED = "assigned", _("Assigned to you")
    # Not about the ticket's state: the owner's webhook endpoint kept failing and
    # was switched off (webhooks.delivery); it hangs on the ticket whose
    # delivery failed last.
    WEBHOOK_DISABLED = "webhook_disabled", _("Webhook endpoint disabled")
    # About no ticket: last week's scorecard of the reader's shop
    # (scorecard.weekly); it links to the scorecard.
    WEEKLY_SCORECARD = "weekly_scorecard", _("Weekly scorecard")


class WebhookEvent(models.TextChoices):
    """The event type a webhook delivery carries (``X-Desk-Event``). Transitions
    name theirs in the table; the webhooks app imports the type from here, as
    the notifications do their kinds."""

    CREATED = "ticket.created", _("Ticket created")
    REPLIED = "ticket.replied", _("Ticket replied to")
    APPROVED = "ticket.approved", _("Reply approved")
    REJECTED = "ticket.rejected", _("Reply rejected")
    # Agreement reached (the close-as-agreed transition).
    CLOSED = "ticket.closed", _("Ticket closed as agreed")
    TIMED_OUT = "ticket.timed_out", _("Ticket timed out")
    # Not a transition: the sweep's reminder, sent with its notification.
    DUE_SOON = "ticket.due_soon", _("Ticket due soon")
    # Not about a ticket: the "send test event" button.
    PING = "ping", _("Test event")


class Action(StrEnum):
    CREATE = "create"
    REPLY = "reply"
    APPROVE = "approve"
    REJECT = "reject"
    CLOSE_AS_AGREED = "close_as_agreed"
    TIME_OUT = "time_out"


class DeadlineRule(StrEnum):
    ANY = "any"
    # Only while the deadline is ahead: the server's clock decides, whether or
    # not the sweep has run yet.
    BEFORE = "before"
    # Only once the deadline is reached (the same instant replies stop).
    PASSED = "passed"


@dataclass(frozen=True)
class Transition:
    action: Action
    # Empty for create: the ticket does not exist yet.
    sources: frozenset[TicketStatus]
    target: TicketStatus
    # Empty: no person may do it, only the platform itself (actor None).
    roles: frozenset[Role]
    event: EventKind
    notification: NotificationKind
    webhook: WebhookEvent
    # Entering pending starts a fresh handling deadline; leaving it clears it.
    sets_deadline: bool = False
    deadline_rule: DeadlineRule = DeadlineRule.ANY
    # The resolution a closing transition records; "" for the others.
    resolution: str = ""

    @property
    def by_platform(self) -> bool:
        return not self.roles

    def starts_from(self, status: str) -> bool:
        return status in self.sources

    def deadline_allows(self, deadline: datetime | None, now: datetime) -> bool:
        if self.deadline_rule == DeadlineRule.BEFORE:
            return deadline is not None and now < deadline
        if self.deadline_rule == DeadlineRule.PASSED:
            return deadline is not None and now >= deadline
        return True

    def startable(self, now: datetime) -> Q:
        """The tickets this transition may start from at ``now``, as a filter
        (the sweep claims with it). A single source is spelled as equality so
        the partial indexes on ``status = ...`` apply."""
        if len(self.sources) == 1:
            condition = Q(status=next(iter(self.sources)))
        else:
            condition = Q(status__in=sorted(self.sources))
        if self.deadline_rule == DeadlineRule.BEFORE:
            condition &= Q(deadline__gt=now)
        elif self.deadline_rule == DeadlineRule.PASSED:
            condition &= Q(deadline__lte=now)
        return condition

    def moved_fields(self, now: datetime, service_type: ServiceType | None = None) -> dict:
        """What the transition writes on the ticket row besides the per-action
        counters: its status and the fields the database constraints tie to it
        (a deadline exactly when pending, a resolution and close time exactly
        when closed), and ``updated_at``, which API clients sync by."""
        fields: dict = {"status": self.target, "updated_at": now}
        if self.sets_deadline:
            fields["deadline"] = deadline_from(now, service_type)
        elif self.target != TicketStatus.PENDING:
            fields["deadline"] = None
        if self.resolution:
            fields["resolution"] = self.resolution
            fields["closed_at"] = now
        return fields


_STAFF = frozenset({Role.AGENT, Role.ADMIN})
_MERCHANT = frozenset({Role.MERCHANT})
_PENDING = frozenset({TicketStatus.PENDING})
_UNDER_REVIEW = frozenset({TicketStatus.UNDER_REVIEW})
_OPEN = _PENDING | _UNDER_REVIEW

# Read-only: a rule is changed here, in the source, never at run time.
TRANSITIONS: Mapping[Action, Transition] = MappingProxyType({t.action: t for t in (
    Transition(Action.CREATE, frozenset(), TicketStatus.PENDING, _STAFF,
               EventKind.CREATED, NotificationKind.NEW_TICKET, WebhookEvent.CREATED,
               sets_deadline=True),
    Transition(Action.REPLY, _PENDING, TicketStatus.UNDER_REVIEW, _MERCHANT,
               EventKind.REPLIED, NotificationKind.STATUS_CHANGED, WebhookEvent.REPLIED,
               deadline_rule=DeadlineRule.BEFORE),
    Transition(Action.APPROVE, _UNDER_REVIEW, TicketStatus.CLOSED, _STAFF,
               EventKind.APPROVED, NotificationKind.STATUS_CHANGED, WebhookEvent.APPROVED,
               resolution=Resolution.APPROVED),
    Transition(Action.REJECT, _UNDER_REVIEW, TicketStatus.PENDING, _STAFF,
               EventKind.REJECTED, NotificationKind.REJECTED, WebhookEvent.REJECTED,
               sets_deadline=True),
    Transition(Action.CLOSE_AS_AGREED, _OPEN, TicketStatus.CLOSED, _STAFF,
               EventKind.AGREED, NotificationKind.STATUS_CHANGED, WebhookEvent.CLOSED,
               resolution=Resolution.AGREED),
    Transition(Action.TIME_OUT, _PENDING, TicketStatus.CLOSED, frozenset(),
               EventKind.TIMED_OUT, NotificationKind.TIMED_OUT, WebhookEvent.TIMED_OUT,
               deadline_rule=DeadlineRule.PASSED, resolution=Resolution.TIMED_OUT),
)})


def closing_with(resolution: str) -> Transition:
    """The transition that closes a ticket with ``resolution``."""
    return next(t for t in TRANSITIONS.values() if t.resolution == resolution)
