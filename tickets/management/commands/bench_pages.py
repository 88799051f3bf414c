"""Median server time of the ticket pages at scale (the target: every
figure <= 30 ms at 1,000,000 tickets).

Seeds the database once (``tickets.demo.bulk_seed_tickets``; skipped when it
already holds that many tickets), then requests each page in-process through
``django.test.Client`` many times, for merchant1 (the largest shop, about 30 %
of all tickets) and for ops1 (every shop), and prints the median, the 90th
percentile and the number of queries. Use a database of its own
(``make bench-pages`` does): a million tickets in the demo database would
drown the demo.
"""

import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import connection
from django.db.models import F
from django.db.models.functions import Mod
from django.test import Client

from tickets import demo
from tickets.benchmarking import samples_for, time_get, write_target, write_timing_table
from tickets.models import Ticket, TicketStatus
from tickets.pagination import Cursor

TARGET_MS = 30


class Command(BaseCommand):
    help = "Seed a large database once, then print median server time of the ticket pages."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=30,
                            help="measured requests per page and user (after 3 warm-ups)")

    def handle(self, *args, tickets: int, repeat: int, **options):
        # Measure as production runs: no query log, no debug templates.
        settings.DEBUG = False
        demo.seed_cast_and_story()
        have = Ticket.objects.count()
        if have < tickets:
            self.stdout.write(f"Seeding {tickets - have:,} tickets (once)...")
            started = time.monotonic()
            demo.bulk_seed_tickets(tickets - have)
            self.stdout.write(f"  done in {time.monotonic() - started:.0f} s")
        # Planner statistics, as after any bulk load: PostgreSQL's autovacuum
        # gathers them by itself sooner or later, SQLite only when asked (the
        # deployment should run PRAGMA optimize now and then). Without them
        # SQLite walks a whole shop's tickets for an order-number filter
        # (1.9 s at 1,000,000 tickets) instead of using the order's index.
        self.assign_share(User.objects.get(username="merchant1"))
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        total = Ticket.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} tickets, {repeat} requests per figure\n")

        rows = []
        for username in ("merchant1", "ops1"):
            user = User.objects.get(username=username)
            client = Client(HTTP_HOST="localhost")
            client.force_login(user)
            for label, url in self.cases(user):
                rows.append((label, username, *time_get(client, url, repeat)))
        write_timing_table(self.stdout, what="page", who="user", rows=rows,
                           target_ms=TARGET_MS)
        by_label = {(label, user): (median, queries) for label, user, median, _p90, queries
                    in rows}
        for label in ("tab due soon", "tab assigned to me"):
            write_target(self.stdout, f"{label} median (merchant1)",
                         by_label[(label, "merchant1")][0], TARGET_MS, unit=" ms")
        # The same queries on a deep page as on the first: nothing grows with depth.
        first, deep = (by_label[(label, "merchant1")][1]
                       for label in ("tab assigned to me", "deep page, assigned to me"))
        write_target(self.stdout, "assigned to me, deep page extra queries", deep - first, 0)

    def assign_share(self, merchant):
        """A third of merchant1's shop's pending tickets get merchant1 as their
        handler (once, one UPDATE), as a shop of three staff splitting the work."""
        shop_pending = Ticket.objects.filter(shop_id=merchant.shop_membership.shop_id,
                                             status=TicketStatus.PENDING)
        if shop_pending.filter(handler=merchant).count() > 1:
            return
        assigned = (shop_pending.alias(third=Mod(F("id"), 3)).filter(third=0)
                    .update(handler=merchant))
        self.stdout.write(f"Assigned {assigned:,} pending tickets to {merchant.username}.")

    def cases(self, user):
        scope = Ticket.objects.visible_to(user)
        s = samples_for(user)
        sample, month_ago, deep, deep_pending = s.closed, s.month_ago, s.deep, s.deep_pending
        detail = scope.filter(reject_count__gt=0).first() or sample
        return [
            ("tab pending (first page)", "/tickets/?status=pending"),
            ("tab due soon", "/tickets/?status=due_soon"),
            *self.assigned_cases(user),
            ("tab under review", "/tickets/?status=under_review"),
            ("tab closed", "/tickets/?status=closed"),
            ("tab all", "/tickets/?status=all"),
            ("filter order number", f"/tickets/?status=all&order_number={sample.order.number}"),
            ("filter ticket number", f"/tickets/?status=all&number={sample.number}"),
            ("filter service type", "/tickets/?status=all&service_type=invoice"),
            ("filter created from (30 days)", f"/tickets/?status=all&created_after={month_ago}"),
            ("filter created to (30 days ago)",
             f"/tickets/?status=all&created_before={month_ago}"),
            ("filter type + 30 days, closed",
             f"/tickets/?status=closed&service_type=invoice&created_after={month_ago}"),
            ("deep page, all (middle)", f"/tickets/?status=all&after={deep}"),
            ("deep page, pending (middle)", f"/tickets/?status=pending&after={deep_pending}"),
            ("detail page", f"/tickets/{detail.number}/"),
            ("handling times", "/handling-times/"),
        ]

    def assigned_cases(self, user):
        """The "assigned to me" tab, first page and half-way: merchants only."""
        if not user.groups.filter(name="merchant").exists():
            return []
        mine = (Ticket.objects.visible_to(user)
                .filter(status=TicketStatus.PENDING, handler=user).order_by("deadline", "id"))
        middle = mine[max(mine.count() // 2, 0)] if mine.exists() else None
        deep = Cursor.of(middle, "deadline").encode() if middle else ""
        return [("tab assigned to me", "/tickets/?assigned=me"),
                ("deep page, assigned to me", f"/tickets/?assigned=me&after={deep}&page=2")]
