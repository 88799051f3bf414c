"""The scorecard at scale (the targets, at 1,000,000 tickets on PostgreSQL:
every figure <= 50 ms median server time; a refresh over one day of 100,000
transitions <= 10 s).

Seeds the database once like ``bench_pages`` (``tickets.demo.bulk_seed_tickets``,
skipped when it already holds that many tickets), brings the rollups up to
date (a full rebuild when they were never refreshed), then:

- requests, in-process through ``django.test.Client``, the scorecard page of
  merchant1 (the largest shop, about 30 % of all tickets) and its drill-down,
  the ops ranking (ops1), and the scorecard API for the same two users, all
  over 90 days; every request of a figure must cost the same queries;
- stamps ``--transitions`` transition events today on existing tickets (one
  INSERT ... SELECT: replies, approvals, rejections and timeouts, the events
  the rollups count; the tickets themselves are left as they are, the refresh
  reads only events) and times what the refresh task does: the refresh that
  brings the rollups up to date (it must count every one of them) and the
  new rollups' durations (``scorecard.figures.warm``).

Use a database of its own (``make bench-scorecard`` does): the transitions
stamped today would distort the demo's scorecard.
"""

import datetime as dt
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Sum
from django.utils import timezone

from scorecard import figures
from scorecard.models import ShopDay
from scorecard.refresh import last_refreshed_at, refresh
from scorecard.upkeep import bring_up_to_date
from tickets import demo
from tickets.benchmarking import (
    measure,
    seed_once,
    session_client,
    token_client,
    token_last_used_write,
    unthrottled_api,
    write_target,
    write_timing_table,
)
from tickets.models import EventKind, Ticket, TicketEvent, TicketStatus

TARGET_MS = 50
REFRESH_TARGET_SECONDS = 10
DAYS = 90
API = "/api/v1/scorecard/"

# The transitions stamped today, by ``ticket id % 10``: half replies, then
# approvals, a rejection and a timeout (kind, from status, to status).
TRANSITION_MIX = {
    **dict.fromkeys(range(5), (EventKind.REPLIED, TicketStatus.PENDING,
                               TicketStatus.UNDER_REVIEW)),
    **dict.fromkeys(range(5, 8), (EventKind.APPROVED, TicketStatus.UNDER_REVIEW,
                                  TicketStatus.CLOSED)),
    8: (EventKind.REJECTED, TicketStatus.UNDER_REVIEW, TicketStatus.PENDING),
    9: (EventKind.TIMED_OUT, TicketStatus.PENDING, TicketStatus.CLOSED),
}
# Each figure's target line (every one must be within TARGET_MS).
TARGET_NAMES = {
    "scorecard page": "scorecard_page_median",
    "drill-down page": "scorecard_drilldown_page_median",
    "ranking page": "scorecard_ranking_page_median",
    "API, shop": "scorecard_api_shop_median",
    "API, ranking": "scorecard_api_ranking_median",
}
# The rollup counters those kinds add to.
TRANSITION_COUNTERS = ("replies", "approved", "rejections", "timed_out")


def page_figures(shop_id: int) -> list[tuple]:
    return [
        ("scorecard page", "merchant1", lambda s: [f"/scorecard/?days={DAYS}"]),
        ("drill-down page", "merchant1", lambda s: [f"/scorecard/{shop_id}/?days={DAYS}"]),
        ("ranking page", "ops1", lambda s: [f"/scorecard/?days={DAYS}"]),
    ]


def api_figures(shop_id: int) -> list[tuple]:
    return [
        ("API, shop", "merchant1", lambda s: [f"{API}?shop={shop_id}&days={DAYS}"]),
        ("API, ranking", "ops1", lambda s: [f"{API}?days={DAYS}"]),
    ]


