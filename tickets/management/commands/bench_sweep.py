"""Benchmark the deadline sweep against the floor of one bare SQL UPDATE.

    python manage.py bench_sweep [--tickets 1000000] [--overdue 100000]
    make bench-sweep                      # SQLite (default settings)
    DATABASE_URL=postgres://... make bench-sweep

Works in a throw-away database next to the configured one (a file under var/ on
SQLite, ``<name>_bench_sweep`` on PostgreSQL), so the real data is never
touched. In one run it seeds the tickets (``tickets.demo.bulk_seed_tickets``),
gives every shop two merchants so the timeouts notify someone, then times:

(a) the floor: one bare UPDATE that closes exactly the overdue rows, and its
    commit (the sweep's figure includes its commits too); the rows are then put
    back as they were, untimed;
(b) the sweep as production runs it: batches with row locks, the guarded
    UPDATE, one TicketEvent per ticket and the notifications, a commit per batch.

Only the ratio b/a means anything: the machine is shared and noisy.
"""

from __future__ import annotations

import math
import time
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from tickets import demo
from tickets.models import (
    EventKind,
    Resolution,
    ServiceType,
    Shop,
    ShopMembership,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.sweep import sweep_deadlines

MERCHANTS_PER_SHOP = 2


class Command(BaseCommand):
    help = "Time the deadline sweep against one bare SQL UPDATE of the same rows."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000,
                            help="tickets in the table, overdue ones included")
        parser.add_argument("--overdue", type=int, default=100_000,
                            help="of those, pending tickets whose deadline has passed")
        parser.add_argument("--batch-size", type=int, default=None,
                            help="sweep batch size (default TICKET_SWEEP_BATCH_SIZE)")
        parser.add_argument("--keep", action="store_true",
                            help="keep the benchmark database afterwards")

    def handle(self, *args, tickets, overdue, batch_size, keep, **options):
        if not 0 < overdue <= tickets:
            raise CommandError("Need 0 < --overdue <= --tickets.")
        batch_size = batch_size or settings.TICKET_SWEEP_BATCH_SIZE
        creation = connection.creation
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = (
            str(settings.VAR_DIR / "bench_sweep.sqlite3") if connection.vendor == "sqlite"
            else f"{old_name}_bench_sweep"
        )
        self.stdout.write(f"Creating the benchmark database ({connection.vendor}) ...")
        creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            row = self.measure(tickets, overdue, batch_size)
        finally:
            if keep:
                self.stdout.write(f"Kept {connection.settings_dict['NAME']}.")
            else:
                creation.destroy_test_db(old_name, verbosity=0)
        self.print_table(row)

    def measure(self, tickets: int, overdue: int, batch_size: int) -> dict:
        now = timezone.now()
        started = time.monotonic()
        demo.bulk_seed_tickets(tickets, overdue=overdue, now=now, progress=self.progress)
        merchants = self.give_every_shop_merchants()
        self.stdout.write(f"Seeded {tickets:,} tickets and {merchants} merchants in "
                          f"{time.monotonic() - started:.0f} s.")
        self.analyze()
        # The sweep runs at a moment a little after seeding, like the beat would;
        # the floor closes the very same rows.
        now += timedelta(seconds=1)
        due = Ticket.objects.due(now).count()
        if due != overdue:
            raise CommandError(f"expected {overdue} overdue tickets, found {due}")

        floor = self.time_bare_update(now, overdue)
        self.reopen(now, overdue)
        self.analyze()  # and, on PostgreSQL, clear the dead rows both UPDATEs left

        notifications_before = self.notification_count()
        started = time.perf_counter()
        result = sweep_deadlines(now=now, batch_size=batch_size, time_budget=math.inf)
        sweep = time.perf_counter() - started

        events = TicketEvent.objects.filter(kind=EventKind.TIMED_OUT, created_at=now).count()
        timed_out = Ticket.objects.filter(resolution=Resolution.TIMED_OUT, closed_at=now).count()
        if not (result.timed_out == events == timed_out == overdue):
            raise CommandError(f"sweep timed out {result.timed_out}, {timed_out} tickets "
                               f"closed, {events} events; expected {overdue}")
        if Ticket.objects.due(now).exists():
            raise CommandError("due tickets left after the sweep")
        notifications = self.notification_count()
        return {
            "database": connection.vendor,
            "tickets": tickets,
            "overdue": overdue,
            "batch": batch_size,
            "floor": floor,
            "sweep": sweep,
            "events": events,
            "notifications": (None if notifications is None
                              else notifications - notifications_before),
            "reminders": result.warned,
        }

    def progress(self, done: int) -> None:
        if done % 100_000 == 0:
            self.stdout.write(f"  {done:,} tickets")

    def give_every_shop_merchants(self) -> int:
        """The notifications go to each shop's merchants; without any, notify_many
        would have nothing to write and the figure would flatter the sweep."""
        group = Group.objects.get(name="merchant")
        made = 0
        for shop in Shop.objects.all():
            missing = MERCHANTS_PER_SHOP - shop.memberships.count()
            for k in range(missing):
                user = User.objects.create(username=f"bench-m{shop.pk}-{k}")
                user.groups.add(group)
                ShopMembership.objects.create(user=user, shop=shop)
            made += max(missing, 0)
        return ShopMembership.objects.count()

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in (Ticket, TicketEvent):
                    cursor.execute(f"VACUUM ANALYZE {model._meta.db_table}")
                # Every other table too, as autovacuum would have by the time a real
                # sweep runs: the merchants were added after seeding, and with the
                # statistics of an (almost) empty auth_user the planner walks every
                # ticket of every shop to find the batch's recipients.
                cursor.execute("ANALYZE")
                cursor.execute("CHECKPOINT")
            else:
                cursor.execute("ANALYZE")
                cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def time_bare_update(self, now, overdue: int) -> float:
        table = connection.ops.quote_name(Ticket._meta.db_table)
        sql = (f"UPDATE {table} SET status = %s, resolution = %s, deadline = NULL, "
               f"closed_at = %s WHERE status = %s AND deadline <= %s")
        at = Ticket._meta.get_field("deadline").get_db_prep_value(now, connection)
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, ["closed", "timed_out", at, "pending", at])
            changed = cursor.rowcount
        elapsed = time.perf_counter() - started
        if changed != overdue:
            raise CommandError(f"the bare UPDATE changed {changed} rows, expected {overdue}")
        return elapsed

    def reopen(self, now, overdue: int) -> None:
        """Undo the floor's UPDATE: the seeded overdue tickets got their deadline
        as created_at + handling time, so it can be recomputed per service type."""
        closed = Ticket.objects.filter(resolution=Resolution.TIMED_OUT, closed_at=now)
        with transaction.atomic():
            for service_type in ServiceType.objects.all():
                closed.filter(service_type=service_type).update(
                    status=TicketStatus.PENDING, resolution="", closed_at=None,
                    deadline=F("created_at") + timedelta(hours=service_type.handling_hours),
                )
        due = Ticket.objects.due(now).count()
        if due != overdue:
            raise CommandError(f"reopened {due} overdue tickets, expected {overdue}")

    def notification_count(self) -> int | None:
        try:
            from notifications.models import Notification
        except ImportError:  # the notifications app has no model yet
            return None
        return Notification.objects.count()

    def print_table(self, row: dict) -> None:
        notes = ("n/a (notify_many is a stub)" if row["notifications"] is None
                 else f"{row['notifications']:,}")
        self.stdout.write("")
        self.stdout.write("| database | tickets | overdue | batch | bare UPDATE s | sweep s "
                          "| ratio | events | notifications | reminders |")
        self.stdout.write("|---|---|---|---|---|---|---|---|---|---|")
        self.stdout.write(
            f"| {row['database']} | {row['tickets']:,} | {row['overdue']:,} | {row['batch']} "
            f"| {row['floor']:.2f} | {row['sweep']:.2f} | {row['sweep'] / row['floor']:.2f}x "
            f"| {row['events']:,} | {notes} | {row['reminders']:,} |"
        )
