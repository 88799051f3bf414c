"""Production start-up refuses the development secret key."""

import os
import subprocess
import sys
from pathlib import Path

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
