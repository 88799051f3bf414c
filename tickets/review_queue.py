"""The size of the review queue for the agents' header badge, counted once per
change of the queue rather than once per poll.

Every agent's page polls the badge every ``NOTIFICATION_POLL_SECONDS``, and
agents all see every shop, so they all see the same queue. Its capped count
(up to ``COUNT_CAP + 1`` index entries) is kept in the shared cache under a
version number; a transition into or out of review bumps the version once it
has committed, so the next poll counts again and the badge is never behind a
committed decision. Bumping after the commit matters: a poll between a bump
and the commit would count the old queue and keep it under the new version.

The count also expires after ``COUNT_SECONDS``: a safety net for changes no
transition reports (an admin editing a status by hand, a lost cache write).
"""

from django.core.cache import cache
from django.db import transaction

from . import selectors
from .models import Ticket, TicketStatus

VERSION_KEY = "review-queue:version"
# (version, cap, count): the count is only meaningful against its version and
# cap. One key beside the version, so a poll reads both in one round trip.
COUNT_KEY = "review-queue:count"
COUNT_SECONDS = 300


def size(user) -> int:
    """The capped number of tickets under review in ``user``'s scope (an agent's:
    every shop). The caller decides who sees it."""
    known = cache.get_many([VERSION_KEY, COUNT_KEY])
    current = (known.get(VERSION_KEY, 0), selectors.COUNT_CAP)
    counted = known.get(COUNT_KEY)
    if counted is not None and tuple(counted[:2]) == current:
        return counted[2]
    count = selectors.capped_count(
        Ticket.objects.visible_to(user).filter(status=TicketStatus.UNDER_REVIEW))
    # A poll that read an older version may write after this one: the next
    # poll then sees the version differ and counts again, never the old count.
    cache.set(COUNT_KEY, (*current, count), COUNT_SECONDS)
    return count


def changed() -> None:
    """The queue changes when the current transaction commits (or now, outside
    one): count it again from then on."""
    transaction.on_commit(bump, robust=True)


def bump() -> None:
    try:
        cache.incr(VERSION_KEY)
    except ValueError:  # no version yet, or the cache evicted it
        cache.add(VERSION_KEY, 1, timeout=None)
