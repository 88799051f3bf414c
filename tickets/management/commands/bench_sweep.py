"""Benchmark the deadline sweep against the floor of one bare SQL UPDATE.

    python manage.py bench_sweep [--tickets 1000000] [--overdue 100000] [--rounds 3]
                                 [--webhooks]
    make bench-sweep                      # SQLite (default settings)
    DATABASE_URL=postgres://... make bench-sweep
    BENCH_ARGS="--tickets 200000 --overdue 20000 --rounds 1" make bench-sweep  # quick

Works in a throw-away database next to the configured one (a file under var/ on
SQLite, ``<name>_bench_sweep`` on PostgreSQL), so the real data is never
touched. In one run it seeds the tickets (``tickets.demo.bulk_seed_tickets``),
gives every shop two merchants so the timeouts notify someone, then times:

(a) the floor: one bare UPDATE that closes exactly the overdue rows, setting
    the columns a timeout sets (``Transition.moved_fields``), and its commit
    (the sweep's figure includes its commits too), under the same database
    settings the sweep runs with (``tickets.sweep.sqlite_bulk_writes``);
    the rows are then put back as they were, untimed;
(b) the sweep as production runs it: batches with row locks, the guarded
    UPDATE, one TicketEvent per ticket, the notifications and the webhook
    outbox rows, a commit per batch; then the tickets are reopened and the
    sweep's events, notifications and deliveries deleted, untimed, so the next
    round starts from the same state.

``--webhooks`` gives every shop one webhook endpoint (a merchant's, subscribed
to timeouts), so each timeout also writes an outbox row, as in a
deployment where every shop's ERP listens. The hand-off of those rows to the
broker after each commit is left out (it is the webhook benchmark's subject,
and the deliveries of a throw-away database must never reach a real worker).

``--rounds`` rounds of (a) then (b), interleaved, so load that comes and goes on a
shared machine hits both sides alike; the verdict is the median of the sweep's
times over the median of the floor's (the median of the per-round ratios is
printed too). Only ratios mean anything: the machine is shared and noisy.
``--keep`` keeps the seeded database and ``--reuse`` starts from a kept one
(seeding 1,000,000 tickets takes longer than the rounds).
"""

from __future__ import annotations

import json
import math
import os
import statistics
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from notifications.models import Notification, NotificationKind
from tickets import demo
from tickets.benchmarking import production_heap, write_target
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
from tickets.sweep import sqlite_bulk_writes, sweep_deadlines
from tickets.transitions import TRANSITIONS, Action, WebhookEvent
from webhooks import endpoints, outbox
from webhooks.models import Delivery, Endpoint

MERCHANTS_PER_SHOP = 2
# The sweep issue's target: at most twice the bare UPDATE of the same rows.
TARGET_RATIO = 2.0


