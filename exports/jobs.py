"""The one writer of ``ExportJob.status``: every change of a job's state, its
heartbeat and its attempt counter goes through a function here.

    queued ──start──▶ running ──finish──▶ done ──expire──▶ expired
      │  ▲              │  │
      │  └──requeue─────┘  └──fail──▶ failed
      └──requeue (to queued again) / fail

Each change is a compare-and-set: one ``UPDATE … WHERE pk = ? AND status = ?``
(and, for a run, ``AND attempts = ?``) whose row count says whether this caller
won. A worker that lost its job meanwhile (the reaper re-queued or failed it, a
newer attempt took it) matches no row and cannot write over what happened since.

``attempts`` counts the times the job was handed to the workers: 1 when the
request is accepted, +1 when the reaper re-enqueues it. A run is identified by
(status ``running``, that number), so the run of attempt 1 cannot finish a job
that attempt 2 is building.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from . import policy
from .models import ExportJob, ExportStatus

QUEUED, RUNNING, DONE, FAILED, EXPIRED = (
    ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.DONE, ExportStatus.FAILED,
    ExportStatus.EXPIRED,
)

# from → the states it may move to. Finished states never run again: a done job
# only expires, a failed or expired one is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    QUEUED: frozenset({RUNNING, QUEUED, FAILED}),
    RUNNING: frozenset({QUEUED, DONE, FAILED}),
    DONE: frozenset({EXPIRED}),
    FAILED: frozenset(),
    EXPIRED: frozenset(),
}

# Handed to the workers at most this often: on request, and once more by the reaper.
MAX_ATTEMPTS = 2


class IllegalTransition(Exception):
    """A caller asked for a move the table does not have: a programming error."""


@dataclass(frozen=True)
class Run:
    """The claim of one task run on its job: what every later write is conditioned on."""

    job_id: int
    attempt: int


def _move(job_id: int, *, sources: Iterable[str], target: str, only_if: dict | None = None,
          **fields) -> bool:
    sources = list(sources)
    for source in sources:
        if target not in TRANSITIONS[source]:
            raise IllegalTransition(f"export job: {source} → {target}")
    updated = (ExportJob.objects.filter(pk=job_id, status__in=sources, **(only_if or {}))
               .update(status=target, **fields))
    return bool(updated)


def create(*, now: datetime, **fields) -> ExportJob:
    """A new job, queued and about to be handed to the workers for the first time."""
    return ExportJob.objects.create(status=QUEUED, attempts=1, created_at=now,
                                    heartbeat_at=now, **fields)


def start(job_id: int, *, now: datetime | None = None) -> Run | None:
    """Take a queued job for this run, or None if it is not queued (finished,
    failed, or already taken by another message for the same attempt). A job
    left ``running`` by a dead worker is not taken here: the reaper decides."""
    now = now or timezone.now()
    attempt = (ExportJob.objects.filter(pk=job_id, status=QUEUED)
               .values_list("attempts", flat=True).first())
    if attempt is None:
        return None
    taken = _move(job_id, sources=[QUEUED], target=RUNNING, only_if={"attempts": attempt},
                  started_at=now, heartbeat_at=now, finished_at=None, rows_written=0,
                  error="", file="")
    return Run(job_id, attempt) if taken else None


def beat(run: Run, *, rows_written: int, now: datetime | None = None) -> bool:
    """Record progress and prove the run is alive. False: the job is no longer
    this run's, so the caller should stop working on it."""
    now = now or timezone.now()
    return bool(ExportJob.objects.filter(pk=run.job_id, status=RUNNING, attempts=run.attempt)
                .update(rows_written=rows_written, heartbeat_at=now))


def finish(run: Run, *, file_name: str, rows_written: int,
           now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return _move(run.job_id, sources=[RUNNING], target=DONE, only_if={"attempts": run.attempt},
                 file=file_name, rows_written=rows_written, heartbeat_at=now, finished_at=now)


def fail_run(run: Run, *, message: str, now: datetime | None = None) -> bool:
    """The run's own failure (bad data, cap exceeded, an error while writing)."""
    return _fail(run.job_id, sources=[RUNNING], only_if={"attempts": run.attempt},
                 message=message, now=now)


def fail_unsent(job_id: int, *, message: str, now: datetime | None = None) -> bool:
    """A queued job whose message never reached the broker."""
    return _fail(job_id, sources=[QUEUED], message=message, now=now)


def fail_stale(job_id: int, *, status: str, attempt: int, stale_before: datetime,
               message: str, now: datetime | None = None) -> bool:
    """The reaper gives up a job whose attempts are used up. Still stale at the
    moment of the write, or a heartbeat that arrived meanwhile wins."""
    return _fail(job_id, sources=[status], message=message, now=now,
                 only_if={"attempts": attempt, "heartbeat_at__lt": stale_before})


def _fail(job_id: int, *, sources: list[str], message: str, now: datetime | None,
          only_if: dict | None = None) -> bool:
    now = now or timezone.now()
    with transaction.atomic():
        failed = _move(job_id, sources=sources, target=FAILED, only_if=only_if, error=message,
                       file="", heartbeat_at=now, finished_at=now)
        if failed:
            # A job that produced nothing does not cost its requester the cooldown.
            # Only the claim this request made is given back, never a later one.
            requester_id, accepted_at = ExportJob.objects.values_list(
                "requester_id", "created_at").get(pk=job_id)
            policy.release_cooldown(requester_id, accepted_at=accepted_at)
    return failed


def requeue(job_id: int, *, status: str, attempt: int, stale_before: datetime,
            now: datetime | None = None) -> bool:
    """The reaper hands a stale job to the workers again. The new run starts over
    (counters reset; ``start`` clears the storage folder), and the old run, if it
    is still alive somewhere, loses every later write."""
    now = now or timezone.now()
    return _move(job_id, sources=[status], target=QUEUED,
                 only_if={"attempts": attempt, "heartbeat_at__lt": stale_before},
                 attempts=F("attempts") + 1, heartbeat_at=now, started_at=None,
                 rows_written=0)


def expire(job_id: int) -> bool:
    """Retention: the file is about to be deleted."""
    return _move(job_id, sources=[DONE], target=EXPIRED, file="")
