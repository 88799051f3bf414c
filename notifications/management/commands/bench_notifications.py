"""Measure what notifications cost at scale: the header's unread count with
hundreds of thousands of rows, and one sweep batch of notify_many against a loop
of notify calls. Run it on the database you care about (DATABASE_URL); it adds
bench users (bench_notif_*) and notifications, and reuses them on the next run.

    python manage.py bench_notifications --notifications 300000

It ends with one verdict line per target: the user's unread COUNT (a partial
index, whatever the table's size) within UNREAD_COUNT_MS, the whole unread-count
request within the page budget, and a sweep batch's notify_many at least
BULK_VS_LOOP times faster than a notify call per ticket (same run).
"""

import random
import statistics
import time

from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from notifications import services
from notifications.models import Notification, NotificationKind
from tickets import demo
from tickets.benchmarking import write_target
from tickets.models import ShopMembership, Ticket
from tickets.roles import Role

PREFIX = "bench_notif_"
# The targets (see the module docstring).
UNREAD_COUNT_MS = 5
UNREAD_REQUEST_MS = 20  # the page budget of bench_pages
BULK_VS_LOOP = 10


def median_ms(fn, runs: int) -> float:
    fn()  # warm up
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


class Command(BaseCommand):
    help = "Benchmark the unread count and bulk notification creation."

    def add_arguments(self, parser):
        parser.add_argument("--notifications", type=int, default=300_000)
        parser.add_argument("--staff-per-shop", type=int, default=10)
        parser.add_argument("--runs", type=int, default=200)
        parser.add_argument("--batch", type=int, default=500,
                            help="tickets per notify_many batch (the sweep's batch)")

    def handle(self, *args, notifications, staff_per_shop, runs, batch, **options):
        users = self.seed(notifications, staff_per_shop)
        target = users[0]
        unread = services.unread_count(target)
        total = Notification.objects.count()
        self.stdout.write(f"database: {connection.vendor}; notifications in table: {total:,}; "
                          f"target user: {Notification.objects.filter(recipient=target).count():,}"
                          f" notifications, {unread} unread")

        rows = [
            ("unread COUNT for one user (partial index)",
             median_ms(lambda: services.unread_count(target), runs)),
            ("COUNT(*) of the whole table (what the badge avoids)",
             median_ms(lambda: Notification.objects.count(), max(5, runs // 20))),
        ]

        client = Client(HTTP_HOST="localhost")
        client.force_login(target)
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/notifications/unread-count/")
        assert response.status_code == 200, response.status_code
        request_queries = len(queries.captured_queries)
        rows.append(("GET /notifications/unread-count/ (whole request)",
                     median_ms(lambda: client.get("/notifications/unread-count/"), runs)))
        with CaptureQueriesContext(connection) as queries:
            client.get("/notifications/badge/", HTTP_HX_REQUEST="true")
        badge_queries = len(queries.captured_queries)
        rows.append(("GET /notifications/badge/ (htmx poll, whole request)",
                     median_ms(lambda: client.get("/notifications/badge/",
                                                  HTTP_HX_REQUEST="true"), runs)))

        with CaptureQueriesContext(connection) as queries:
            services.unread_count(target)
        count_sql = queries.captured_queries[-1]["sql"]
        with connection.cursor() as cursor:
            prefix = "EXPLAIN ANALYZE" if connection.vendor == "postgresql" \
                else "EXPLAIN QUERY PLAN"
            cursor.execute(f"{prefix} {count_sql}")
            plan = [" ".join(str(cell) for cell in row) for row in cursor.fetchall()]

        batch = list(Ticket.objects.order_by("id")[:batch])
        now = timezone.now()

        def bulk():
            with transaction.atomic():
                made = services.notify_many(batch, NotificationKind.DUE_SOON, now=now)
                transaction.set_rollback(True)
            return made

        def one_by_one():
            with transaction.atomic():
                for ticket in batch:
                    services.notify(ticket, NotificationKind.DUE_SOON, now=now)
                transaction.set_rollback(True)

        with CaptureQueriesContext(connection) as queries:
            made = bulk()
        # Not counting the BEGIN / ROLLBACK of the bench's own transaction.
        bulk_queries = len([q for q in queries.captured_queries
                            if q["sql"] not in ("BEGIN", "ROLLBACK")
                            and not q["sql"].startswith(("SAVEPOINT", "ROLLBACK TO", "RELEASE"))])
        bulk_ms = median_ms(bulk, 5)
        loop_ms = median_ms(one_by_one, 3)
        rows.append((f"notify_many: {len(batch)} tickets -> {made:,} rows", bulk_ms))
        rows.append((f"notify() per ticket: {len(batch)} calls", loop_ms))

        self.stdout.write("")
        self.stdout.write(f"| {'measurement':<55} | {'median ms':>10} |")
        self.stdout.write(f"|{'-' * 57}|{'-' * 12}|")
        for name, ms in rows:
            self.stdout.write(f"| {name:<55} | {ms:>10.2f} |")
        self.stdout.write("")
        self.stdout.write(f"queries: unread-count request {request_queries}, badge poll "
                          f"{badge_queries} (merchant), notify_many batch {bulk_queries}")
        self.stdout.write(f"ratio per-ticket loop / notify_many: {loop_ms / bulk_ms:.1f}x; "
                          f"whole-table COUNT / user's unread COUNT: "
                          f"{rows[1][1] / rows[0][1]:.1f}x")
        self.stdout.write("plan of the unread count (before the notify runs):")
        for line in plan:
            self.stdout.write("  " + line)
        self.stdout.write("")
        write_target(self.stdout, "unread COUNT for one user, median", rows[0][1],
                     UNREAD_COUNT_MS, unit=" ms")
        write_target(self.stdout, "GET /notifications/unread-count/ median", rows[2][1],
                     UNREAD_REQUEST_MS, unit=" ms")
        write_target(self.stdout, "per-ticket notify loop / notify_many", loop_ms / bulk_ms,
                     BULK_VS_LOOP, unit="x", at_least=True)

    def seed(self, notifications: int, staff_per_shop: int) -> list[User]:
        if Ticket.objects.count() < 1000:
            self.stdout.write("seeding 1,000 tickets for the bench ...")
            demo.bulk_seed_tickets(1000)
        users = list(User.objects.filter(username__startswith=PREFIX).order_by("id"))
        if not users:
            merchant_group = Group.objects.get(name=Role.MERCHANT)
            shop_ids = sorted(set(Ticket.objects.values_list("shop_id", flat=True)))
            users = User.objects.bulk_create(
                [User(username=f"{PREFIX}{i:05d}", password="!")
                 for i in range(len(shop_ids) * staff_per_shop)])
            users = list(User.objects.filter(username__startswith=PREFIX).order_by("id"))
            User.groups.through.objects.bulk_create(
                [User.groups.through(user_id=u.pk, group_id=merchant_group.pk) for u in users])
            ShopMembership.objects.bulk_create(
                [ShopMembership(user=u, shop_id=shop_ids[i % len(shop_ids)])
                 for i, u in enumerate(users)])
        have = Notification.objects.filter(recipient__username__startswith=PREFIX).count()
        missing = notifications - have
        if missing > 0:
            self.stdout.write(f"inserting {missing:,} notifications ...")
            rng = random.Random(7)
            ticket_ids = list(Ticket.objects.values_list("id", flat=True)[:5000])
            kinds = NotificationKind.values
            now = timezone.now()
            batch = []
            for i in range(missing):
                created = now - timezone.timedelta(minutes=rng.randint(0, 60 * 24 * 80))
                batch.append(Notification(
                    recipient=users[i % len(users)], kind=rng.choice(kinds),
                    ticket_id=rng.choice(ticket_ids), created_at=created,
                    # About 5 % unread: people do read their notifications.
                    read_at=None if rng.random() < 0.05 else created))
                if len(batch) == 5000:
                    Notification.objects.bulk_create(batch)
                    batch = []
            Notification.objects.bulk_create(batch)
        if connection.vendor == "postgresql":
            # What autovacuum does on a live table (and it clears the dead rows of
            # the previous run's rolled-back inserts): the visibility map lets
            # the count read the index alone.
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE notifications_notification")
        return users
