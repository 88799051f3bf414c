"""The API at scale: median server time of GET /api/v1/tickets/ (first and deep
page, each filter, updated_after) for a merchant token and an ops token, with
the query count asserted constant with depth; and an ERP sync: pulling N
changed tickets by updated_after + cursor pages of 100, against the floor of
reading the same rows with values_list in the same run.

Run after ``bench_pages`` on the same database (``make bench-pages`` runs both):
it uses the tickets and demo users that command seeds.
"""

import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import cache
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Q
from django.test import Client

from api.tokens import create_token
from tickets.benchmarking import samples_for, time_get, write_timing_table
from tickets.models import Ticket
from tickets.pagination import Cursor

TARGET_MS = 30
SYNC_TARGET_RATIO = 4
SYNC_PAGE = 100


def _count_queries(call):
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = call()
    return response, len(statements)


class Command(BaseCommand):
    help = "Median server time of the ticket list API, and an ERP sync against its floor."

    def add_arguments(self, parser):
        parser.add_argument("--repeat", type=int, default=30)
        parser.add_argument("--sync-tickets", type=int, default=50_000)

    def handle(self, *args, repeat: int, sync_tickets: int, **options):
        settings.DEBUG = False
        settings.API_RATE_LIMIT = "100000000/min"
        cache.clear()
        total = Ticket.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} tickets, {repeat} requests per figure\n")
        rows, failures = [], []
        for username in ("merchant1", "ops1"):
            user = User.objects.get(username=username)
            client = self._client(user)
            cases = self.cases(user)
            for label, url in cases:
                median, p90, queries = time_get(client, url, repeat)
                rows.append((label, username, median, p90, queries))
            by_label = {row[0]: row[4] for row in rows if row[1] == username}
            for first, deep in (("all (first page)", "all (deep page)"),
                                ("pending (first page)", "pending (deep page)"),
                                ("updated_after (first page)", "updated_after (deep page)")):
                if by_label[first] != by_label[deep]:
                    failures.append(f"{username}: {first} {by_label[first]} queries, "
                                    f"{deep} {by_label[deep]}")
        write_timing_table(self.stdout, what="GET /api/v1/tickets/", who="token of",
                           rows=rows, target_ms=TARGET_MS)
        if failures:
            raise CommandError("query count grows with depth: " + "; ".join(failures))
        self.sync(User.objects.get(username="merchant1"), sync_tickets)

    def _client(self, user):
        _token, raw = create_token(user=user, name="bench")
        return Client(HTTP_HOST="localhost", HTTP_AUTHORIZATION=f"Bearer {raw}")

    def cases(self, user):
        scope = Ticket.objects.visible_to(user)
        s = samples_for(user)
        sample, month_ago, deep, deep_pending = s.closed, s.month_ago, s.deep, s.deep_pending
        changed = scope.order_by("updated_at", "id")
        since = changed[changed.count() // 4].updated_at
        since_q = since.isoformat().replace("+", "%2B")
        deep_changed = Cursor.of(changed[changed.count() // 2], "updated_at").encode()
        api = "/api/v1/tickets/"
        return [
            ("all (first page)", f"{api}"),
            ("all (deep page)", f"{api}?cursor={deep}"),
            ("pending (first page)", f"{api}?status=pending"),
            ("pending (deep page)", f"{api}?status=pending&cursor={deep_pending}"),
            ("under review", f"{api}?status=under_review"),
            ("closed", f"{api}?status=closed"),
            ("filter order number", f"{api}?order_number={sample.order.number}"),
            ("filter ticket number", f"{api}?number={sample.number}"),
            ("filter service type", f"{api}?service_type=invoice"),
            ("filter created from (30 days)", f"{api}?created_after={month_ago}"),
            ("filter created to (30 days ago)", f"{api}?created_before={month_ago}"),
            ("updated_after (first page)", f"{api}?updated_after={since_q}"),
            ("updated_after (deep page)",
             f"{api}?updated_after={since_q}&cursor={deep_changed}"),
            ("updated_after, page_size 100", f"{api}?updated_after={since_q}&page_size=100"),
        ]

    def sync(self, user, count: int):
        """Pull ``count`` changed tickets the way an ERP does, against reading
        the same rows (the list's columns, same order) with values_list."""
        changed = Ticket.objects.visible_to(user).order_by("-updated_at", "-id")
        count = min(count, changed.count())
        since = changed[count - 1].updated_at
        rows_floor = (Ticket.objects.visible_to(user).filter(updated_at__gte=since)
                      .order_by("updated_at", "id"))
        client = self._client(user)
        url = f"/api/v1/tickets/?updated_after={since.isoformat().replace('+', '%2B')}" \
              f"&page_size={SYNC_PAGE}"

        def pull():
            pulled, next_url = 0, url
            while next_url:
                body = client.get(next_url).json()
                pulled += len(body["results"])
                next_url = body["next"]
            return pulled

        def floor():
            return len(list(rows_floor.values_list(
                "number", "status", "resolution", "shop__name", "service_type__code",
                "order__number", "reject_count", "created_at", "updated_at", "deadline")))

        def paged_floor():
            # The same rows in the same keyset pages of 100, still values_list:
            # what any paged pull pays in round trips before HTTP and JSON.
            read, last = 0, None
            while True:
                page = rows_floor
                if last is not None:
                    page = page.filter(updated_at__gte=last[0]).filter(
                        Q(updated_at__gt=last[0]) | Q(id__gt=last[1]))
                batch = list(page.values_list(
                    "updated_at", "id", "number", "status", "resolution", "shop__name",
                    "service_type__code", "order__number", "reject_count", "created_at",
                    "deadline")[:SYNC_PAGE])
                read += len(batch)
                if len(batch) < SYNC_PAGE:
                    return read
                last = batch[-1][:2]

        pull_s, pulled = _timed(pull)
        floor_s, read = _timed(floor)
        paged_s, paged_read = _timed(paged_floor)
        self.stdout.write(
            f"ERP sync, {pulled:,} tickets in pages of {SYNC_PAGE} by updated_after: "
            f"{pull_s:.2f} s ({pull_s / max(1, -(-pulled // SYNC_PAGE)) * 1000:.1f} ms a page)\n"
            f"  floor, one values_list of the same {read:,} rows: {floor_s:.2f} s: "
            f"ratio {pull_s / floor_s:.1f}x (target <= {SYNC_TARGET_RATIO}x)\n"
            f"  floor, values_list in the same keyset pages: {paged_s:.2f} s: "
            f"ratio {pull_s / paged_s:.1f}x")
        if not pulled == read == paged_read:
            raise CommandError(f"the sync pulled {pulled} rows, the floors read {read}, "
                               f"{paged_read}")


def _timed(call):
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result
