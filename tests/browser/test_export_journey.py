"""A merchant's export, in Chromium: filter, click 导出, watch the job's progress
bar reach done without reloading, download the file and open it; a second
click within the minute is refused with the seconds left.

The journey starts on /exports/ (its new-export form takes the same filter as
the ticket list); the list page's own button posts the same request.

The live server runs Celery eagerly, which would finish the job inside the
click. Here the broker is played by the test instead: the task message is
caught, the page shows the job queued and polls it, then the test runs the
task, as a worker would, and the polled row turns to done.
"""

import re

import openpyxl
import pytest
from playwright.sync_api import expect

from exports.models import ExportJob
from exports.tasks import build_export
from tests.exports.conftest import read_rows
from tickets import lifecycle

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "zh-CN", "accept_downloads": True}


@pytest.fixture
def broker(monkeypatch):
    """Task messages the pages sent, held until the test runs them."""
    sent = []
    monkeypatch.setattr(build_export, "apply_async", lambda args, **kw: sent.append(args))
    return sent


def test_merchant_exports_filtered_tickets_and_downloads_the_file(
        page, live_server, login, screenshot, broker, tmp_path, merchant, shop_b, make_ticket):
    pending = [make_ticket(content=f"买家催发货 {i}") for i in range(4)]
    lifecycle.reply(pending.pop(), actor=merchant, body="已发货")  # now under review
    make_ticket(shop=shop_b)  # another shop's: never in the file

    login(page, merchant)
    page.goto(f"{live_server.url}/exports/")
    page.select_option("#id_status", "pending")
    page.click("[data-testid=export-button]")

    page.wait_for_url(f"{live_server.url}/exports/")
    job = ExportJob.objects.get()
    row = page.locator(f"#export-job-{job.pk}")
    expect(row).to_have_attribute("data-status", "queued")
    expect(row.locator("progress")).to_have_attribute("value", "0")
    screenshot(page, "export-queued")

    assert broker == [(job.pk,)]
    build_export.apply(args=broker.pop())  # the worker's turn

    expect(row).to_have_attribute("data-status", "done", timeout=10_000)  # htmx polling
    expect(row.locator("progress")).to_have_attribute("value", "100")
    screenshot(page, "export-done")

    with page.expect_download() as download_info:
        row.locator("[data-testid=export-download]").click()
    download = download_info.value
    job.refresh_from_db()
    assert download.suggested_filename == job.file_name
    assert re.fullmatch(r"服务单导出_A店潮流服饰_\d{8}-\d{6}\.xlsx", job.file_name)
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)
    sheet = openpyxl.load_workbook(saved).active
    numbers = sorted(r[0] for r in sheet.iter_rows(min_row=2, values_only=True))
    assert numbers == sorted(t.number for t in pending)

    # A second click within the minute: refused, with the seconds left.
    page.select_option("#id_status", "closed")
    page.click("[data-testid=export-button]")
    error = page.locator("[data-testid=export-error]")
    expect(error).to_contain_text(re.compile(r"请 \d+ 秒后再试"))
    screenshot(page, "export-cooldown")
    assert ExportJob.objects.count() == 1 and broker == []


def test_export_button_on_the_ticket_list_exports_the_lists_filter(
        page, live_server, login, screenshot, broker, merchant, make_ticket):
    """The 导出 button inside the list's filter form (tickets/list.html includes
    exports/_export_button.html there) posts the filter on screen, tab included."""
    pending = make_ticket()
    lifecycle.reply(make_ticket(), actor=merchant, body="已发货")  # under review: not exported

    login(page, merchant)
    page.goto(f"{live_server.url}/tickets/?status=pending")
    # Typed but not applied: the list does not show it, so the export must not use it.
    page.fill("#id_order_number", "6900000000")
    page.click("[data-testid=export-button]")
    page.wait_for_url(f"{live_server.url}/exports/")  # HX-Redirect
    job = ExportJob.objects.get()
    assert job.filter_params == {"status": "pending"} and job.matched_count == 1
    assert broker == [(job.pk,)]
    build_export.apply(args=broker.pop())
    sheet_numbers = [row[0] for row in read_rows(ExportJob.objects.get())[1:]]
    assert sheet_numbers == [pending.number]

    # Within the minute: the refusal appears next to the button, page unchanged.
    page.goto(f"{live_server.url}/tickets/?status=pending")
    page.click("[data-testid=export-button]")
    expect(page.locator(".export-feedback")).to_contain_text(re.compile(r"请 \d+ 秒后再试"))
    assert page.url.endswith("/tickets/?status=pending")
    # Spoken once, by the page's one live region, and focus is on the message.
    expect(page.locator("#live-region")).to_contain_text(re.compile(r"请 \d+ 秒后再试"))
    assert page.evaluate("document.activeElement.classList.contains('export-feedback')")
    screenshot(page, "export-button-cooldown")
