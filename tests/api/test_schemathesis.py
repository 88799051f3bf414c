"""schemathesis (CLI, in a subprocess) against a live server on the test
database, every operation, as a merchant token, an agent token and a
read-only token: no 5xx, and every response matches the schema (status code,
content type, body). Bounded: a few examples per operation and phase."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.factories import OrderFactory
from tickets import lifecycle

ST = Path(sys.executable).with_name("st")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHECKS = ("not_a_server_error,response_schema_conformance,status_code_conformance,"
          "content_type_conformance")


def _run(base: str, token: str, phases: str, examples: int, cwd) -> int:
    # In a temporary folder: schemathesis keeps a cache of examples where it runs.
    result = subprocess.run(
        [str(ST), "run", f"{base}/api/v1/schema/?format=json", "--url", base,
         "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
         "-n", str(examples), "--seed", "1", "--phases", phases, "--no-color",
         "--request-timeout", "20"],
        capture_output=True, text=True, timeout=300, cwd=cwd)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated, output[-3000:]
    return int(generated.group(1))


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
        require_postgres, live_server, settings, merchant, agent, shop_a, service_type,
        token_for, tmp_path):
    settings.API_RATE_LIMIT = "1000000/min"
    pending = lifecycle.create_ticket(actor=agent, order=OrderFactory(shop=shop_a),
                                      service_type=service_type, content="催发货")
    replied = lifecycle.create_ticket(actor=agent, order=OrderFactory(shop=shop_a),
                                      service_type=service_type, content="换货")
    lifecycle.reply(replied, actor=merchant, body="已处理")
    assert pending.pk
    counts = {
        "merchant": _run(live_server.url, token_for(merchant), "coverage,fuzzing", 5, tmp_path),
        "agent": _run(live_server.url, token_for(agent), "fuzzing", 10, tmp_path),
        "read-only": _run(live_server.url, token_for(merchant, read_only=True), "fuzzing", 10,
                          tmp_path),
    }
    summary = f"schemathesis generated requests: {counts}, total {sum(counts.values())}"
    print(summary)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis.txt").write_text(summary + "\n")
    assert all(count > 14 for count in counts.values()), counts
