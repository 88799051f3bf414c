"""Three machines in one test: web nodes A and B (gunicorn) and a worker node C
(Celery), each with its own empty MEDIA_ROOT and VAR_DIR, sharing only
PostgreSQL, Redis and an S3 bucket (a moto server process). What one node
stores, every other node serves; another shop's user gets 404 on every node."""

import datetime as dt
import io
import re
import time
from pathlib import Path

import openpyxl
import pytest
import requests
from django.conf import settings
from django.test import Client

from exports import retention
from exports.models import ExportJob, ExportStatus
from tests.evidence.images import png_of
from tests.integration.conftest import wait_for
from tests.s3server import use_bucket
from tickets.models import Evidence

pytestmark = [pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def node_dirs(tmp_path: Path, name: str) -> dict[str, str]:
    root = tmp_path / "nodes" / name
    (root / "media").mkdir(parents=True)
    (root / "var").mkdir()
    return {"MEDIA_ROOT": str(root / "media"), "VAR_DIR": str(root / "var")}


def files_under(dirs: dict[str, str]) -> list[Path]:
    return [p for p in Path(dirs["MEDIA_ROOT"]).rglob("*") if p.is_file()]


class Browser:
    """One person's cookie jar, used against whichever node the balancer picks."""

    def __init__(self, user, node):
        # The session lives in the shared database, so a session made here works
        # on every node (the nodes hash passwords differently from the test run).
        client = Client()
        client.force_login(user)
        self.session = requests.Session()
        self.session.cookies.set(settings.SESSION_COOKIE_NAME,
                                 client.cookies[settings.SESSION_COOKIE_NAME].value)
        assert self.get(node, "/tickets/").status_code == 200

    def get(self, node, path, **kwargs):
        return self.session.get(f"{node.url}{path}", allow_redirects=False, timeout=30,
                                **kwargs)

    def post(self, node, path, data, **kwargs):
        token = self.session.cookies.get(settings.CSRF_COOKIE_NAME)
        if token is None:  # set by the first page with a form
            self.get(node, "/accounts/login/")
            token = self.session.cookies[settings.CSRF_COOKIE_NAME]
        data = {**data, "csrfmiddlewaretoken": token}
        return self.session.post(f"{node.url}{path}", data=data, allow_redirects=False,
                                 timeout=30, **kwargs)


def test_files_stored_by_one_node_are_served_by_every_node(
        s3_server, web_node_factory, celery_worker_factory, tmp_path, settings, monkeypatch,
        merchant, outsider, agent, make_ticket, capsys):
    bucket = s3_server.new_bucket()
    storage_env = s3_server.env(bucket)
    dirs = {name: node_dirs(tmp_path, name) for name in ("a", "b", "c")}
    worker = celery_worker_factory(**storage_env, **dirs["c"])
    web_a = web_node_factory("a", **storage_env, **dirs["a"])
    web_b = web_node_factory("b", **storage_env, **dirs["b"])
    ticket = make_ticket()

    # Evidence: uploaded through A, opened by the agent through B.
    merchant_browser = Browser(merchant, web_a)
    image = png_of((64, 48), color=(200, 30, 30))
    response = merchant_browser.post(web_a, f"/tickets/{ticket.number}/reply/",
                                     {"body": "见图"}, files=[("evidence", ("a.png", image,
                                                                          "image/png"))])
    assert response.status_code == 303, response.text[:500]
    evidence = Evidence.objects.get()
    assert set(s3_server.keys(bucket)) == {evidence.image.name, evidence.thumbnail.name}

    agent_browser = Browser(agent, web_b)
    page = agent_browser.get(web_b, f"/tickets/{ticket.number}/")
    assert page.status_code == 200
    evidence_path = f"/tickets/{ticket.number}/evidence/{evidence.pk}/"
    assert re.search(re.escape(evidence_path), page.text)
    stored = s3_server.client().get_object(Bucket=bucket, Key=evidence.image.name)["Body"].read()
    mark = s3_server.log_mark()
    served = agent_browser.get(web_b, evidence_path)
    assert served.status_code == 200
    assert served.headers["Content-Type"] == "image/png"
    assert served.headers["X-Content-Type-Options"] == "nosniff"
    assert served.content == stored
    evidence_requests = s3_server.requests_since(mark)
    assert agent_browser.get(web_a, f"{evidence_path}thumbnail/").status_code == 200

    outsider_browser = Browser(outsider, web_b)
    for node in (web_a, web_b):
        assert outsider_browser.get(node, evidence_path).status_code == 404
        assert outsider_browser.get(node, f"{evidence_path}thumbnail/").status_code == 404

    # Export: requested through A, built by the worker on C, downloaded through A and B.
    started = time.monotonic()
    response = merchant_browser.post(web_a, "/exports/", {})
    assert response.status_code == 302, response.text[:500]
    job = ExportJob.objects.get()
    wait_for(lambda: ExportJob.objects.filter(pk=job.pk, status=ExportStatus.DONE).exists(),
             timeout=60, worker=worker)
    built_in = time.monotonic() - started
    job.refresh_from_db()
    assert job.file.name in s3_server.keys(bucket)
    bodies = []
    for node in (web_a, web_b):
        mark = s3_server.log_mark()
        download = merchant_browser.get(node, f"/exports/{job.pk}/download/")
        assert download.status_code == 200, download.text[:500]
        assert s3_server.requests_since(mark) == [("GET", f"/{bucket}/{job.file.name}", 200)]
        bodies.append(download.content)
        assert outsider_browser.get(node, f"/exports/{job.pk}/download/").status_code == 404
    assert bodies[0] == bodies[1]
    rows = list(openpyxl.load_workbook(io.BytesIO(bodies[0])).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][0] == ticket.number

    # No node kept a file on its own disk.
    for name, node_dir in dirs.items():
        assert files_under(node_dir) == [], name

    # Retention (any node's beat) removes the object; every node then says expired.
    use_bucket(monkeypatch, settings, s3_server, bucket)
    later = job.finished_at + dt.timedelta(days=8)
    assert retention.expire_old_exports(now=later) == 1
    assert job.file.name not in s3_server.keys(bucket)
    for node in (web_a, web_b):
        assert merchant_browser.get(node, f"/exports/{job.pk}/download/").status_code == 410

    with capsys.disabled():
        print(f"\n[multi-node] evidence download: {evidence_requests} "
              f"({len(served.content)} bytes through web B); export: {len(bodies[0])} bytes, "
              f"requested→done in {built_in:.1f}s")
