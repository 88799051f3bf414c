"""The evidence pixel cap and the body cap come from the environment; a value
that is not a positive number stops start-up instead of being guessed at."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def settings_value(name: str, **env) -> subprocess.CompletedProcess:
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "servicedesk.settings", **env}
    return subprocess.run(
        [sys.executable, "-c",
         f"import django; django.setup(); from django.conf import settings; "
         f"print(settings.{name})"],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_the_pixel_cap_defaults_to_forty_million_and_is_read_from_the_environment():
    assert settings_value("EVIDENCE_MAX_PIXELS").stdout.strip() == "40000000"
    assert settings_value("EVIDENCE_MAX_PIXELS",
                          EVIDENCE_MAX_PIXELS="1000000").stdout.strip() == "1000000"


def test_the_body_cap_follows_the_evidence_size_unless_set():
    assert settings_value("REQUEST_BODY_MAX_BYTES", EVIDENCE_MAX_BYTES="1000").stdout.strip() \
        == str(4 * 1000 + 2_621_440)
    assert settings_value("REQUEST_BODY_MAX_BYTES",
                          REQUEST_BODY_MAX_BYTES="123456").stdout.strip() == "123456"


@pytest.mark.parametrize("name, value", [("EVIDENCE_MAX_PIXELS", "lots"),
                                         ("EVIDENCE_MAX_PIXELS", "0"),
                                         ("REQUEST_BODY_MAX_BYTES", "-1")])
def test_a_bad_limit_stops_start_up(name, value):
    result = settings_value(name, **{name: value})
    assert result.returncode != 0
    assert name in result.stderr
