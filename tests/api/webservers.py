"""Real web server processes (runserver --noreload) on free ports against the
test database, for tests that need several processes sharing one cache."""

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request

from tests.integration.conftest import ROOT, test_database_url
from tests.network import free_port


class WebServer:
    def __init__(self, *, env: dict, log_path):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        log = open(log_path, "ab")
        self.proc = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            cwd=ROOT, env={**os.environ, "DATABASE_URL": test_database_url(), **env},
            stdout=log, stderr=log, start_new_session=True)

    def wait_ready(self, timeout: float = 60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:  # bounded polling of a subprocess
            if self.proc.poll() is not None:
                raise RuntimeError(f"web server exited with {self.proc.returncode}")
            try:
                urllib.request.urlopen(f"{self.base}/api/v1/schema/", timeout=5)
                return self
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.2)
        raise TimeoutError("web server did not start")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def get(url: str, token: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers)
