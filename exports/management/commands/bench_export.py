"""Benchmark of the export: one run, three contenders, each measured in
its own subprocess so its peak RSS is its own.

  (a) floor:  bare openpyxl write-only writing the same rows and cells (read
              from the database first, outside the timing);
  (b) task:   our export task end to end (query -> workbook -> file in storage);
  (c) import-export: django-import-export's admin-style export of the same rows
              to xlsx (installed only in the benchmark's virtualenv: make bench-export).

The data: ``--rows`` tickets (default 50,000) of one benchmark shop, created in
bulk on first use (dedicated shop and merchant, so nothing else is touched);
the export is that merchant's, unfiltered: exactly ``--rows`` matching rows.
Runs are interleaved (a, b, c, a, b, c, ...) so drift on a shared machine hits
all three alike; only ratios from one run mean anything. The verdict on time is
the median over the rounds of each round's ratio b/a (a and b run back to
back); every round is printed with the load average at its end.

    make bench-export                                   # 7 rounds, all three
    BENCH_ARGS="--only floor --only task" make bench-export   # the (b)/(a) target only
    BENCH_ARGS="--rows 2000 --repeat 1" make bench-export     # a quick look
"""

import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone, translation

from exports import builder, writer
from exports.models import ExportJob
from tickets.benchmarking import write_target
from tickets.models import (
    Order,
    Resolution,
    ShopMembership,
    Ticket,
    TicketStatus,
)

BENCH_SHOP = "导出基准店铺"
BENCH_USER = "bench_export_merchant"
CONTENDERS = ("floor", "task", "import-export")
LANGUAGE = "zh-hans"


class Command(BaseCommand):
    help = "Measure the export task against bare openpyxl and django-import-export."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, default=50_000)
        parser.add_argument("--repeat", type=int, default=7,
                            help="interleaved rounds; medians over them are reported")
        parser.add_argument("--only", choices=CONTENDERS, action="append",
                            help="measure only these contenders")
        parser.add_argument("--child", choices=CONTENDERS, help=argparse_hidden())

    def handle(self, *args, rows, repeat, only, child, **options):
        if child:
            result = {"floor": _run_floor, "task": _run_task,
                      "import-export": _run_import_export}[child](rows)
            result["peak_rss_mb"] = _peak_rss_mb()
            self.stdout.write(json.dumps(result))
            return
        if rows > settings.EXPORT_MAX_ROWS:
            raise CommandError(f"--rows must be at most EXPORT_MAX_ROWS "
                               f"({settings.EXPORT_MAX_ROWS})")
        self.stdout.write(f"Database: {settings.DATABASES['default']['ENGINE']} "
                          f"{settings.DATABASES['default']['NAME']}")
        made = _ensure_bench_rows(rows)
        if made:
            self.stdout.write(f"Created {made:,} benchmark tickets.")
        contenders = [c for c in CONTENDERS if not only or c in only]
        if "import-export" in contenders and not _has_import_export():
            self.stdout.write(self.style.WARNING(
                "django-import-export is not installed here: (c) skipped. "
                "Run `make bench-export`, which installs it in var/bench-venv only."))
            contenders.remove("import-export")
        results = {c: [] for c in contenders}
        loads = []
        for run in range(1, repeat + 1):
            for contender in contenders:
                measured = self._measure(contender, rows)
                results[contender].append(measured)
                self.stdout.write(f"  run {run} {contender:<14} {measured['seconds']:7.2f} s "
                                  f"(CPU {measured['cpu_seconds']:6.2f} s) "
                                  f"{measured['peak_rss_mb']:7.1f} MB")
            loads.append(" ".join(f"{x:.2f}" for x in os.getloadavg()))
        self._report(results, rows, loads)

    def _measure(self, contender: str, rows: int) -> dict:
        command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_export",
                   "--child", contender, "--rows", str(rows)]
        done = subprocess.run(command, capture_output=True, text=True, env=os.environ.copy())
        if done.returncode != 0:
            raise CommandError(f"{contender} failed:\n{done.stderr[-3000:]}")
        return json.loads(done.stdout.strip().splitlines()[-1])

    def _report(self, results: dict, rows: int, loads: list[str]) -> None:
        med = {c: (statistics.median(r["seconds"] for r in runs),
                   statistics.median(r["peak_rss_mb"] for r in runs),
                   statistics.median(r["cpu_seconds"] for r in runs))
               for c, runs in results.items()}
        labels = {"floor": "(a) bare openpyxl write-only (floor)",
                  "task": "(b) our export task, query -> file",
                  "import-export": "(c) django-import-export to xlsx"}
        self.stdout.write("")
        self.stdout.write(f"{rows:,} rows x {len(writer.columns_for(LANGUAGE))} columns, median of "
                          f"{len(next(iter(results.values())))} runs each")
        self.stdout.write(f"| {'contender':<38} | {'median s':>9} | {'peak RSS MB':>11} "
                          f"| {'median CPU s':>12} |")
        self.stdout.write(f"|{'-' * 40}|{'-' * 11}|{'-' * 13}|{'-' * 14}|")
        for contender, (seconds, rss, cpu) in med.items():
            self.stdout.write(f"| {labels[contender]:<38} | {seconds:>9.2f} | {rss:>11.1f} "
                              f"| {cpu:>12.2f} |")
        paired = []
        if "floor" in results and "task" in results:
            # (a) and (b) run back to back in each round: their ratio per round is
            # less exposed to load changing between rounds on a shared machine.
            paired = [b["seconds"] / a["seconds"]
                      for a, b in zip(results["floor"], results["task"], strict=True)]
            self.stdout.write("")
            self.stdout.write("| round | (a) floor s | (b) task s | (b)/(a) | load average |")
            self.stdout.write("|---:|---:|---:|---:|---|")
            for index, ratio in enumerate(paired):
                self.stdout.write(
                    f"| {index + 1} | {results['floor'][index]['seconds']:.2f} "
                    f"| {results['task'][index]['seconds']:.2f} | {ratio:.2f} "
                    f"| {loads[index]} |")
            # CPU time of the measuring process barely moves with other people's
            # load; it leaves out the database server's own work, which wall
            # time includes.
            self.stdout.write(f"\n(b)/(a) CPU time: {med['task'][2] / med['floor'][2]:.2f} "
                              "(this process only, without the database server)")
        self.stdout.write("")
        vendor = connection.vendor
        if paired:
            write_target(self.stdout, f"export/openpyxl time ({vendor}, median of "
                         f"{len(paired)} rounds)", statistics.median(paired), 1.15, unit="x")
        if "task" in med:
            write_target(self.stdout, f"export peak RSS ({vendor})", med["task"][1], 100,
                         unit=" MB")
        if "task" in med and "import-export" in med:
            write_target(self.stdout, f"django-import-export/export time ({vendor})",
                         med["import-export"][0] / med["task"][0], 1.9, unit="x",
                         at_least=True)
            write_target(self.stdout, f"django-import-export/export memory ({vendor})",
                         med["import-export"][1] / med["task"][1], 3, unit="x",
                         at_least=True)


