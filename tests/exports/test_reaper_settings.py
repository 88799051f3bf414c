"""The reaper's two settings come from the environment like the others: read into
the beat schedule, and a bad value stops start-up."""

import json
import subprocess
import sys

import pytest

from tests.test_settings import ROOT, production_like_environment, run_check

PRINT_REAPER_SETTINGS = (
    "import json; from django.conf import settings as s; "
    "print(json.dumps({'stale': s.EXPORT_STALE_AFTER_SECONDS, "
    "'interval': s.EXPORT_REAPER_INTERVAL_SECONDS, "
    "'entry': s.CELERY_BEAT_SCHEDULE['reap-stale-exports']}))"
)


def reaper_settings(**env) -> dict:
    environment = production_like_environment()
    environment.update(**env)
    result = subprocess.run([sys.executable, "manage.py", "shell", "-c", PRINT_REAPER_SETTINGS],
                            cwd=ROOT, env=environment, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_defaults_put_the_reaper_on_the_beat_schedule_every_minute():
    values = reaper_settings()
    assert values["stale"] == 300 and values["interval"] == 60
    assert values["entry"] == {"task": "exports.tasks.reap_stale_exports", "schedule": 60,
                               "options": {"expires": 60}}


def test_the_environment_sets_the_interval_and_the_stale_limit():
    values = reaper_settings(EXPORT_STALE_AFTER_SECONDS="45", EXPORT_REAPER_INTERVAL_SECONDS="5")
    assert values["stale"] == 45 and values["entry"]["schedule"] == 5


@pytest.mark.parametrize("name,value", [("EXPORT_STALE_AFTER_SECONDS", "0"),
                                        ("EXPORT_REAPER_INTERVAL_SECONDS", "soon")])
def test_a_bad_value_stops_start_up(name, value):
    result = run_check(**{name: value})
    assert result.returncode != 0
    assert name in result.stderr or "ImproperlyConfigured" in result.stderr
