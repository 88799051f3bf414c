"""The export pages: the job list (own jobs; ops see all), the polled progress
row, the download (requester and ops only, 404 for anyone else, 410 once
expired) and the 导出 button of the ticket list."""

import datetime as dt
import json
import re
from html import unescape

import pytest
from django.core.files.base import ContentFile
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from tests.factories import MerchantFactory
from tickets.filters import TicketFilter


def done_job(user, *, shop=None, content=b"PK-xlsx", **fields):
    job = ExportJob.objects.create(requester=user, shop=shop, language="zh-hans",
                                   matched_count=3, rows_written=3, **fields)
    job.status = ExportStatus.DONE
    job.finished_at = timezone.now()
    job.file.save("服务单导出_A店_20261126-100000.xlsx", ContentFile(content), save=False)
    job.save()
    return job


# --- list ----------------------------------------------------------------------

@pytest.mark.django_db
def test_merchant_sees_only_their_own_jobs_newest_first(client, merchant, outsider, shop_a):
    older = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                     created_at=timezone.now() - dt.timedelta(hours=1))
    newer = ExportJob.objects.create(requester=merchant, language="en", matched_count=2)
    ExportJob.objects.create(requester=outsider, language="en", matched_count=9)
    client.force_login(merchant)
    response = client.get("/exports/")
    assert response.status_code == 200
    assert [job.pk for job in response.context["jobs"]] == [newer.pk, older.pk]


@pytest.mark.django_db
def test_ops_see_every_job(client, ops, merchant, outsider):
    for user in (merchant, outsider):
        ExportJob.objects.create(requester=user, language="en", matched_count=1)
    client.force_login(ops)
    assert len(client.get("/exports/").context["jobs"]) == 2


@pytest.mark.django_db
def test_list_query_count_does_not_grow_with_jobs(client, ops, merchant,
                                                  django_assert_max_num_queries):
    for _ in range(15):
        done_job(merchant)
        ExportJob.objects.create(requester=merchant, language="en", matched_count=5,
                                 status=ExportStatus.FAILED, error="boom")
    client.force_login(ops)
    with django_assert_max_num_queries(8):
        response = client.get("/exports/")
    assert response.status_code == 200 and len(response.context["jobs"]) == 20


@pytest.mark.django_db
def test_list_shows_progress_error_and_download_link(client, merchant):
    running = ExportJob.objects.create(requester=merchant, language="en", matched_count=10_000,
                                       status=ExportStatus.RUNNING, rows_written=2_500)
    failed = ExportJob.objects.create(requester=merchant, language="en", matched_count=5,
                                      status=ExportStatus.FAILED,
                                      error="导出失败（OSError），请重试。")
    done = done_job(merchant)
    client.force_login(merchant)
    html = client.get("/exports/").content.decode()
    # The running job's row polls itself; finished rows do not.
    assert f'hx-get="/exports/{running.pk}/row/"' in html
    assert f'hx-get="/exports/{failed.pk}/row/"' not in html
    assert 'value="25"' in html  # 2,500 of 10,000
    assert "导出失败（OSError），请重试。" in html
    assert f'href="/exports/{done.pk}/download/"' in html


@pytest.mark.django_db
def test_progress_row_moves_and_stops_polling_when_done(client, merchant):
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=8,
                                   status=ExportStatus.RUNNING, rows_written=2)
    client.force_login(merchant)
    html = client.get(f"/exports/{job.pk}/row/").content.decode()
    assert 'value="25"' in html and "hx-trigger" in html
    ExportJob.objects.filter(pk=job.pk).update(rows_written=8)
    job.refresh_from_db()
    job.status = ExportStatus.DONE
    job.file.save("x.xlsx", ContentFile(b"PK"), save=False)
    job.save()
    html = client.get(f"/exports/{job.pk}/row/").content.decode()
    assert 'value="100"' in html and "hx-trigger" not in html and "/download/" in html


@pytest.mark.django_db
def test_progress_row_of_another_users_job_is_404(client, merchant, outsider):
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1)
    client.force_login(outsider)
    assert client.get(f"/exports/{job.pk}/row/").status_code == 404


def filter_fields(html: str) -> list[str]:
    """The filter grid's fields (label, widget, errors), in order."""
    grid = html[html.index('class="filter-grid"'):html.index('class="filter-actions"')]
    return re.findall(r'<div class="field.*?</div>', grid, re.S)


@pytest.mark.django_db
def test_new_export_form_is_the_ticket_lists_filter_form_plus_the_status(client, merchant,
                                                                          service_type):
    client.force_login(merchant)
    query = {"order_number": "6901", "created_before": "2026-11-30",
             "created_after": "2026-11-26T08:30"}
    export_page = client.get("/exports/", query).content.decode()
    list_page = client.get("/tickets/", query).content.decode()
    status, *rest = filter_fields(export_page)
    assert rest == filter_fields(list_page)
    assert '<label for="id_status">状态</label>' in status
    assert '<option value="" selected>全部</option>' in status
    assert 'type="date" name="created_before" value="2026-11-30"' in export_page
    assert "---------" not in export_page and ":</label>" not in export_page


