"""The one entry point the ticket lifecycle uses to tell people about a change.

Both functions run inside the caller's transaction, so a rolled-back transition
leaves no notification behind. Placeholder until the notifications issue fills
it; the signatures and call sites are final.
"""

from collections.abc import Sequence


def notify_many(tickets: Sequence, kind: str, *, now, events: Sequence | None = None) -> int:
    """Create one notification of ``kind`` per recipient for each ticket (the
    merchants of the ticket's shop), in bulk. ``events`` (same length as
    ``tickets``, or None) are the TicketEvents that caused them, for
    parameters such as a rejection reason. Returns how many were created."""
    return 0


def notify(ticket, kind: str, *, now, event=None) -> int:
    return notify_many([ticket], kind, now=now, events=[event] if event is not None else None)
