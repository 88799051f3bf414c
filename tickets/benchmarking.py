"""What the benchmark commands share: timing one GET in-process, printing
the table of medians, and the one verdict line per target each command ends with."""

import gc
import random
import statistics
import time
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import connection
from django.db.models import Max, Min
from django.utils import timezone

from .models import ServiceType, Ticket, TicketStatus
from .pagination import Cursor


class QueryCountVaries(AssertionError):
    """A figure's requests did not all cost the same number of queries: a page
    whose cost grows with depth or with the filter value is a bug to fix, not a
    figure to print."""


def time_get(client, urls: str | Sequence[str], repeat: int, *,
             periodic: Callable[[str], bool] = lambda sql: False,
             timings: list | None = None) -> tuple[float, float, int]:
    """(median ms, p90 ms, queries per request) for ``repeat`` GETs cycling
    through ``urls`` (different cursors and filter values, so the database
    answers a different question each time rather than the same page from its
    cache), after three warm-up requests. Every request must answer 200 and
    cost the same number of queries (``QueryCountVaries`` otherwise), not
    counting the statements ``periodic`` names: writes that happen once a
    minute whatever the page (an API token's "last used"). ``timings``, when
    given, receives every measured request's ms."""
    urls = [urls] if isinstance(urls, str) else list(urls)
    for url in urls[:3] * (3 // min(3, len(urls))):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    statements = []

    def count(execute, sql, params, many, context):
        if not periodic(sql):
            statements.append(sql)
        return execute(sql, params, many, context)

    measured, counts = [], {}
    with connection.execute_wrapper(count):
        for i in range(repeat):
            url = urls[i % len(urls)]
            statements.clear()
            started = time.perf_counter()
            response = client.get(url)
            measured.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            counts.setdefault(len(statements), url)
    if len(counts) > 1:
        raise QueryCountVaries(f"queries per request vary: {counts}")
    if timings is not None:
        timings.extend(measured)
    measured.sort()
    return (statistics.median(measured), measured[max(0, int(len(measured) * 0.9) - 1)],
            next(iter(counts)))


def same_query_counts(rows, families) -> list[str]:
    """Failures where figures of one family (e.g. a list's first and deep
    pages) cost different numbers of queries. ``rows``: (label, user, median,
    p90, queries); ``families``: lists of labels that must cost the same."""
    failures = []
    for family in families:
        for user in dict.fromkeys(row[1] for row in rows):
            counts = {row[0]: row[4] for row in rows if row[1] == user and row[0] in family}
            if len(set(counts.values())) > 1:
                failures.append(f"{user}: {counts}")
    return failures


def for_users(users, label: str, urls) -> list[tuple]:
    """The same figure for each of ``users``: ``FIGURES`` entries."""
    return [(label, username, urls) for username in users]


def measure(figures, repeat: int, client_for, **timing) -> list[tuple]:
    """(label, username, median, p90, queries) per figure of ``figures``
    ((label, username, urls): ``urls`` takes the user's ``Samples`` and returns
    the URLs to cycle through), in order; ``client_for(user)`` makes the
    signed-in client. A figure whose query count varies stops the run."""
    from django.contrib.auth.models import User
    from django.core.management.base import CommandError

    users, samples, clients, rows = {}, {}, {}, []
    with production_heap():
        for label, username, urls in figures:
            if username not in users:
                users[username] = User.objects.get(username=username)
                samples[username] = samples_for(users[username])
                clients[username] = client_for(users[username])
            try:
                rows.append((label, username,
                             *time_get(clients[username], urls(samples[username]), repeat,
                                       **timing)))
            except QueryCountVaries as error:
                raise CommandError(f"{label} ({username}): {error}") from None
    return rows


@contextmanager
def production_heap():
    """Measure with the heap as a production process has it: the web workers
    (gunicorn.conf.py) and the Celery pool processes (servicedesk.celery)
    freeze what loading the app allocated, out of the collector's sight.
    Given back afterwards: the tests run the benchmarks in their own process."""
    gc.collect()
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def seed_once(stdout, tickets: int) -> None:
    """The demo users, then ``tickets.demo.bulk_seed_tickets`` up to ``tickets``
    tickets when the database holds fewer (a large database is seeded once and
    reused by later runs)."""
    from . import demo

    demo.seed_cast_and_story()
    have = Ticket.objects.count()
    if have < tickets:
        stdout.write(f"Seeding {tickets - have:,} tickets (once)...")
        started = time.monotonic()
        demo.bulk_seed_tickets(tickets - have)
        stdout.write(f"  done in {time.monotonic() - started:.0f} s")
    else:
        # Planner statistics as after any bulk load (the seeding gathers
        # them itself): a database seeded elsewhere may not have them.
        demo.refresh_statistics()


def session_client(user):
    """A ``django.test.Client`` signed in as ``user`` (the pages' figures)."""
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    return client


def token_client(user):
    """A ``django.test.Client`` sending a new personal API token of ``user``
    (the API's figures)."""
    from django.test import Client

    from api.tokens import create_token

    _token, raw = create_token(user=user, name="bench")
    return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")


def unthrottled_api() -> None:
    """Lift the API's rate limit for this process: a benchmark's hundreds of
    requests a minute from one token are the point, not abuse."""
    from django.conf import settings
    from django.core.cache import cache

    settings.API_RATE_LIMIT = "100000000/min"
    cache.clear()


def token_last_used_write(sql: str) -> bool:
    """The token's "last used" UPDATE, at most once a minute whatever the page
    (``time_get``'s ``periodic``)."""
    return sql.startswith('UPDATE "api_apitoken"')


def setup_line(total: int, repeat: int) -> str:
    """What the figures were measured on: the database, its size, and where
    the cache and the sessions live (production: Redis, with ``REDIS_URL``;
    without it, process memory and the database's session table)."""
    from django.conf import settings

    cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
    sessions = settings.SESSION_ENGINE.rsplit(".", 1)[-1]
    return (f"{connection.vendor}, {total:,} tickets, cache {cache}, sessions {sessions}, "
            f"{repeat} requests per figure\n")


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
    """What both benchmarks filter and page by, for one user's scope: several
    of each, so a figure's requests ask different questions."""

    tickets: list[Ticket]  # real tickets (and their orders) to look up
    dates: list[date]  # created_after / created_before values, 7 to 120 days ago
    service_types: list[str]
    # Cursors from tickets spread over the scope: pages anywhere from the
    # first to the last, most of them thousands of "next" clicks deep.
    deep: list[str]  # newest first, all tickets
    deep_pending: list[str]  # soonest deadline first, pending tickets
    deep_assigned: list[str]  # the same, of the pending tickets the user handles
    under_review: list[Ticket]  # replies waiting for review (the workbench)

    @property
    def closed(self) -> Ticket:
        return self.tickets[0]

    @property
    def month_ago(self) -> date:
        return self.dates[1]


SAMPLES = 10


def spread(queryset, n: int = SAMPLES) -> list:
    """Up to ``n`` rows of ``queryset`` spread over its id range (seeded, so
    runs compare): one index probe each instead of ``ORDER BY random()`` or an
    OFFSET over a million rows."""
    bounds = queryset.order_by().aggregate(low=Min("id"), high=Max("id"))
    if bounds["low"] is None:
        return []
    rng = random.Random(bounds["low"] * 31 + bounds["high"])
    rows = {}
    for _ in range(n):
        at = rng.randint(bounds["low"], bounds["high"])
        row = queryset.filter(id__gte=at).order_by("id").first()
        if row is not None:
            rows[row.pk] = row
    return list(rows.values())


def samples_for(user) -> Samples:
    scope = Ticket.objects.visible_to(user)
    today = timezone.localdate()
    spread_all = spread(scope)
    return Samples(
        tickets=spread(scope.filter(status=TicketStatus.CLOSED)) or spread_all,
        dates=[today - timedelta(days=days) for days in (7, 30, 45, 60, 90, 120)],
        service_types=list(ServiceType.objects.filter(is_active=True)
                           .values_list("code", flat=True)),
        deep=[Cursor.of(row, "created_at").encode() for row in spread_all],
        deep_pending=[Cursor.of(row, "deadline").encode()
                      for row in spread(scope.filter(status=TicketStatus.PENDING))],
        deep_assigned=[Cursor.of(row, "deadline").encode() for row in
                       spread(scope.filter(status=TicketStatus.PENDING, handler_id=user.pk))],
        under_review=spread(scope.filter(status=TicketStatus.UNDER_REVIEW)),
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