@pytest.mark.django_db
def test_jobs_show_status_tags_and_the_file_as_a_download_button(client, merchant):
    running = ExportJob.objects.create(requester=merchant, language="en", matched_count=4,
                                       status=ExportStatus.RUNNING, rows_written=1)
    failed = ExportJob.objects.create(requester=merchant, language="en", matched_count=5,
                                      status=ExportStatus.FAILED, error="boom")
    done = done_job(merchant)
    client.force_login(merchant)
    html = client.get("/exports/").content.decode()
    for job in (running, failed, done):
        assert f'class="badge export-status-{job.status}"' in html
    assert re.search(rf'<a class="button small" href="/exports/{done.pk}/download/"', html)
    failed_row = html[html.index(f'id="export-job-{failed.pk}"'):]
    assert "<progress" not in failed_row[:failed_row.index("</tr>")]


# --- download ------------------------------------------------------------------

@pytest.mark.django_db
def test_requester_downloads_the_file_under_its_name(client, merchant):
    job = done_job(merchant, content=b"PK-the-file")
    client.force_login(merchant)
    response = client.get(f"/exports/{job.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"PK-the-file"
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=utf-8''" in disposition


@pytest.mark.django_db
def test_ops_may_download_anyones_file(client, ops, merchant):
    job = done_job(merchant)
    client.force_login(ops)
    assert client.get(f"/exports/{job.pk}/download/").status_code == 200


@pytest.mark.django_db
def test_another_merchant_gets_404_even_from_the_same_shop(client, merchant, outsider, shop_a):
    job = done_job(merchant)
    colleague = MerchantFactory(username="colleague_a", membership__shop=shop_a)
    for user in (outsider, colleague):
        client.force_login(user)
        assert client.get(f"/exports/{job.pk}/download/").status_code == 404


@pytest.mark.django_db
def test_unknown_job_is_404(client, merchant):
    client.force_login(merchant)
    assert client.get("/exports/999999/download/").status_code == 404


@pytest.mark.django_db
def test_expired_job_says_it_expired_with_410(client, merchant):
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                   status=ExportStatus.EXPIRED)
    client.force_login(merchant)
    response = client.get(f"/exports/{job.pk}/download/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 410
    assert "This export has expired: files are kept for 7 days." in response.content.decode()


@pytest.mark.django_db
def test_unfinished_or_failed_job_has_nothing_to_download(client, merchant):
    client.force_login(merchant)
    for status in (ExportStatus.QUEUED, ExportStatus.RUNNING, ExportStatus.FAILED):
        job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                       status=status)
        assert client.get(f"/exports/{job.pk}/download/").status_code == 409


# --- the button on the ticket list ------------------------------------------------

@pytest.mark.django_db
def test_button_posts_the_lists_applied_filter_as_fields(merchant):
    request = RequestFactory().get("/tickets/")
    request.user = merchant
    html = render_to_string("exports/_export_button.html",
                            {"export_query": "status=pending&order_number=6900001"},
                            request=request)
    assert 'hx-post="/exports/"' in html  # no query string: the fields are the filter
    posted = json.loads(unescape(re.search(r'hx-vals="([^"]*)"', html).group(1)))
    # Every field of the filter, so the surrounding form's edited-but-unapplied
    # inputs are overridden, blank where the list sets nothing.
    assert posted == {**{name: "" for name in TicketFilter.base_filters},
                      "status": "pending", "order_number": "6900001"}
    params = re.search(r'hx-params="([^"]*)"', html).group(1).split(",")
    assert sorted(params) == sorted(TicketFilter.base_filters)
    assert "<form" not in html  # it lives inside the list's own filter form


def test_htmx_post_with_the_filter_as_fields_starts_the_export_and_redirects(
        client, merchant, make_ticket):
    make_ticket()
    client.force_login(merchant)
    response = client.post("/exports/", {"status": "pending", "order_number": ""},
                           HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and response["HX-Redirect"] == "/exports/"
    job = ExportJob.objects.get()
    assert job.filter_params == {"status": "pending"} and job.matched_count == 1


@pytest.mark.parametrize("htmx", [False, True])
def test_export_takes_exactly_the_posted_filter_not_the_query_string(
        client, merchant, make_ticket, htmx):
    make_ticket()
    ticket = make_ticket()
    client.force_login(merchant)
    extra = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = client.post(f"/exports/?status=closed&number={ticket.number}",
                           {"status": "pending"}, **extra)
    assert response.status_code in (200, 302)
    job = ExportJob.objects.get()
    assert job.filter_params == {"status": "pending"} and job.matched_count == 2


def test_get_with_filter_parameters_only_shows_the_list(client, merchant, make_ticket):
    make_ticket()
    client.force_login(merchant)
    response = client.get("/exports/", {"status": "pending"})
    assert response.status_code == 200
    assert not ExportJob.objects.exists()
    assert response.context["filter_form"]["status"].value() == "pending"


def test_htmx_refusal_is_a_fragment_with_the_status_and_retry_after(
        client, merchant, make_ticket):
    make_ticket()
    client.force_login(merchant)
    client.post("/exports/", HTTP_HX_REQUEST="true")
    response = client.post("/exports/", HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429 and int(response["Retry-After"]) > 55
    html = response.content.decode()
    assert "Try again in" in html and "<html" not in html


def test_a_refused_export_form_shows_the_reason_once(client, merchant, make_ticket):
    make_ticket()
    client.force_login(merchant)
    client.post("/exports/")
    response = client.post("/exports/", {"status": "closed"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 429
    html = response.content.decode()
    assert html.count("Try again in") == 1
    assert 'data-testid="export-error"' in html
    assert '<option value="closed" selected>' in html  # the form keeps the filter
