"""The benchmarks keep working: each runs end to end at a tiny size and ends
with its verdict lines. The sweep, export and webhook benchmarks run in a
process of their own, on a SQLite file of their own (they manage their own
databases and, for the export, child processes, so they cannot run inside the
test's database); the scorecard's runs in-process on the test's database."""

import os
import re
import sqlite3
import subprocess
import sys
from io import StringIO
from pathlib import Path

from django.conf import settings
from django.core.management import call_command

from tickets.models import Ticket

VERDICT = re.compile(r"^target .+: [\d.]+( MB|x)? \(limit [≤≥] [\d.]+( MB|x)?\) (PASS|FAIL)$")
MS_OR_S_VERDICT = re.compile(r"^target \w+: [\d.]+ (ms|s) \(limit ≤ [\d.]+ (ms|s)\) (PASS|FAIL)$")


def manage(tmp_path: Path, *args: str) -> str:
    return manage_with(tmp_path, {}, *args)


def manage_with(tmp_path: Path, extra_env: dict, *args: str) -> str:
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'bench.sqlite3'}",
           "VAR_DIR": str(tmp_path), "MEDIA_ROOT": str(tmp_path / "media"), **extra_env}
    done = subprocess.run([sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), *args],
                          capture_output=True, text=True, env=env, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def verdicts(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("target ")]


def test_bench_sweep_runs_interleaved_rounds_and_ends_with_its_verdict(tmp_path):
    output = manage(tmp_path, "bench_sweep", "--tickets", "400", "--overdue", "40",
                    "--rounds", "2", "--batch-size", "15")
    rounds = [line for line in output.splitlines() if re.match(r"^\| [12] \| sqlite \|", line)]
    assert len(rounds) == 2
    assert all("| 40 |" in row for row in rounds)  # every round closed all 40, with events
    (verdict,) = verdicts(output)
    assert VERDICT.match(verdict) and "median of 2" in verdict
    assert output.rstrip().endswith(verdict)


def test_bench_sweep_with_an_endpoint_per_shop_writes_one_delivery_per_timeout(tmp_path):
    output = manage(tmp_path, "bench_sweep", "--tickets", "400", "--overdue", "40",
                    "--rounds", "1", "--batch-size", "15", "--webhooks")
    (row,) = [line.split(" | ") for line in output.splitlines()
              if re.match(r"^\| 1 \| sqlite \|", line)]
    header = [line.split(" | ") for line in output.splitlines()
              if line.startswith("| round |")][0]
    values = dict(zip([cell.strip("| ") for cell in header], [cell.strip("| ") for cell in row],
                      strict=True))
    assert int(values["endpoints"]) > 0
    assert values["events"] == values["deliveries"] == "40"
    (verdict,) = verdicts(output)
    assert VERDICT.match(verdict) and "one per shop" in verdict
    assert output.rstrip().endswith(verdict)


def test_bench_export_reports_every_round_and_ends_with_its_verdicts(tmp_path):
    manage(tmp_path, "migrate", "--noinput", "-v", "0")
    output = manage(tmp_path, "bench_export", "--rows", "60", "--repeat", "1",
                    "--only", "floor", "--only", "task")
    assert re.search(r"^\| 1 \| [\d.]+ \| [\d.]+ \| [\d.]+ \| [\d. ]+\|$", output, re.MULTILINE)
    lines = verdicts(output)
    assert [line.split(" (")[0].split(":")[0] for line in lines] == [
        "target export/openpyxl time", "target export peak RSS"]
    assert all(VERDICT.match(line) for line in lines), lines
    assert output.rstrip().endswith(lines[-1])
    # Its tickets lie in the table in creation order, as a real table's rows do
    # (each is inserted when it is created): the reads it times are a real export's.
    with sqlite3.connect(tmp_path / "bench.sqlite3") as db:
        created = [row[0] for row in db.execute(
            "SELECT created_at FROM tickets_ticket ORDER BY id")]
    assert len(created) == 60 and created == sorted(created) and len(set(created)) > 1


def test_bench_webhooks_runs_a_worker_and_the_bare_loop_and_ends_with_its_verdict(tmp_path):
    # The real settings (a worker process, not eager Celery) and the embedded
    # broker, so the smoke run needs no service.
    env = {"DJANGO_SETTINGS_MODULE": "servicedesk.settings", "CELERY_TASK_ALWAYS_EAGER": "false",
           "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true", "CELERY_BROKER_URL": "filesystem://"}
    manage_with(tmp_path, env, "migrate", "--noinput", "-v", "0")
    output = manage_with(tmp_path, env,
                         "bench_webhooks", "--events", "6", "--concurrency", "2",
                         "--timeout", "120")
    assert re.search(r"^\| 6 \| 2 \| [\d.]+ \| [\d.]+ \| [\d.]+x \|$", output, flags=re.M)
    (verdict,) = verdicts(output)
    assert VERDICT.match(verdict) and "webhooks 6 events" in verdict
    assert output.rstrip().endswith(verdict)


def test_bench_scorecard_times_the_figures_and_a_refresh_that_counts_every_transition(db):
    # In-process on the test's database (PostgreSQL with DATABASE_URL), like
    # bench_pages: the command only reads and writes its own database.
    from scorecard.models import ShopDay
    from tickets.models import TicketEvent

    events_before = TicketEvent.objects.count()
    out = StringIO()
    call_command("bench_scorecard", tickets=200, transitions=50, repeat=2, stdout=out)
    output = out.getvalue()
    assert Ticket.objects.count() >= 200
    # The seeded tickets' events and the transitions; the refresh counted
    # every transition (the command fails otherwise).
    assert TicketEvent.objects.count() - events_before >= 200 + 50
    assert re.search(r"^Refresh over 50 transitions today: \d+ shop-days", output, re.M)
    assert ShopDay.objects.exists()
    table = [line for line in output.splitlines()
             if re.match(r"^\| .+ \| (merchant1|ops1) \| [\d.]+( \*\*over target\*\*)? "
                         r"\| [\d.]+ \| \d+ \|$", line)]
    assert [row.split(" | ")[0].lstrip("| ") for row in table] == [
        "scorecard page", "drill-down page", "ranking page", "API, shop", "API, ranking"]
    lines = verdicts(output)
    assert [line.split(":")[0] for line in lines] == [
        "target scorecard_page_median", "target scorecard_drilldown_page_median",
        "target scorecard_ranking_page_median", "target scorecard_api_shop_median",
        "target scorecard_api_ranking_median", "target scorecard_refresh_seconds"]
    assert all(MS_OR_S_VERDICT.match(line) for line in lines), lines
    assert output.rstrip().endswith(lines[-1])


def test_bench_scorecard_stamps_the_transitions_today_for_the_rollups(db):
    from django.utils import timezone

    from scorecard.management.commands.bench_scorecard import _stamp_transitions
    from tickets import demo
    from tickets.models import EventKind, TicketEvent

    demo.seed_cast_and_story()
    demo.bulk_seed_tickets(30)
    started = timezone.now()
    # More transitions than tickets: a second round on the same tickets.
    assert _stamp_transitions(45) == 45
    stamped = TicketEvent.objects.filter(created_at__gte=started)
    assert stamped.count() == 45
    kinds = set(stamped.values_list("kind", flat=True))
    assert kinds == {EventKind.REPLIED, EventKind.APPROVED, EventKind.REJECTED,
                     EventKind.TIMED_OUT}
    assert stamped.filter(kind=EventKind.REPLIED, to_status="under_review",
                          from_status="pending").count() == stamped.filter(
                              kind=EventKind.REPLIED).count()
