"""The demo's receiver command prints what it is sent and checks signatures."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.network import free_port
from webhooks.signing import signature

ROOT = Path(__file__).resolve().parents[2]


def test_the_receiver_prints_each_delivery_and_checks_its_signature(tmp_path):
    port = free_port()
    log = open(tmp_path / "out.txt", "wb")
    proc = subprocess.Popen(
        [sys.executable, "manage.py", "webhook_receiver", "--port", str(port),
         "--secret", "whsec_demo"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "VAR_DIR": str(tmp_path / "var")})
    try:
        body = b'{"id":"abc","type":"ping","data":{}}'
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.post(f"http://127.0.0.1:{port}/", content=body, headers={
                    "X-Desk-Event": "ping", "X-Desk-Delivery": "abc",
                    "X-Desk-Signature": signature("whsec_demo", body, int(time.time()))})
                break
            except httpx.ConnectError:
                assert time.monotonic() < deadline, (tmp_path / "out.txt").read_text()
                time.sleep(0.2)
        assert answer.status_code == 200
        httpx.post(f"http://127.0.0.1:{port}/", content=body,
                   headers={"X-Desk-Event": "ping", "X-Desk-Delivery": "forged",
                            "X-Desk-Signature": signature("whsec_other", body,
                                                          int(time.time()))})
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        proc.wait(10)
    output = (tmp_path / "out.txt").read_text()
    assert "ping abc signature ok" in output
    assert "ping forged SIGNATURE INVALID" in output
    assert '"type": "ping"' in output