class Command(BaseCommand):
    help = "Time the deadline sweep against one bare SQL UPDATE of the same rows."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000,
                            help="tickets in the table, overdue ones included")
        parser.add_argument("--overdue", type=int, default=100_000,
                            help="of those, pending tickets whose deadline has passed")
        parser.add_argument("--batch-size", type=int, default=None,
                            help="sweep batch size (default TICKET_SWEEP_BATCH_SIZE)")
        parser.add_argument("--rounds", type=int, default=3,
                            help="rounds of (floor, sweep); the median ratio is the verdict")
        parser.add_argument("--webhooks", action="store_true",
                            help="one webhook endpoint per shop, subscribed to timeouts")
        parser.add_argument("--keep", action="store_true",
                            help="keep the benchmark database afterwards")
        parser.add_argument("--reuse", action="store_true",
                            help="start from the database a --keep run left, if its sizes match")

    def handle(self, *args, tickets, overdue, batch_size, rounds, webhooks, keep, reuse,
               **options):
        if not 0 < overdue <= tickets:
            raise CommandError("Need 0 < --overdue <= --tickets.")
        if rounds < 1:
            raise CommandError("Need --rounds >= 1.")
        batch_size = batch_size or settings.TICKET_SWEEP_BATCH_SIZE
        creation = connection.creation
        old_name = connection.settings_dict["NAME"]
        connection.settings_dict["TEST"]["NAME"] = (
            str(settings.VAR_DIR / "bench_sweep.sqlite3") if connection.vendor == "sqlite"
            else f"{old_name}_bench_sweep"
        )
        kept = self.kept_state()
        now = None
        if reuse and kept.get("tickets") == tickets and kept.get("overdue") == overdue:
            self.stdout.write(f"Reusing the benchmark database ({connection.vendor}) ...")
            connection.close()
            connection.settings_dict["NAME"] = creation._get_test_db_name()
            now = datetime.fromisoformat(kept["now"])
        else:
            self.stdout.write(f"Creating the benchmark database ({connection.vendor}) ...")
            creation.create_test_db(verbosity=0, autoclobber=True, serialize=False)
        try:
            if now is None:
                now = self.seed(tickets, overdue)
            if keep or reuse:
                self.kept_state_path().write_text(json.dumps(
                    {"tickets": tickets, "overdue": overdue, "now": now.isoformat()}))
            hooked = self.give_every_shop_an_endpoint() if webhooks else 0
            try:
                rows = self.measure(now, tickets, overdue, batch_size, rounds)
            finally:
                # A kept database is reused with or without --webhooks.
                Endpoint.objects.all().delete()
            for row in rows:
                row["endpoints"] = hooked
        finally:
            if keep or reuse:
                self.stdout.write(f"Kept {connection.settings_dict['NAME']}.")
            else:
                creation.destroy_test_db(old_name, verbosity=0)
                self.kept_state_path().unlink(missing_ok=True)
        self.print_table(rows)

    def kept_state_path(self):
        return settings.VAR_DIR / f"bench_sweep_{connection.vendor}.json"

    def kept_state(self) -> dict:
        try:
            return json.loads(self.kept_state_path().read_text())
        except (FileNotFoundError, ValueError):
            return {}

    def seed(self, tickets: int, overdue: int):
        """Seed and return the moment the sweep runs at: a little after seeding,
        like the beat would; the floor closes the very same rows."""
        now = timezone.now()
        started = time.monotonic()
        demo.bulk_seed_tickets(tickets, overdue=overdue, now=now, progress=self.progress)
        merchants = self.give_every_shop_merchants()
        self.stdout.write(f"Seeded {tickets:,} tickets and {merchants} merchants in "
                          f"{time.monotonic() - started:.0f} s.")
        return now + timedelta(seconds=1)

    def measure(self, now, tickets: int, overdue: int, batch_size: int,
                rounds: int) -> list[dict]:
        self.analyze()
        due = Ticket.objects.due(now).count()
        if due != overdue:
            raise CommandError(f"expected {overdue} overdue tickets, found {due}")
        rows = []
        for round_ in range(1, rounds + 1):
            floor, floor_cpu = self.time_bare_update(now, overdue)
            self.reopen(now, overdue)
            self.analyze()  # and, on PostgreSQL, clear the dead rows the UPDATEs left
            row = self.time_sweep(now, tickets, overdue, batch_size)
            row.update(round=round_, floor=floor, floor_cpu=floor_cpu, load=self.load_average())
            self.reopen(now, overdue, clear_side_rows=True)
            self.analyze()
            self.stdout.write(f"  round {round_}: bare UPDATE {floor:.2f} s, sweep "
                              f"{row['sweep']:.2f} s, ratio {row['sweep'] / floor:.2f}x "
                              f"(CPU {self.format_cpu(row)}; load {row['load']})")
            rows.append(row)
        return rows

    def cpu_seconds(self) -> float | None:
        """CPU time used so far by this process and by the database server's
        process for this connection. Wall time is the verdict; on a shared
        machine it also measures whoever else runs, while CPU time is the work
        each side did itself. None where the server's process cannot be read
        (SQLite runs in this process: its own time is all of it)."""
        used = time.process_time()
        if connection.vendor == "postgresql":
            server = self.server_process_cpu()
            if server is None:
                return None
            used += server
        return used

    def cpu_seconds_since(self, start: float | None) -> float | None:
        used = self.cpu_seconds()
        return None if start is None or used is None else used - start

    def server_process_cpu(self) -> float | None:
        """The CPU time of this connection's PostgreSQL backend, when it runs on
        this machine (its /proc entry is a postgres process)."""
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        proc = Path(f"/proc/{pid}")
        try:
            if b"postgres" not in (proc / "cmdline").read_bytes():
                return None
            # Fields after the command name: utime and stime are the 12th and 13th.
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return None
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def format_cpu(row: dict) -> str:
        if row["floor_cpu"] is None or row["sweep_cpu"] is None:
            return "n/a"
        return f"{row['floor_cpu']:.2f} / {row['sweep_cpu']:.2f} s"

    def load_average(self) -> str:
        try:
            return " ".join(Path("/proc/loadavg").read_text().split()[:3])
        except OSError:
            return "n/a"

    def time_sweep(self, now, tickets: int, overdue: int, batch_size: int) -> dict:
        notifications_before = self.notification_count()
        # Not the broker: see the module docstring.
        publish, outbox.publish = outbox.publish, lambda delivery_ids: True
        try:
            # In the heap a Celery pool process sweeps in.
            with production_heap():
                cpu = self.cpu_seconds()
                started = time.perf_counter()
                result = sweep_deadlines(now=now, batch_size=batch_size, time_budget=math.inf)
                sweep = time.perf_counter() - started
                sweep_cpu = self.cpu_seconds_since(cpu)
        finally:
            outbox.publish = publish

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
            "sweep": sweep,
            "sweep_cpu": sweep_cpu,
            "events": events,
            "notifications": notifications - notifications_before,
            "deliveries": Delivery.objects.filter(created_at=now).count(),
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

    def give_every_shop_an_endpoint(self) -> int:
        """One endpoint per shop, owned by one of its merchants (who sees only
        that shop's tickets), so every timeout has exactly one delivery."""
        Endpoint.objects.all().delete()
        for shop in Shop.objects.all():
            membership = shop.memberships.select_related("user").order_by("pk").first()
            endpoints.create_endpoint(
                membership.user, url=f"https://erp.example.com/shops/{shop.pk}/hooks",
                events=[WebhookEvent.TIMED_OUT.value],
                description="bench_sweep")
        return Endpoint.objects.count()

    def analyze(self) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                for model in (Ticket, TicketEvent, Notification, Delivery):
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

    def time_bare_update(self, now, overdue: int) -> tuple[float, float | None]:
        quote = connection.ops.quote_name
        # Every column a timeout writes, with the values it writes (the
        # transition's own list): ``updated_at`` too, which API clients sync
        # by. On SQLite an UPDATE maintains only the indexes of the columns it
        # sets, and two indexes lead with ``updated_at``; a floor that left it
        # out did less than any timeout may.
        moved = TRANSITIONS[Action.TIME_OUT].moved_fields(now)
        fields = [Ticket._meta.get_field(name) for name in moved]
        assignments = ", ".join(f"{quote(field.column)} = %s" for field in fields)
        values = [field.get_db_prep_value(field.to_python(moved[field.name]), connection)
                  for field in fields]
        sql = (f"UPDATE {quote(Ticket._meta.db_table)} SET {assignments} "
               f"WHERE status = %s AND deadline <= %s")
        at = Ticket._meta.get_field("deadline").get_db_prep_value(now, connection)
        cpu = self.cpu_seconds()
        started = time.perf_counter()
        # Under the database settings the sweep gives itself (SQLite: its page
        # cache and write-ahead log limit, then one checkpoint; elsewhere none),
        # timed the same way: otherwise the floor's UPDATE spills dirty pages
        # from the default 2 MiB cache that the sweep's batches never spill,
        # and the ratio compares two configurations, not two amounts of work.
        with sqlite_bulk_writes(), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*values, TicketStatus.PENDING.value, at])
            changed = cursor.rowcount
        elapsed = time.perf_counter() - started
        used = self.cpu_seconds_since(cpu)
        if changed != overdue:
            raise CommandError(f"the bare UPDATE changed {changed} rows, expected {overdue}")
        return elapsed, used

    def reopen(self, now, overdue: int, *, clear_side_rows: bool = False) -> None:
        """Undo the floor's UPDATE (or the sweep's): the seeded overdue tickets got
        their deadline as created_at + handling time, so it can be recomputed per
        service type, and were last updated when created. After the sweep, its
        events and notifications go too."""
        closed = Ticket.objects.filter(resolution=Resolution.TIMED_OUT, closed_at=now)
        with transaction.atomic():
            if clear_side_rows:
                # One DELETE each, without collecting the rows first: nothing
                # else refers to a timeout's event or notification.
                TicketEvent.objects.filter(kind=EventKind.TIMED_OUT,
                                           created_at=now)._raw_delete(connection.alias)
                Notification.objects.filter(
                    kind__in=(NotificationKind.TIMED_OUT, NotificationKind.DUE_SOON),
                    created_at=now)._raw_delete(connection.alias)
                Delivery.objects.filter(created_at=now)._raw_delete(connection.alias)
                # The reminders the sweep sent go too, so every round sends the same.
                Ticket.objects.filter(due_soon_sent_for__isnull=False).update(
                    due_soon_sent_for=None)
            for service_type in ServiceType.objects.all():
                closed.filter(service_type=service_type).update(
                    status=TicketStatus.PENDING, resolution="", closed_at=None,
                    deadline=F("created_at") + timedelta(hours=service_type.handling_hours),
                    updated_at=F("created_at"),
                )
        due = Ticket.objects.due(now).count()
        if due != overdue:
            raise CommandError(f"reopened {due} overdue tickets, expected {overdue}")

    def notification_count(self) -> int:
        return Notification.objects.count()

    def print_table(self, rows: list[dict]) -> None:
        self.stdout.write("")
        self.stdout.write("| round | database | tickets | overdue | batch | endpoints "
                          "| bare UPDATE s | sweep s | ratio | events | notifications "
                          "| deliveries | reminders | CPU s (floor / sweep) | load |")
        self.stdout.write("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            self.stdout.write(
                f"| {row['round']} | {row['database']} | {row['tickets']:,} "
                f"| {row['overdue']:,} | {row['batch']} | {row['endpoints']} "
                f"| {row['floor']:.2f} | {row['sweep']:.2f} | {row['sweep'] / row['floor']:.2f}x "
                f"| {row['events']:,} | {row['notifications']:,} | {row['deliveries']:,} "
                f"| {row['reminders']:,} | {self.format_cpu(row)} | {row['load']} |"
            )
        floor = statistics.median(row["floor"] for row in rows)
        sweep = statistics.median(row["sweep"] for row in rows)
        ratios = statistics.median(row["sweep"] / row["floor"] for row in rows)
        self.stdout.write(
            f"\nMedian of {len(rows)} rounds: bare UPDATE {floor:.2f} s, sweep {sweep:.2f} s "
            f"(median of the rounds' ratios {ratios:.2f}x).")
        if all(row["floor_cpu"] and row["sweep_cpu"] is not None for row in rows):
            floor_cpu = statistics.median(row["floor_cpu"] for row in rows)
            sweep_cpu = statistics.median(row["sweep_cpu"] for row in rows)
            self.stdout.write(f"CPU time (this process and its database server process), "
                              f"median: bare UPDATE {floor_cpu:.2f} s, sweep {sweep_cpu:.2f} s "
                              f"({sweep_cpu / floor_cpu:.2f}x).")
        self.stdout.write("")
        hooks = (f", {rows[0]['endpoints']} webhook endpoints (one per shop)"
                 if rows[0]["endpoints"] else "")
        write_target(self.stdout, f"sweep/bare UPDATE ({rows[0]['database']}{hooks}, median "
                     f"of {len(rows)} rounds each)", sweep / floor, TARGET_RATIO, unit="x")
