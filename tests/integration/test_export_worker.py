"""The real export path once: POST /exports/ in this process, the task published
to Redis, a real Celery worker process building the file against the PostgreSQL
test database, and openpyxl reading the file back.

The request is published to Redis by the ``publish_to_redis`` fixture
(tests/integration/conftest.py), as production sends it.
"""

import pytest

from exports.models import ExportJob, ExportStatus
from tests.exports.conftest import bulk_tickets, read_rows  # noqa: F401
from tests.integration.conftest import wait_for

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def test_worker_process_builds_a_file_openpyxl_reads_back_with_every_row(
        celery_worker_factory, publish_to_redis, client, merchant, shop_a, shop_b,
        make_ticket, bulk_tickets):  # noqa: F811
    bulk_tickets(6_000, shop=shop_a)  # more than one progress step
    bulk_tickets(50, shop=shop_b)     # not the merchant's
    make_ticket(content="=1+1")
    worker = celery_worker_factory()

    client.force_login(merchant)
    response = client.post("/exports/", {}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302
    job = ExportJob.objects.get()
    assert job.matched_count == 6_001

    wait_for(lambda: ExportJob.objects.filter(
        pk=job.pk, status__in=[ExportStatus.DONE, ExportStatus.FAILED]).exists(),
        timeout=120, worker=worker)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE, job.error
    assert "exports.tasks.build_export" in worker.log()  # built there, not inline here
    assert job.rows_written == 6_001
    rows = read_rows(job)
    assert rows[0][0] == "Ticket number"
    assert len(rows) == 1 + 6_001
    assert {row[2] for row in rows[1:]} == {shop_a.name}
