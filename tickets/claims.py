"""Claims: which agent is reviewing a reply right now, so two agents never
decide the same one. The only writer of ``Ticket.claimed_by`` and
``claim_expires_at``.

A claim is not a status and not a row of the transition table: it lives for
``REVIEW_CLAIM_SECONDS`` after the agent last opened (or kept open) the reply,
and an expired claim is no claim at all, so nothing has to clean it up. An
agent holds at most one claim: opening another reply lets go of the previous
one. The lifecycle refuses approve and reject by anyone but a live claim's
holder, and a decision lets go of the claim (``tickets.lifecycle``).

Every change is one conditional UPDATE (compare-and-set) in a
``ticket_write`` transaction: two agents opening the same reply at the same
moment are serialised by the row lock the UPDATE takes, and the second one's
condition no longer holds once the first has committed: exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from .models import EventKind, Ticket, TicketEvent, TicketStatus
from .writes import ticket_write


def claim_period() -> timedelta:
    return timedelta(seconds=settings.REVIEW_CLAIM_SECONDS)


def free_for(user, now: datetime) -> Q:
    """Tickets ``user`` may claim at ``now``: nobody's, theirs, or an expired claim."""
    return (Q(claimed_by__isnull=True) | Q(claimed_by=user.pk)
            | Q(claim_expires_at__lte=now))


@dataclass(frozen=True)
class ClaimResult:
    won: bool
    # The agent holding a live claim when ``won`` is false (None: the ticket is
    # not under review any more, nobody can claim it).
    holder: object | None = None


def claim(ticket: Ticket, user, *, now: datetime | None = None) -> ClaimResult:
    """Claim (or renew the claim on) a ticket under review for ``user``, unless
    another agent holds a live claim. Lets go of the user's other claims."""
    now = now or timezone.now()
    with ticket_write():
        won = Ticket.objects.filter(
            free_for(user, now), pk=ticket.pk, status=TicketStatus.UNDER_REVIEW,
        ).update(claimed_by=user, claim_expires_at=now + claim_period())
        if won:
            _release_others(user, keep=ticket.pk)
    if won:
        ticket.claimed_by, ticket.claim_expires_at = user, now + claim_period()
        return ClaimResult(won=True)
    current = (Ticket.objects.select_related("claimed_by")
               .only("status", "claimed_by", "claim_expires_at").get(pk=ticket.pk))
    return ClaimResult(won=False, holder=current.claim_holder(now))


def claim_first(candidates, user, *, now: datetime | None = None) -> Ticket | None:
    """The first of ``candidates`` (tickets in queue order) that ``user`` could
    claim; another agent may take one between reading and claiming, so the
    next is tried."""
    for ticket in candidates:
        if claim(ticket, user, now=now).won:
            return ticket
    return None


def take_over(ticket: Ticket, user, *, now: datetime | None = None) -> bool:
    """Take the claim whoever holds it, and record it in the thread (the previous
    holder's name, if the claim was live). False if the ticket is no longer
    under review."""
    now = now or timezone.now()
    with ticket_write():
        locked = (Ticket.objects.select_for_update(of=("self",)).select_related("claimed_by")
                  .filter(pk=ticket.pk, status=TicketStatus.UNDER_REVIEW).first())
        if locked is None:
            return False
        previous = locked.claim_holder(now)
        Ticket.objects.filter(pk=locked.pk).update(claimed_by=user,
                                                   claim_expires_at=now + claim_period())
        _release_others(user, keep=locked.pk)
        if previous is None or previous.pk != user.pk:
            TicketEvent.objects.create(
                ticket=locked, actor=user, kind=EventKind.TAKEN_OVER,
                from_status=locked.status, to_status=locked.status,
                text=previous.get_username() if previous is not None else "", created_at=now)
    return True


def release(ticket: Ticket, user) -> None:
    """Let go of ``user``'s claim on the ticket (leaving it); others' claims stay."""
    with ticket_write():
        Ticket.objects.filter(pk=ticket.pk, claimed_by=user.pk).update(
            claimed_by=None, claim_expires_at=None)


def _release_others(user, *, keep: int) -> None:
    Ticket.objects.filter(claimed_by=user.pk).exclude(pk=keep).update(
        claimed_by=None, claim_expires_at=None)
