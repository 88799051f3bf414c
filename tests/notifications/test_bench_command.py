"""bench_notifications keeps working: on a tiny database it seeds, measures and
ends with one verdict line per target."""

import re
from io import StringIO

from django.core.management import call_command

VERDICT = re.compile(r"^target .+: [\d.]+( ms|x)? \(limit [≤≥] [\d.]+( ms|x)?\) (PASS|FAIL)$")


def test_bench_notifications_ends_with_a_verdict_per_target(transactional_db):
    # Not inside a test transaction: on PostgreSQL the command VACUUMs, which
    # cannot run in one.
    out = StringIO()
    call_command("bench_notifications", notifications=200, staff_per_shop=1, runs=2,
                 batch=10, stdout=out)
    lines = out.getvalue().rstrip().splitlines()
    verdicts = lines[-3:]
    assert all(VERDICT.match(line) for line in verdicts), verdicts
    assert [line.split(":")[0] for line in verdicts] == [
        "target unread COUNT for one user, median",
        "target GET /notifications/unread-count/ median",
        "target per-ticket notify loop / notify_many",
    ]
    assert not any(line.startswith("target ") for line in lines[:-3])
