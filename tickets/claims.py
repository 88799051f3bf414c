"""Claims: which agent is reviewing a reply right now, so two agents never
decide the same one. The only writer of ``Ticket.claimed_by`` and
``claim_expires_at``.

A claim is not a status and not a row of the transition table: it lives for
``REVIEW_CLAIM_SECONDS`` after the agent last opened (or kept open) the reply,
and an expired claim is no claim at all, so nothing has to clean it up. An
agent holds at most one claim: opening another reply lets go of the previous
one. The lifecycle refuses approve and reject by anyone but a live claim's
holder, and a decision lets go of the claim (``tickets.lifecycle``).

Every change is a conditional UPDATE (compare-and-set): two agents opening
the same reply at the same moment are serialised by the row lock the UPDATE
takes, and the second one's condition no longer holds once the first has
committed: exactly one wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
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


def _claim_statement() -> str:
    """One UPDATE that claims the ticket (if it is free for the user) and lets
    go of the user's other claims, returning the ids it claimed or let go of.
    It runs on every reply an agent opens (the workbench after each decision):
    one statement, where a transaction of two UPDATEs was five round trips
    (BEGIN, the write bound, the two, COMMIT). A single statement needs no
    bound of its own: the lock it may wait for is held by a ``ticket_write``,
    which is bounded, and a claim does not stamp ``updated_at``. (UPDATE …
    RETURNING: PostgreSQL, and SQLite from 3.35.)"""
    quote = connection.ops.quote_name
    table = quote(Ticket._meta.db_table)
    holder, expires = quote("claimed_by_id"), quote("claim_expires_at")
    return (
        f"UPDATE {table} SET "
        f"{holder} = CASE WHEN id = %(pk)s THEN %(user)s END, "
        f"{expires} = CASE WHEN id = %(pk)s THEN %(expires)s END "
        f"WHERE (id = %(pk)s AND status = %(under_review)s AND ({holder} IS NULL "
        f"OR {holder} = %(user)s OR {expires} <= %(now)s)) "
        f"OR ({holder} = %(user)s AND id <> %(pk)s) "
        f"RETURNING id"
    )


def claim(ticket: Ticket, user, *, now: datetime | None = None) -> ClaimResult:
    """Claim (or renew the claim on) a ticket under review for ``user``, unless
    another agent holds a live claim. Lets go of the user's other claims
    either way: opening a reply is leaving the one before."""
    now = now or timezone.now()
    expires = now + claim_period()
    moment = Ticket._meta.get_field("claim_expires_at")
    with connection.cursor() as cursor:
        cursor.execute(_claim_statement(), {
            "pk": ticket.pk, "user": user.pk, "under_review": TicketStatus.UNDER_REVIEW,
            "now": moment.get_db_prep_value(now, connection),
            "expires": moment.get_db_prep_value(expires, connection),
        })
        won = any(row[0] == ticket.pk for row in cursor.fetchall())
    if won:
        ticket.claimed_by, ticket.claim_expires_at = user, expires
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
