"""A real S3-compatible server for the tests: moto's standalone server in a
subprocess on a free port (boto3 talks HTTP to it exactly as to S3; nothing in
this process is patched), and the ``file_storage`` fixture that runs a test once
on the local filesystem and once on a fresh bucket of that server."""

import os
import re
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import environ
import pytest

from servicedesk.file_storage import default_storage_from_env
from tests.network import free_port

ACCESS_KEY, SECRET_KEY, REGION = "test-access-key", "test-secret-key", "us-east-1"
# One line per request in the server's log: "GET /bucket/key HTTP/1.1" 200
REQUEST_LINE = re.compile(r'"(GET|HEAD|PUT|POST|DELETE) (\S+) HTTP/[\d.]+\S*" (\d{3})')


@dataclass
class S3Server:
    url: str
    log_path: Path
    proc: subprocess.Popen

    def client(self):
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)

    def new_bucket(self) -> str:
        name = f"desk-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def env(self, bucket: str) -> dict[str, str]:
        """The environment a process of the desk needs to keep its files in ``bucket``."""
        return {"FILE_STORAGE": "s3", "S3_BUCKET": bucket, "S3_ENDPOINT_URL": self.url,
                "S3_REGION": REGION, "S3_ACCESS_KEY_ID": ACCESS_KEY,
                "S3_SECRET_ACCESS_KEY": SECRET_KEY}

    def log_mark(self) -> int:
        return self.log_path.stat().st_size

    def requests_since(self, mark: int) -> list[tuple[str, str, int]]:
        """(method, path, status) of every request the server answered since ``mark``."""
        with open(self.log_path, "rb") as log:
            log.seek(mark)
            text = log.read().decode(errors="replace")
        return [(m[1], m[2], int(m[3])) for m in REQUEST_LINE.finditer(text)]

    def keys(self, bucket: str) -> set[str]:
        pages = self.client().get_paginator("list_objects_v2").paginate(Bucket=bucket)
        return {entry["Key"] for page in pages for entry in page.get("Contents", ())}


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory):
    try:
        import moto.server  # noqa: F401
    except ImportError:  # a dev dependency; without it the S3 tests cannot run
        from tests.conftest import skip_or_fail

        skip_or_fail("moto[server] is not installed (pip install -e '.[dev]')")
    port = free_port()
    log_path = tmp_path_factory.mktemp("s3") / "moto.log"
    log = open(log_path, "ab")
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"})
    server = S3Server(f"http://127.0.0.1:{port}", log_path, proc)
    deadline = time.monotonic() + 30
    while True:
        try:
            server.client().list_buckets()
            break
        except Exception:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail(f"moto server did not start:\n{log_path.read_text()[-2000:]}")
            time.sleep(0.2)
    yield server
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


@dataclass
class FileStorage:
    """Which storage this run of the test uses, and what is stored in it."""

    kind: str
    media_root: Path
    server: S3Server | None = None
    bucket: str | None = None

    def names(self) -> set[str]:
        if self.kind == "s3":
            return self.server.keys(self.bucket)
        return {str(p.relative_to(self.media_root)) for p in self.media_root.rglob("*")
                if p.is_file()}


def use_bucket(monkeypatch, settings, server: S3Server, bucket: str) -> None:
    """Point this process's default storage at ``bucket``, configured from the
    same environment variables production sets."""
    for name, value in server.env(bucket).items():
        monkeypatch.setenv(name, value)
    kind, backend = default_storage_from_env(environ.Env())
    settings.FILE_STORAGE = kind
    settings.STORAGES = {**settings.STORAGES, "default": backend}


@pytest.fixture(params=["filesystem", "s3"])
def file_storage(request, settings, tmp_path, monkeypatch) -> FileStorage:
    media_root = tmp_path / "media"
    media_root.mkdir()
    settings.MEDIA_ROOT = str(media_root)
    if request.param == "filesystem":
        return FileStorage("filesystem", media_root)
    server = request.getfixturevalue("s3_server")
    bucket = server.new_bucket()
    use_bucket(monkeypatch, settings, server, bucket)
    return FileStorage("s3", media_root, server, bucket)