class Command(BaseCommand):
    help = ("Seed a large database once, then print median server time of the scorecard "
            "pages and API, and the time of a refresh over one day of transitions.")

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--transitions", type=int, default=100_000,
                            help="transitions stamped today before the timed refresh")
        parser.add_argument("--repeat", type=int, default=30,
                            help="measured requests per figure (after 3 warm-ups)")

    def handle(self, *args, tickets: int, transitions: int, repeat: int, **options):
        # Measure as production runs: no query log, no debug templates.
        settings.DEBUG = False
        unthrottled_api()
        seed_once(self.stdout, tickets)
        # A full rebuild the first time (minutes at 1,000,000 tickets); a run on a
        # database an earlier run refreshed only brings it up to date.
        full = last_refreshed_at() is None
        started = time.monotonic()
        done = refresh(full=full)
        self.stdout.write(f"{'Full' if full else 'Incremental'} refresh: {done.days:,} "
                          f"shop-days in {time.monotonic() - started:.1f} s")
        if full:
            _vacuum_rollups()
        # What the refresh task does next; a page computes its own shop's on a miss.
        started = time.monotonic()
        figures.warm()
        self.stdout.write(f"Durations of every shop's periods computed in "
                          f"{time.monotonic() - started:.2f} s")
        shop_id = User.objects.get(username="merchant1").shop_membership.shop_id
        total = Ticket.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} tickets, {repeat} requests per figure, "
                          f"{DAYS} days\n")
        rows = (measure(page_figures(shop_id), repeat, session_client)
                + measure(api_figures(shop_id), repeat, token_client,
                          periodic=token_last_used_write))
        write_timing_table(self.stdout, what="scorecard", who="user", rows=rows,
                           target_ms=TARGET_MS)
        seconds = self.time_refresh(transitions)
        for label, _user, median, _p90, _queries in rows:
            write_target(self.stdout, TARGET_NAMES[label], median, TARGET_MS, unit=" ms")
        write_target(self.stdout, "scorecard_refresh_seconds", seconds, REFRESH_TARGET_SECONDS,
                     unit=" s")

    def time_refresh(self, transitions: int) -> float:
        """Stamp ``transitions`` events now, then time the refresh that brings
        the rollups up to date; it must count every one of them."""
        today = timezone.localdate()
        counted_before = _counted_since(today)
        stamped = _stamp_transitions(transitions)
        # As autovacuum would have by then: the day's transitions arrive over
        # the day, the refresh task runs every few minutes.
        demo.refresh_statistics()
        # As the refresh task runs it: the refresh, the new rollups' durations,
        # the open tickets' kept changes folded.
        started = time.perf_counter()
        result = bring_up_to_date()
        seconds = time.perf_counter() - started
        counted = _counted_since(today) - counted_before
        self.stdout.write(f"Refresh over {stamped:,} transitions today: {result.days:,} "
                          f"shop-days ({result.rows:,} rows) in {seconds:.2f} s")
        if counted != stamped:
            raise CommandError(f"the refresh counted {counted:,} of the {stamped:,} "
                               f"transitions stamped today")
        return seconds


def _vacuum_rollups() -> None:
    """After a full rebuild, as autovacuum does within a minute or so (tens of
    thousands of new rows): without it no page of the new rollups is marked
    all-visible yet, and the figures' index-only scans of the rollups
    (``shopday_day_shop_counters``) would visit every row's heap page. Every
    later refresh rewrites only the days that changed. (Not in a test's
    transaction: VACUUM cannot run in one.)"""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(ShopDay._meta.db_table)}")


def _counted_since(day) -> int:
    """The transitions the rollups count from ``day`` on (the day before too:
    a shop east of the server may already be a day ahead, one west a day behind)."""
    sums = ShopDay.objects.filter(day__gte=day - dt.timedelta(days=1)).aggregate(
        **{name: Sum(name) for name in TRANSITION_COUNTERS})
    return sum(value or 0 for value in sums.values())


def _stamp_transitions(count: int) -> int:
    """``count`` transition events stamped now on existing tickets, newest
    tickets first (several rounds when there are fewer tickets than
    transitions): one INSERT ... SELECT a round, set-based as the sweep and
    the lifecycle's batches write them."""
    events = TicketEvent._meta.db_table
    tickets = Ticket._meta.db_table
    column = {name: connection.ops.quote_name(name) for name in
              ("ticket_id", "actor_id", "kind", "from_status", "to_status", "text",
               "created_at", "id")}
    cases = {
        part: "CASE " + " ".join(f"WHEN {column['id']} %% 10 = {n} THEN '{mix[i]}'"
                                 for n, mix in TRANSITION_MIX.items()) + " END"
        for i, part in enumerate(("kind", "from_status", "to_status"))
    }
    now = connection.ops.adapt_datetimefield_value(timezone.now())
    available = Ticket.objects.count()
    stamped = 0
    with connection.cursor() as cursor:
        while stamped < count and available:
            size = min(count - stamped, available)
            cursor.execute(
                f"INSERT INTO {connection.ops.quote_name(events)} "
                f"({column['ticket_id']}, {column['actor_id']}, {column['kind']}, "
                f"{column['from_status']}, {column['to_status']}, {column['text']}, "
                f"{column['created_at']}) "
                f"SELECT {column['id']}, NULL, {cases['kind']}, {cases['from_status']}, "
                f"{cases['to_status']}, '', %s FROM {connection.ops.quote_name(tickets)} "
                f"ORDER BY {column['id']} DESC LIMIT %s",
                [now, size])
            stamped += size
    return stamped
