"""Slow clients do not stall the site: with the repository's gunicorn
configuration, connections that send half a request and hold still leave
room for everybody else. (With ``gunicorn -w 3`` sync workers, three such
connections made every other request wait about 30 s.)"""

import gc
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.db import connection

from tests.conftest import skip_or_fail
from tests.integration.conftest import test_database_url as database_url_of_the_test_db
from tests.network import free_port

ROOT = Path(__file__).resolve().parents[2]
HALF_OPEN = 4




def get(url: str, timeout: float):
    with urllib.request.urlopen(url, timeout=timeout) as response:
        return response.status


@pytest.fixture
def gunicorn(transactional_db, tmp_path):
    """A gunicorn started with gunicorn.conf.py on a free port against the test
    database; stopped (the whole session) at the end."""
    if connection.vendor != "postgresql":
        skip_or_fail("the gunicorn test needs PostgreSQL (a second process must see the "
                     "test database; set DATABASE_URL=postgres://...)")
    port = free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings", "DEBUG": "true",
           "DATABASE_URL": database_url_of_the_test_db(), "CELERY_BROKER_URL": "memory://",
           "VAR_DIR": str(tmp_path / "var"), "GUNICORN_BIND": f"127.0.0.1:{port}",
           # Two processes (of gthread's default 8 threads) keep it light on a
           # shared machine; more half-open connections than processes.
           "WEB_CONCURRENCY": "2"}
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            get(f"{base}/healthz", timeout=2)
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                os.killpg(proc.pid, signal.SIGKILL)
                pytest.fail("gunicorn did not start:\n"
                            + (tmp_path / "gunicorn.log").read_text(errors="replace")[-3000:])
            time.sleep(0.2)
    yield base
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)
    log.close()


def test_the_configuration_uses_threaded_workers_and_request_limits():
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)

    assert namespace["worker_class"] == "gthread"
    assert namespace["threads"] > 1
    assert namespace["workers"] >= 1
    assert 0 < namespace["keepalive"] < namespace["timeout"]
    assert namespace["graceful_timeout"] > 0
    assert namespace["limit_request_line"] and namespace["limit_request_fields"]
    assert namespace["limit_request_field_size"]


def test_a_worker_freezes_what_loading_the_app_allocated():
    namespace = {}
    exec((ROOT / "gunicorn.conf.py").read_text(), namespace)
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        namespace["post_worker_init"](worker=None)
        # The app's modules, already imported in this process, are out of the
        # collector's generations now.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()


def test_half_open_connections_do_not_stall_other_requests(gunicorn):
    host, port = gunicorn.removeprefix("http://").split(":")
    slow_clients = []
    try:
        for _ in range(HALF_OPEN):
            client = socket.create_connection((host, int(port)), timeout=5)
            client.sendall(b"GET /heal")  # half a request line, then nothing
            slow_clients.append(client)
        time.sleep(0.5)  # the workers have picked them up by now

        for _ in range(6):
            started = time.monotonic()
            assert get(f"{gunicorn}/healthz", timeout=10) == 200
            assert get(f"{gunicorn}/accounts/login/", timeout=10) == 200
            assert time.monotonic() - started < 2.5
    finally:
        for client in slow_clients:
            client.close()
