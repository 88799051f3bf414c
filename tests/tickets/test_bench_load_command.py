"""bench_load keeps working: a tiny run (five users, five-second phases, so
every endpoint of the mix is hit even on a busy machine) times each endpoint
alone, starts gunicorn against the test database, logs every account in, drives
the floor and the mix with locust and prints the tables and the verdict lines."""

import subprocess
from io import StringIO

import pytest
from django.conf import global_settings
from django.core.management import call_command
from django.db import connection

from tests.conftest import skip_or_fail
from tests.integration.conftest import ROOT

LOAD_VENV = ROOT / "var" / "bench-load-venv"


@pytest.fixture
def locust_binary():
    """The load tool's own virtualenv, made the way `make bench-load` makes it."""
    subprocess.run(["make", "-s", f"{LOAD_VENV.relative_to(ROOT)}/.installed"], cwd=ROOT,
                   check=True, timeout=600)
    return LOAD_VENV / "bin" / "locust"


def test_bench_load_smoke(transactional_db, settings, tmp_path, monkeypatch, locust_binary):
    if connection.vendor != "postgresql":
        skip_or_fail("the load benchmark's server needs PostgreSQL (DATABASE_URL=postgres://...)")
    # The server runs the real settings, whose hashers must read the accounts' passwords.
    settings.PASSWORD_HASHERS = global_settings.PASSWORD_HASHERS
    monkeypatch.setenv("WEB_CONCURRENCY", "1")
    monkeypatch.setenv("VAR_DIR", str(tmp_path / "var"))
    out = StringIO()
    call_command("bench_load", tickets=40, users="5", seconds=5, serial_repeat=2,
                 locust=str(locust_binary), log=str(tmp_path / "server.log"), stdout=out)
    text = out.getvalue()
    rows = [line for line in text.splitlines() if line.startswith("| ")]
    level = next(row for row in rows if row.startswith("| 5 |"))
    floor_rps = float(level.split("|")[2])
    assert floor_rps > 0
    # Each endpoint alone for both roles (with its query count), then under load.
    serial = [row for row in rows if row.split("|")[2].strip() in ("merchant", "agent")]
    assert len(serial) == 12 and all(row.split("|")[-2].strip().isdigit() for row in serial)
    loaded = {row.split("|")[1].strip() for row in rows if row not in serial}
    assert {"list tab", "order filter", "detail", "badge poll (merchant)",
            "badge poll (agent)", "unread count", "API list"} <= loaded, text
    verdicts = [line for line in text.splitlines() if line.startswith("target ")]
    assert len(verdicts) == 4, text
    assert "target errors (every level): 0.00 (limit ≤ 0) PASS" in verdicts, text
