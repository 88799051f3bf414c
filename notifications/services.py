"""The one function the ticket lifecycle calls to tell people about a change.

Placeholder until the notifications issue fills it; the call site in
``tickets.lifecycle`` is final: it runs inside the transition's transaction.
"""


def notify(ticket, kind: str, *, event=None, now=None, params=None) -> list:
    """Create the notifications for ``kind`` about ``ticket``; returns them."""
    return []