def _peak_rss_mb() -> float:
    """This process's own high-water mark. Not getrusage's ru_maxrss: Linux carries
    that over from the parent through fork and exec, so a child would report at
    least its parent's peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # not Linux


def argparse_hidden():
    import argparse

    return argparse.SUPPRESS


def _has_import_export() -> bool:
    try:
        import import_export  # noqa: F401
    except ImportError:
        return False
    return True


# --- the data ------------------------------------------------------------------

def _bench_merchant() -> User:
    user, _ = User.objects.get_or_create(username=BENCH_USER)
    user.groups.add(Group.objects.get(name="merchant"))
    return user


def _ensure_bench_rows(rows: int) -> int:
    """Exactly ``rows`` tickets in the benchmark shop; rebuilt when the count differs."""
    from tickets.demo import ENQUIRIES, PRODUCTS, seed_service_types
    from tickets.models import Shop

    shop, _ = Shop.objects.get_or_create(name=BENCH_SHOP)
    user = _bench_merchant()
    ShopMembership.objects.get_or_create(user=user, defaults={"shop": shop})
    tickets = Ticket.objects.filter(shop=shop)
    if tickets.count() == rows and _in_creation_order(tickets):
        return 0
    with transaction.atomic():
        tickets.delete()
        Order.objects.filter(shop=shop).delete()
    types = list(seed_service_types().values())
    rng = random.Random(rows)
    now = timezone.now()
    # Over the last 300 days, in the order they are inserted: a ticket's row is
    # written when it is created, so a real table's rows lie in creation order.
    created = sorted(now - timedelta(days=rng.uniform(1, 300)) for _ in range(rows))
    made = 0
    while made < rows:
        size = min(5000, rows - made)
        orders = [Order(number=f"77{made + i:017d}", shop=shop, product_title=PRODUCTS[i % 10][0],
                        sku=PRODUCTS[i % 10][1], amount=PRODUCTS[i % 10][2],
                        buyer_nickname="快乐的小熊猫", paid_at=now - timedelta(days=30))
                  for i in range(size)]
        with transaction.atomic():
            Order.objects.bulk_create(orders)
            Ticket.objects.bulk_create(
                _bench_ticket(made + i, order, rng.choice(types), ENQUIRIES, rng, now,
                              created[made + i])
                for i, order in enumerate(orders))
        made += size
    return made


def _in_creation_order(tickets) -> bool:
    """Whether the oldest and the newest ticket are the first and the last
    inserted, as in a real table (a database seeded before the benchmark laid
    its rows out so is rebuilt)."""
    by_id = tickets.order_by("id").values_list("id", flat=True)
    by_created = tickets.order_by("created_at", "id").values_list("id", flat=True)
    return (by_id.first() == by_created.first()
            and by_id.reverse().first() == by_created.reverse().first())


def _bench_ticket(n, order, stype, enquiries, rng, now, created) -> Ticket:
    handling = timedelta(hours=stype.handling_hours)
    content = enquiries[stype.code] + "买家补充：" + "请尽快处理，谢谢。" * rng.randrange(1, 4)
    if n % 997 == 0:
        content = "=HYPERLINK(\"http://example.invalid\",\"退款\")"  # the neutralised path
    ticket = Ticket(number=f"7700{n:012d}", shop_id=order.shop_id, order=order,
                    service_type=stype, content=content, created_at=created)
    roll = rng.random()
    if roll < 0.2:
        ticket.status, ticket.deadline = TicketStatus.PENDING, now + handling
    elif roll < 0.35:
        ticket.status = TicketStatus.UNDER_REVIEW
        ticket.first_replied_at = ticket.last_replied_at = created + handling / 2
    else:
        ticket.status = TicketStatus.CLOSED
        ticket.resolution = rng.choice(Resolution.values)
        ticket.first_replied_at = created + handling / 3
        ticket.last_replied_at = created + handling / 2
        ticket.reject_count = rng.randrange(0, 3)
        ticket.closed_at = created + handling
    return ticket


# --- the contenders (each runs in its own process) ---------------------------------

def _scope():
    user = User.objects.get(username=BENCH_USER)
    return user, Ticket.objects.visible_to(user).order_by("-created_at", "-id")


def _run_floor(rows: int) -> dict:
    """Bare openpyxl write-only: the same cells, already in memory as Excel-ready
    Python values, appended and saved. Nothing else is timed. The values are
    the file's: local naive times, the status and resolution labels in the
    export's language, and no cell where the file has none (an empty
    resolution), so openpyxl does the same work for both."""
    from openpyxl import Workbook

    _user, scope = _scope()
    columns = writer.columns_for(LANGUAGE)
    zone = timezone.get_default_timezone()
    with translation.override(LANGUAGE):
        header = [str(c.header) for c in columns]
        labels = {i: writer.label_map(c) for i, c in enumerate(columns)
                  if c.kind == writer.LABEL}
    values = []
    for row in scope.values_list(*[c.field for c in columns]).iterator(chunk_size=2000):
        values.append(tuple(labels[i].get(v, v) if i in labels
                            else v.astimezone(zone).replace(tzinfo=None)
                            if hasattr(v, "astimezone") else v
                            for i, v in enumerate(row)))
    with tempfile.TemporaryFile() as out:
        started, cpu_started = time.perf_counter(), time.process_time()
        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(header)
        for row in values:
            sheet.append(row)
        workbook.save(out)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": len(values)}


def _run_task(rows: int) -> dict:
    user, _scope_qs = _scope()
    job = ExportJob.objects.create(requester=user, shop=user.shop_membership.shop,
                                   language=LANGUAGE, matched_count=rows)
    try:
        started, cpu_started = time.perf_counter(), time.process_time()
        builder.run_export(job.pk)
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
        job.refresh_from_db()
        if job.status != "done" or job.rows_written != rows:
            raise CommandError(f"task ended {job.status} with {job.rows_written} rows: {job.error}")
        return {"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": job.rows_written,
                "file_mb": default_storage.size(job.file.name) / 2**20}
    finally:
        if job.file:
            default_storage.delete(job.file.name)
        job.delete()


def _run_import_export(rows: int) -> dict:
    """What a Django developer would write with django-import-export: a
    ModelResource over the same fields (joined ones followed through the same
    select_related queryset) exported as the admin does, to xlsx."""
    from import_export import resources
    from import_export.formats.base_formats import XLSX

    field_names = tuple(c.field for c in writer.columns_for(LANGUAGE))

    class TicketExportResource(resources.ModelResource):
        class Meta:
            model = Ticket
            fields = field_names
            export_order = field_names

    _user, scope = _scope()
    with tempfile.TemporaryFile() as out:
        started, cpu_started = time.perf_counter(), time.process_time()
        dataset = TicketExportResource().export(queryset=scope)
        out.write(XLSX().export_data(dataset))
        seconds = time.perf_counter() - started
        cpu_seconds = time.process_time() - cpu_started
    return {"seconds": seconds, "cpu_seconds": cpu_seconds, "rows": len(dataset)}
