"""`make demo`'s runner: Ctrl-C stops web, worker and beat within 10 s with
nothing left running, and the demo shows the product's own error pages.

What a terminal's Ctrl-C does is reproduced here: the runner (`make
demo-serve`, which `make demo` ends with) starts in a session of its own with
SIGINT at its default (a background job of a script would ignore it), and
SIGINT goes to its whole process group. It runs against the test database
with the demo's filesystem broker in a temporary VAR_DIR."""

import os
import re
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import skip_or_fail
from tests.integration.conftest import test_database_url as database_url_of_the_test_db
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN = 10


def processes() -> list[dict]:
    """Every live process (zombies left out): pid, ppid, sid, args."""
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,sid=,stat=,args="], capture_output=True,
                         text=True, check=True).stdout
    rows = []
    for line in out.splitlines():
        pid, ppid, sid, stat, *args = line.split(None, 4)
        if not stat.startswith("Z"):
            rows.append({"pid": int(pid), "ppid": int(ppid), "sid": int(sid),
                         "args": args[0] if args else ""})
    return rows


def tree_of(root: int) -> list[dict]:
    """The root, its descendants, and everything in the sessions they are in
    (honcho starts each process in a session of its own)."""
    rows = processes()
    pids, grew = {root}, True
    while grew:
        more = {r["pid"] for r in rows if r["ppid"] in pids} - pids
        pids |= more
        grew = bool(more)
    sessions = {r["sid"] for r in rows if r["pid"] in pids}
    return [r for r in rows if r["pid"] in pids or r["sid"] in sessions]


def still_running(watched: list[dict]) -> list[dict]:
    pids = {r["pid"] for r in watched}
    sessions = {r["sid"] for r in watched}
    return [r for r in processes() if r["pid"] in pids or r["sid"] in sessions]


def fetch(url: str):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode()


@pytest.fixture
def demo(transactional_db, tmp_path):
    if connection.vendor != "postgresql":
        skip_or_fail("the demo runner test needs PostgreSQL (the demo's processes must see "
                     "the test database; set DATABASE_URL=postgres://...)")
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DJANGO_ALLOW_ASYNC_UNSAFE", "CELERY_BROKER_URL", "REDIS_URL",
                        "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MFLAGS")}
    env.update(DATABASE_URL=database_url_of_the_test_db(), VAR_DIR=str(tmp_path / "var"),
               PORT=str(port))
    log_path = tmp_path / "demo.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "demo-serve"], cwd=ROOT, env=env, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    base = f"http://127.0.0.1:{port}"

    def log_text():
        return log_path.read_text(errors="replace")

    deadline = time.monotonic() + 90
    while True:
        try:
            web_up = fetch(f"{base}/healthz")[0] == 200
        except OSError:
            web_up = False
        if web_up and re.search(r"celery@\S+ ready\.", log_text()) and \
                "beat: Starting" in log_text():
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            pytest.fail(f"the demo did not come up:\n{log_text()[-4000:]}")
        time.sleep(0.5)
    watched = tree_of(proc.pid)
    yield {"base": base, "proc": proc, "watched": watched, "log": log_text}
    for row in still_running(watched):  # only if the test failed: leave nothing behind
        try:
            os.kill(row["pid"], signal.SIGKILL)
        except ProcessLookupError:
            pass
    log.close()


def test_ctrl_c_stops_web_worker_and_beat_within_ten_seconds(demo):
    watched = demo["watched"]
    commands = " ".join(r["args"] for r in watched)
    assert "runserver" in commands and "celery" in commands

    started = time.monotonic()
    os.killpg(demo["proc"].pid, signal.SIGINT)
    while still_running(watched) and time.monotonic() - started < STOP_WITHIN:
        time.sleep(0.2)

    left = still_running(watched)
    assert not left, ("still running after SIGINT:\n"
                      + "\n".join(f"{r['pid']} {r['args']}" for r in left)
                      + "\n" + demo["log"]()[-3000:])
    demo["proc"].wait(5)


def test_the_demo_shows_the_products_own_404_page(demo):
    status, headers, body = fetch(f"{demo['base']}/no-such-page/")

    assert status == 404
    assert "这里没有内容，或者您无权查看。" in body  # templates/404.html, default language
    assert "URLconf" not in body  # Django's debug page lists the URL patterns
    assert "Content-Security-Policy" in headers
    os.killpg(demo["proc"].pid, signal.SIGINT)
    demo["proc"].wait(15)
