"""Start-up reads its environment strictly: production refuses the development
secret key, and a value that is not of its variable's type stops start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def production_like_environment() -> dict:
    # The test process sets DJANGO_ALLOW_ASYNC_UNSAFE for Playwright; a server never does.
    dropped = ("SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE")
    environment = {k: v for k, v in os.environ.items() if k not in dropped}
    environment["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings"
    return environment


def run_check(**env):
    environment = production_like_environment()
    environment.update(**env)
    return subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_debug_off_without_a_real_secret_key_refuses_to_start():
    result = run_check(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_debug_off_with_a_real_secret_key_starts():
    result = run_check(DEBUG="false", SECRET_KEY="x" * 50, ALLOWED_HOSTS="desk.example.com")
    assert result.returncode == 0, result.stderr


def test_a_malformed_setting_stops_start_up():
    result = run_check(EXPORT_MAX_ROWS="lots")
    assert result.returncode != 0


def test_production_settings_pass_the_deploy_checks():
    environment = production_like_environment()
    environment.update(DEBUG="false",
                       SECRET_KEY="k" * 20 + "-production-secret-" + "z" * 20,
                       ALLOWED_HOSTS="desk.example.com")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("variable, value", [
    ("DEBUG", "ture"),
    ("DEBUG", "maybe"),
    ("CELERY_TASK_ALWAYS_EAGER", "si"),
    ("EXPORT_MAX_ROWS", "lots"),
    ("EXPORT_COOLDOWN_SECONDS", "1.5"),
    ("TICKET_SWEEP_INTERVAL_SECONDS", "soon"),
    ("TICKET_SWEEP_INTERVAL_SECONDS", "nan"),
    ("TICKET_SWEEP_BATCH_SIZE", "0"),
    ("LOGIN_FAILURE_LIMIT", "ten"),
    ("LOGIN_LOCKOUT_MINUTES", "-5"),
])
def test_a_value_that_is_not_of_the_variables_type_stops_start_up_naming_it(variable, value):
    result = run_check(**{variable: value})

    assert result.returncode != 0
    assert f"{variable}={value!r}" in result.stderr
    assert "ImproperlyConfigured" in result.stderr


@pytest.mark.parametrize("value, debug", [("false", False), ("0", False), ("off", False),
                                          ("True", True), ("yes", True), ("1", True)])
def test_boolean_spellings_are_read_as_meant(value, debug):
    environment = production_like_environment()
    environment.update(DEBUG=value, SECRET_KEY="s" * 50, ALLOWED_HOSTS="desk.example.com")
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.DEBUG)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(debug)


def test_importing_the_settings_creates_no_folders(tmp_path):
    var_dir = tmp_path / "var"
    environment = production_like_environment()
    environment.update(VAR_DIR=str(var_dir), CELERY_BROKER_URL="filesystem://")
    environment.pop("DATABASE_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", "import servicedesk.settings as s; print(s.DATABASES)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert str(var_dir) in result.stdout  # the SQLite file would live there
    assert not var_dir.exists()


def test_start_up_creates_the_folders_the_embedded_run_needs(tmp_path):
    var_dir = tmp_path / "var"
    environment = production_like_environment()
    environment.update(VAR_DIR=str(var_dir), CELERY_BROKER_URL="filesystem://")
    environment.pop("DATABASE_URL", None)
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=environment,
                            capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    for folder in ("broker/queue", "broker/processed", "broker/control", "static"):
        assert (var_dir / folder).is_dir(), folder


def test_a_redis_broker_gets_no_broker_folders(tmp_path):
    var_dir = tmp_path / "var"
    result = run_check(VAR_DIR=str(var_dir), CELERY_BROKER_URL="redis://127.0.0.1:6379/2")

    assert result.returncode == 0, result.stderr
    assert not (var_dir / "broker").exists()


def test_the_demos_plain_http_switch_does_not_pass_the_deploy_checks():
    environment = production_like_environment()
    environment.update(DEBUG="false", SECRET_KEY="d" * 50, ALLOWED_HOSTS="desk.example.com",
                       ALLOW_INSECURE_HTTP="true")
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)

    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout, check


@pytest.mark.parametrize("redis_url, engine", [
    ("redis://127.0.0.1:6379/9", "django.contrib.sessions.backends.cached_db"),
    ("", "django.contrib.sessions.backends.db"),
])
def test_sessions_are_cached_only_in_a_shared_cache(redis_url, engine):
    """With Redis, sessions are read from it (and written through to the
    database); per-process memory would keep a logged-out session alive in the
    other processes, so without Redis they stay in the database."""
    environment = production_like_environment()
    environment["REDIS_URL"] = redis_url
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SESSION_ENGINE)"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == engine
