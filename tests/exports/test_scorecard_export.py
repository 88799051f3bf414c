"""Ops export the scorecard ranking through the export jobs: the same cap,
cooldown, file storage and download rules as a ticket export. Merchants and
agents cannot, and nobody else's job is theirs to download."""

import pytest
from django.test import Client, override_settings

from exports.models import ExportJob, ExportKind, ExportStatus
from tests.exports.conftest import read_rows
from tests.scorecard.conftest import history  # noqa: F401  (the fixture)


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_ops_export_the_ranking_on_screen(ops, history, shop_a, shop_b,  # noqa: F811
                                         django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(ops).post("/exports/scorecard/", {"days": "7"})
    assert response.status_code == 302 and response["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert job.kind == ExportKind.SCORECARD and job.status == ExportStatus.DONE, job.error
    assert job.filter_params == {"days": "7"}
    rows = read_rows(job)
    # Header, then the shops worst on-time rate first: B timed out its only ticket.
    assert [row[0] for row in rows[1:]] == [shop_b.name, shop_a.name]
    a = rows[2]
    assert a[2:8] == (4, 3, 1, 1, 1, 66.7)
    page = client_for(ops).get("/exports/").content.decode()
    assert "近 7 天" in page or "last 7 days" in page.lower()


def test_the_cooldown_applies_to_the_ranking_too(ops, history):  # noqa: F811
    client = client_for(ops)
    assert client.post("/exports/scorecard/", {"days": "30"}).status_code == 302
    refused = client.post("/exports/scorecard/", {"days": "30"})
    assert refused.status_code == 429 and int(refused["Retry-After"]) > 0
    assert ExportJob.objects.count() == 1


@override_settings(EXPORT_MAX_ROWS=1)
def test_the_cap_counts_one_row_per_shop(ops, history):  # noqa: F811
    assert client_for(ops).post("/exports/scorecard/", {"days": "30"}).status_code == 400
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("role", ["merchant", "agent"])
def test_only_ops_may_export_the_ranking(request, role, history):  # noqa: F811
    response = client_for(request.getfixturevalue(role)).post("/exports/scorecard/",
                                                              {"days": "30"})
    assert response.status_code == 403
    assert not ExportJob.objects.exists()


def test_bad_parameters_are_400(ops, history):  # noqa: F811
    assert client_for(ops).post("/exports/scorecard/", {"days": "8"}).status_code == 400
    assert client_for(ops).post("/exports/scorecard/",
                                {"service_type": "nope"}).status_code == 400
    assert not ExportJob.objects.exists()


def test_a_merchant_cannot_download_the_ranking(ops, merchant, history,  # noqa: F811
                                                django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client_for(ops).post("/exports/scorecard/", {"days": "30"})
    job = ExportJob.objects.get()
    assert client_for(merchant).get(f"/exports/{job.pk}/download/").status_code == 404
    assert client_for(ops).get(f"/exports/{job.pk}/download/").status_code == 200
