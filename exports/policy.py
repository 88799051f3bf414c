"""The two limits on export requests: the row cap and the per-user cooldown.
Both are decided before a job exists, so a refused request leaves nothing
behind, not even a cooldown."""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q

from .errors import ExportCooldownActive, ExportTooLarge
from .models import ExportCooldown


def check_cap(count: int) -> None:
    """Refuse, with the numbers, a filter that matches more rows than one export may
    hold. Exactly ``EXPORT_MAX_ROWS`` rows is allowed."""
    cap = settings.EXPORT_MAX_ROWS
    if count > cap:
        raise ExportTooLarge(count=count, cap=cap)


def claim_cooldown(user, *, now: datetime) -> None:
    """Take the user's export slot or raise ``ExportCooldownActive``.

    Call inside the transaction that creates the job, so the slot and the job
    commit (or roll back) together. The claim is a conditional UPDATE, not a
    check-then-insert: on PostgreSQL racing requests queue on the row lock and
    re-check the condition against the committed row, so exactly one wins; SQLite
    serialises writers, with the same outcome.
    """
    cooldown = timedelta(seconds=settings.EXPORT_COOLDOWN_SECONDS)
    # Make sure the row exists (INSERT ... ON CONFLICT DO NOTHING: safe under races).
    ExportCooldown.objects.bulk_create([ExportCooldown(user_id=user.pk)], ignore_conflicts=True)
    claimed = (
        ExportCooldown.objects.filter(user_id=user.pk)
        .filter(Q(last_accepted_at__isnull=True) | Q(last_accepted_at__lte=now - cooldown))
        .update(last_accepted_at=now)
    )
    if claimed:
        return
    last = ExportCooldown.objects.values_list("last_accepted_at", flat=True).get(user_id=user.pk)
    # ``last`` is None only if the winner's enqueue failed and it gave the slot back
    # in the meantime; this request still lost the race, so ask for a short wait.
    remaining = (last + cooldown - now).total_seconds() if last else 1
    raise ExportCooldownActive(remaining_seconds=remaining)


def release_cooldown(user_id: int, *, accepted_at: datetime) -> None:
    """Give the slot back for a job that failed (it could not be queued, its run
    failed, or the reaper gave it up): a job that produced nothing does not hold
    the cooldown. Only the claim made at ``accepted_at`` is undone, never a later one."""
    ExportCooldown.objects.filter(user_id=user_id, last_accepted_at=accepted_at).update(
        last_accepted_at=None
    )
