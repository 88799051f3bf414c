"""The real Celery path: a worker process (optionally with beat) against Redis
and the test database. Needs PostgreSQL (a second process must see the test
database) and Redis; skips loudly without them, fails under REQUIRE_SERVICES."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from celery import Celery
from django.conf import settings
from django.db import connection

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
# Without a configured URL, the local server's database numbered like the
# pytest-xdist worker (the test settings shift configured URLs the same way).
REDIS_URL = os.environ.get("TEST_REDIS_URL") or os.environ.get("REDIS_URL") or \
    f"redis://127.0.0.1:6379/{os.environ.get('PYTEST_XDIST_WORKER', 'gw0').removeprefix('gw')}"


def redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def test_database_url() -> str:
    db = connection.settings_dict
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:" \
           f"{db.get('PORT') or 5432}/{db['NAME']}"


def process_env(**extra_env) -> dict:
    """The environment of a server or worker process the tests start: the real
    settings (not the test ones) against the test database and this run's Redis,
    with Celery's real path, plus ``extra_env``."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
        "DEBUG": "true",
        "DATABASE_URL": test_database_url(),
        "CELERY_BROKER_URL": REDIS_URL,
        "REDIS_URL": REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        **{k: str(v) for k, v in extra_env.items()},
    }


class WorkerProcess:
    def __init__(self, *, beat: bool, env: dict, log_path: Path):
        self.beat, self.env, self.log_path = beat, env, log_path
        self.proc = None

    def start(self):
        args = [sys.executable, "-m", "celery", "-A", "servicedesk", "worker",
                "--pool", "prefork", "--concurrency", "1", "--loglevel", "INFO",
                "--without-gossip", "--without-mingle", "--without-heartbeat"]
        if self.beat:
            args += ["-B", "--schedule", str(self.log_path.with_suffix(".beat"))]
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, cwd=ROOT, env=self.env, stdout=log, stderr=log,
                                     start_new_session=True)
        return self

    def kill(self):
        """SIGKILL the whole worker (main process and its pool children)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """Warm shutdown: finish the current task, then exit. Returns the exit
        code (0 for a clean stop)."""
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.kill()
        return self.proc.returncode if self.proc else None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def celery_worker_factory(transactional_db, tmp_path):
    """celery_worker_factory(beat=False, **env) -> a started WorkerProcess.
    Each call uses a fresh Redis database queue so runs do not see each
    other's leftovers; every worker is stopped at the end of the test."""
    if connection.vendor != "postgresql":
        skip_or_fail("the real-worker tests need PostgreSQL (DATABASE_URL=postgres://...)")
    if not redis_available(REDIS_URL):
        skip_or_fail(f"the real-worker tests need Redis at {REDIS_URL}")
    import redis

    redis.Redis.from_url(REDIS_URL).flushdb()
    workers = []

    def start(*, beat: bool = False, **extra_env) -> WorkerProcess:
        env = process_env(**{"MEDIA_ROOT": settings.MEDIA_ROOT, "VAR_DIR": tmp_path / "var",
                             **extra_env})
        worker = WorkerProcess(beat=beat, env=env,
                               log_path=tmp_path / f"worker{len(workers)}.log").start()
        workers.append(worker)
        return worker

    yield start
    for worker in workers:
        worker.stop()


def wait_for(predicate, *, timeout: float, interval: float = 0.25, worker=None):
    """Poll the database (through ``predicate``) until it holds or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    log = worker.log()[-4000:] if worker else ""
    pytest.fail(f"condition not met within {timeout}s. Worker log tail:\n{log}")


@pytest.fixture
def publish_to_redis(monkeypatch):
    """This process runs Celery eagerly with a memory broker (settings_test), so
    ``build_export.apply_async`` would run the task inline. This replaces it, for
    one test, with ``send_task`` on a second, minimal Celery app bound to the
    Redis URL the worker consumes: the message is exactly what production sends
    (task name, args, json), without reconfiguring the suite's app."""
    from exports.tasks import build_export

    publisher = Celery("export-test-publisher", broker=REDIS_URL, set_as_current=False)
    publisher.conf.update(task_serializer=settings.CELERY_TASK_SERIALIZER,
                          broker_connection_retry_on_startup=True)

    def apply_async(args=None, kwargs=None, **options):
        return publisher.send_task(build_export.name, args=args, kwargs=kwargs, **options)

    monkeypatch.setattr(build_export, "apply_async", apply_async)
    yield publisher
    publisher.close()


class WebProcess:
    """One gunicorn web node on a free port, with its own environment."""

    def __init__(self, *, env: dict, log_path: Path):
        from tests.network import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env, self.log_path = env, log_path
        self.proc = None

    def start(self, *, timeout: float = 30):
        import urllib.error
        import urllib.request

        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "servicedesk.wsgi", "--bind",
             f"127.0.0.1:{self.port}", "--workers", "1", "--access-logfile", "-"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return self
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            time.sleep(0.25)
        self.stop()
        pytest.fail(f"web node did not become healthy:\n{self.log()[-4000:]}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def web_node_factory(celery_worker_factory, tmp_path):
    """web_node_factory(name, **env) -> a started WebProcess against the test
    database and the worker's Redis, with the Celery path real (not eager).
    Needs what the worker needs; every node is stopped at the end of the test."""
    nodes = []

    def start(name: str, **extra_env) -> WebProcess:
        env = process_env(**extra_env)
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        node = WebProcess(env=env, log_path=tmp_path / f"web-{name}.log")
        nodes.append(node)
        return node.start()

    yield start
    for node in nodes:
        node.stop()
