"""The deadline sweep: time out overdue tickets, then remind merchants of tickets
about to time out. Periodic work in the healthchecks ``sendalerts`` style: do
batches until nothing is left or the time budget is spent, and say how much was
done, so the Celery task, the ``sweep_timeouts`` command and tests all call this.

The rules themselves (what "due" means, what a timeout writes) live in
``tickets.lifecycle``; this module only decides how much to do per run.
"""

from __future__ import annotations

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection
from django.utils import timezone

from . import lifecycle

logger = logging.getLogger(__name__)


# SQLite: how large the write-ahead log may grow during a sweep (pages of 4 KiB).
SQLITE_SWEEP_WAL_PAGES = 25_000
# SQLite: the page cache during a sweep, in KiB (SQLite's default is 2 MiB).
SQLITE_SWEEP_CACHE_KIB = 64 * 1024


@contextmanager
def sqlite_bulk_writes():
    """SQLite (the embedded run) only. A sweep batch changes a few thousand
    tickets spread over the table and every one of its indexes, tens of MiB of
    pages; the usual 2 MiB page cache spills dirty pages to the write-ahead log
    in the middle of the batch and reads them back for the next statement, so
    a page is written several times per batch (bench_sweep's database: the
    batches' UPDATEs took two to four times as long). For the sweep, a cache
    that holds a batch's pages.

    It also checkpoints the write-ahead log after any commit that leaves more
    than 1,000 pages in it, with a disk flush. A batch dirties more than that,
    so every batch would pay a checkpoint and index pages shared by consecutive
    batches would be written again and again (bench_sweep: about a third of the
    sweep's time). Let the log grow for the sweep, then checkpoint once.

    Neither setting touches durability: every batch still commits as before.
    Other databases, or inside a caller's transaction: nothing to do."""
    if connection.vendor != "sqlite" or connection.in_atomic_block:
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (usual,) = cursor.fetchone()
        cursor.execute("PRAGMA cache_size")
        (usual_cache,) = cursor.fetchone()
        cursor.execute(f"PRAGMA wal_autocheckpoint = {max(usual, SQLITE_SWEEP_WAL_PAGES)}")
        # Negative: a size in KiB. A larger configured cache is left as it is.
        if _cache_kib(usual_cache) < SQLITE_SWEEP_CACHE_KIB:
            cursor.execute(f"PRAGMA cache_size = -{SQLITE_SWEEP_CACHE_KIB}")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA cache_size = {int(usual_cache)}")
            cursor.execute(f"PRAGMA wal_autocheckpoint = {usual}")
            cursor.execute("PRAGMA wal_checkpoint(PASSIVE)")


def _cache_kib(cache_size: int) -> int:
    """SQLite's ``cache_size``: KiB when negative, else pages (of the page size)."""
    if cache_size < 0:
        return -cache_size
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        (page_size,) = cursor.fetchone()
    return cache_size * page_size // 1024


@dataclass(frozen=True)
class SweepResult:
    timed_out: int = 0
    warned: int = 0
    # False when the time budget ran out with work possibly left; the next run
    # (one beat interval later) carries on where this one stopped.
    finished: bool = True


def sweep_deadlines(*, now: datetime | None = None, batch_size: int | None = None,
                    time_budget: float | None = None,
                    due_soon_window: timedelta | None = None) -> SweepResult:
    """Run one sweep. ``now`` pins the clock for every batch (tests, benchmarks);
    otherwise each batch reads the clock afresh, so a long sweep stamps each
    ticket with the time it was actually closed."""
    batch_size = batch_size or settings.TICKET_SWEEP_BATCH_SIZE
    if time_budget is None:
        time_budget = settings.TICKET_SWEEP_TIME_BUDGET_SECONDS
    if due_soon_window is None:
        due_soon_window = timedelta(hours=settings.TICKET_DUE_SOON_HOURS)
    stop_at = time.monotonic() + time_budget

    def run(step) -> tuple[int, bool]:
        done = 0
        while time.monotonic() < stop_at:
            handled = step(now or timezone.now())
            done += handled
            # A short batch means nothing more is claimable right now: either
            # none is due, or another worker holds the rest under lock.
            if handled < batch_size:
                return done, True
        return done, False

    with sqlite_bulk_writes():
        timed_out, finished = run(lambda at: lifecycle.time_out_due(at, limit=batch_size))
        warned = 0
        # Reminders only after every due ticket is closed: a ticket past its
        # deadline is timed out, never warned.
        if finished:
            warned, finished = run(lambda at: lifecycle.warn_due_soon(
                at, limit=batch_size, window=due_soon_window))
    result = SweepResult(timed_out=timed_out, warned=warned, finished=finished)
    if timed_out or warned or not finished:
        logger.info("deadline sweep: %d timed out, %d reminded%s", timed_out, warned,
                    "" if finished else " (time budget spent, more left)")
    return result
