"""The sweep and export benchmarks keep working: each runs end to end at a tiny
size in a process of its own, on a SQLite file of its own (both manage their
own databases and, for the export, child processes, so they cannot run inside
the test's database), and ends with its verdict lines."""

import os
import re
import subprocess
import sys
from pathlib import Path

from django.conf import settings

VERDICT = re.compile(r"^target .+: [\d.]+( MB|x)? \(limit [≤≥] [\d.]+( MB|x)?\) (PASS|FAIL)$")


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
