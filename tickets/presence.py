""""Someone is replying": who of a shop has a ticket's reply form open.

Advisory only: it changes no status and blocks nobody (two merchants may still
both reply; the lifecycle takes the first and answers the second with the
409 it always gives). So it lives in the cache, not the database: an entry per
ticket holding each drafter's name and when they started, renewed while they
type, gone ``REPLY_PRESENCE_SECONDS`` after their last sign of life. Two
renewals racing may drop one of them for one beat; the next renews it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone


@dataclass(frozen=True)
class Drafter:
    user_id: int
    name: str
    started_at: datetime


def _key(ticket_id: int) -> str:
    return f"reply-presence:{ticket_id}"


def _live(entries: dict, now: datetime) -> dict:
    ttl = settings.REPLY_PRESENCE_SECONDS
    return {uid: e for uid, e in entries.items() if (now - e["seen"]).total_seconds() < ttl}


def mark_replying(ticket_id: int, user, *, now: datetime | None = None) -> None:
    """``user`` has the reply form open (or is typing): start or renew."""
    now = now or timezone.now()
    entries = _live(cache.get(_key(ticket_id)) or {}, now)
    mine = entries.get(user.pk)
    entries[user.pk] = {"name": user.get_full_name() or user.get_username(),
                        "started": mine["started"] if mine else now, "seen": now}
    cache.set(_key(ticket_id), entries, timeout=settings.REPLY_PRESENCE_SECONDS)


def stop_replying(ticket_id: int, user) -> None:
    """The reply went through: nobody needs to be told any more."""
    entries = cache.get(_key(ticket_id)) or {}
    if entries.pop(user.pk, None) is not None:
        cache.set(_key(ticket_id), entries, timeout=settings.REPLY_PRESENCE_SECONDS)


def others_replying(ticket_id: int, user, *, now: datetime | None = None) -> list[Drafter]:
    """Everybody but ``user`` drafting a reply now, who started first first."""
    now = now or timezone.now()
    entries = _live(cache.get(_key(ticket_id)) or {}, now)
    return sorted((Drafter(uid, e["name"], e["started"])
                   for uid, e in entries.items() if uid != user.pk),
                  key=lambda d: d.started_at)
