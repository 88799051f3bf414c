"""What the benchmark commands share: timing one GET in-process, printing
the table of medians, and the one verdict line per target each command ends with."""

import statistics
import time
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.utils import timezone

from .models import Ticket, TicketStatus
from .pagination import Cursor


def time_get(client, url: str, repeat: int, *,
             timings: list | None = None) -> tuple[float, float, int]:
    """(median ms, p90 ms, queries of one request) for ``repeat`` GETs of ``url``
    after three warm-up requests, each of which must answer 200. ``timings``,
    when given, receives every measured request's ms."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    measured = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        measured.append((time.perf_counter() - started) * 1000)
    if timings is not None:
        timings.extend(measured)
    timings = sorted(measured)
    return statistics.median(timings), timings[int(len(timings) * 0.9) - 1], len(statements)


def write_timing_table(stdout, *, what: str, who: str, rows, target_ms: float) -> None:
    """``rows``: (label, user, median, p90, queries), as a Markdown table."""
    stdout.write(f"| {what} | {who} | median ms | p90 ms | queries |")
    stdout.write("|---|---|---:|---:|---:|")
    for label, user, median, p90, queries in rows:
        flag = "" if median <= target_ms else " **over target**"
        stdout.write(f"| {label} | {user} | {median:.1f}{flag} | {p90:.1f} | {queries} |")
    worst = max(rows, key=lambda row: row[2])
    stdout.write(f"\nSlowest median: {worst[0]} ({worst[1]}) {worst[2]:.1f} ms; "
                 f"target {target_ms} ms.\n")


@dataclass(frozen=True)
class Samples:
    """What both benchmarks filter and page by, for one user's scope."""

    closed: Ticket  # a real ticket and order number to look up
    month_ago: date
    # Cursors half-way through the scope: the page a user (or an ERP) reaches
    # after ~10,000 clicks on "next" (found once, with OFFSET).
    deep: str  # newest first, all tickets
    deep_pending: str  # soonest deadline first, pending tickets


def samples_for(user) -> Samples:
    scope = Ticket.objects.visible_to(user)
    middle = scope.order_by("-created_at", "-id")[scope.count() // 2]
    pending = scope.filter(status=TicketStatus.PENDING).order_by("deadline", "id")
    return Samples(
        closed=scope.filter(status=TicketStatus.CLOSED).order_by("-id").first(),
        month_ago=timezone.localdate() - timedelta(days=30),
        deep=Cursor.of(middle, "created_at").encode(),
        deep_pending=Cursor.of(pending[pending.count() // 2], "deadline").encode(),
    )


def write_target(stdout, name: str, measured: float, limit: float, *,
                 unit: str = "", at_least: bool = False) -> bool:
    """One ``target <name>: <measured> (limit <limit>) PASS|FAIL`` line, the last
    lines of every benchmark's output, so a reader (or a script) sees the verdict
    without reading the tables. ``at_least`` for targets that are floors (a
    throughput ratio) rather than ceilings. Returns whether it passed."""
    passed = measured >= limit if at_least else measured <= limit
    bound = "≥" if at_least else "≤"
    stdout.write(f"target {name}: {measured:.2f}{unit} (limit {bound} {limit:g}{unit}) "
                 f"{'PASS' if passed else 'FAIL'}")
    return passed
