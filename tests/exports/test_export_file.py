"""What lands in the file: scope, exactly the list's rows, headers in the
requester's language, real datetimes and numbers, neutralised formulas, the
name, the cap inside the task, and a clean restart after a retry."""

import datetime as dt
import io
import zipfile
from zoneinfo import ZoneInfo

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings

from exports import builder, writer
from exports.models import ExportJob, ExportStatus
from tests.exports.conftest import read_cells, read_rows
from tests.factories import ServiceTypeFactory
from tickets import lifecycle
from tickets.filters import TicketFilter
from tickets.models import Ticket

SHANGHAI_NOON = dt.datetime(2026, 11, 20, 4, 0, tzinfo=dt.UTC)  # 12:00 in Shanghai

EN_HEADERS = ("Ticket number", "Order number", "Shop", "Service type", "Status", "Resolution",
              "Created time", "Handling deadline", "First reply time", "Last reply time",
              "Reject count", "Last rejection reason", "Closed time", "Content")
ZH_HEADERS = ("服务单号", "订单号", "店铺", "服务类型", "状态", "处理结果", "创建时间",
              "处理截止时间", "首次回复时间", "最近回复时间", "驳回次数", "最近驳回原因",
              "关闭时间", "内容")


@pytest.fixture
def export_now(post_export, django_capture_on_commit_callbacks):
    """export_now(user, language=..., **filter) -> the finished job (task run inline)."""

    def run(user, **params):
        with django_capture_on_commit_callbacks(execute=True):
            response = post_export(user, **params)
        assert response.status_code == 302, response.content.decode()[:2000]
        job = ExportJob.objects.filter(requester=user).latest("id")
        assert job.status == ExportStatus.DONE, job.error
        return job

    return run


def files_in(folder: str) -> list[str]:
    # A folder is no object in a bucket (exists() is False there): list it.
    try:
        return sorted(default_storage.listdir(folder)[1])
    except FileNotFoundError:
        return []


def numbers_in(job) -> list[str]:
    return [row[0] for row in read_rows(job)[1:]]


def test_merchant_export_never_contains_another_shops_rows(export_now, merchant, shop_b,
                                                            make_ticket):
    own = [make_ticket().number for _ in range(3)]
    make_ticket(shop=shop_b)
    job = export_now(merchant)
    assert sorted(numbers_in(job)) == sorted(own)
    assert job.rows_written == 3 and job.matched_count == 3


@pytest.mark.parametrize("params", [
    {},
    {"status": "pending"},
    {"status": "under_review"},
    {"service_type": "invoice"},
    {"created_after": "2026-11-20", "created_before": "2026-11-21"},
    {"created_after": "2026-11-21T09:00"},
])
def test_file_rows_are_exactly_the_lists_rows_in_the_lists_order(
        params, export_now, time_machine, ops, merchant, shop_b, make_ticket):
    invoice = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    for day in range(18, 24):
        time_machine.move_to(SHANGHAI_NOON.replace(day=day), tick=False)
        make_ticket()
        make_ticket(shop=shop_b, service_type_=invoice)
        lifecycle.reply(make_ticket(), actor=merchant, body="已处理")
    expected = list(
        TicketFilter(params, queryset=Ticket.objects.visible_to(ops)).qs
        .order_by("-created_at", "-id").values_list("number", flat=True)
    )
    assert expected, "the filter must match something to prove anything"
    assert numbers_in(export_now(ops, **params)) == expected


def test_headers_follow_the_requesters_language(export_now, merchant, ops, make_ticket):
    make_ticket()
    assert read_rows(export_now(merchant, language="en"))[0] == EN_HEADERS
    assert read_rows(export_now(ops, language="zh-hans"))[0] == ZH_HEADERS


def test_labels_follow_the_requesters_language(export_now, merchant, agent, make_ticket):
    ticket = make_ticket()
    lifecycle.close_as_agreed(ticket, actor=agent)
    row = read_rows(export_now(merchant, language="en"))[1]
    assert row[3:6] == ("Shipping urge", "Closed", "Agreement reached")


def test_times_are_excel_datetimes_in_the_shop_time_zone_and_counts_are_numbers(
        export_now, time_machine, merchant, agent, make_ticket):
    time_machine.move_to(SHANGHAI_NOON, tick=False)
    ticket = make_ticket()
    time_machine.shift(dt.timedelta(hours=1))
    lifecycle.reply(ticket, actor=merchant, body="好的")
    lifecycle.reject(ticket, actor=agent, reason_code="mismatch", reason="请补充单号")
    time_machine.shift(dt.timedelta(hours=1))
    job = export_now(merchant, language="en")
    row = dict(zip(EN_HEADERS, read_rows(job)[1], strict=True))
    assert row["Created time"] == dt.datetime(2026, 11, 20, 12, 0)  # naive, Shanghai
    assert row["First reply time"] == dt.datetime(2026, 11, 20, 13, 0)
    assert row["Handling deadline"] == dt.datetime(2026, 11, 21, 13, 0)  # 24 h after the reject
    assert row["Closed time"] is None
    assert row["Reject count"] == 1 and isinstance(row["Reject count"], int)
    assert row["Last rejection reason"] == "Reply does not match the order"
    created_cell = read_cells(job)[1][6]
    assert created_cell.is_date


@pytest.mark.parametrize("dangerous", [
    '=HYPERLINK("http://evil.example","点击退款")', "+1+1", "-2+3", "@SUM(1,2)",
    "\t=1+1", "\r=1+1",
])
def test_text_that_looks_like_a_formula_is_written_as_text(
        dangerous, export_now, merchant, make_ticket):
    make_ticket(content=dangerous)
    job = export_now(merchant)
    cell = read_cells(job)[1][13]
    assert cell.data_type == "s"
    assert cell.quotePrefix  # Excel keeps it text even when the cell is edited
    assert cell.value.lstrip("\r\n\t") == dangerous.lstrip("\r\n\t")
    with default_storage.open(job.file.name, "rb") as fh:
        sheet_xml = zipfile.ZipFile(fh).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in sheet_xml and b"<f " not in sheet_xml


def test_control_characters_are_stripped_not_fatal(export_now, merchant, make_ticket):
    make_ticket(content="第一行\x0b第二行\x1f结束\x08")
    assert read_rows(export_now(merchant))[1][13] == "第一行第二行结束"


def test_file_is_named_after_the_shop_and_the_request_time(
        export_now, time_machine, merchant, ops, make_ticket):
    time_machine.move_to(SHANGHAI_NOON, tick=False)
    make_ticket()
    assert export_now(merchant).file_name == "服务单导出_A店潮流服饰_20261120-120000.xlsx"
    assert export_now(ops).file_name == "服务单导出_全部_20261120-120000.xlsx"

def test_file_name_follows_the_requesters_language(export_now, time_machine, ops, make_ticket):
    time_machine.move_to(SHANGHAI_NOON, tick=False)
    make_ticket()
    assert export_now(ops, language="en").file_name == "ticket-export_all_20261120-120000.xlsx"


def test_task_never_writes_more_than_the_cap(post_export, django_capture_on_commit_callbacks,
                                              merchant, shop_a, bulk_tickets):
    bulk_tickets(3, shop=shop_a)
    with override_settings(EXPORT_MAX_ROWS=3):
        assert post_export(merchant, language="en").status_code == 302
        job = ExportJob.objects.get()
        bulk_tickets(1, shop=shop_a)  # more rows match by the time the task runs
        builder.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "More than 3 tickets match this filter now" in job.error
    assert not job.file and files_in(job.storage_folder) == []


def test_a_re_enqueued_job_starts_over_cleanly(merchant, shop_a, make_ticket, file_storage):
    for _ in range(3):
        make_ticket()
    # What the reaper leaves after a worker died mid-run: queued again, second attempt,
    # and the dead run's output still in the job's folder.
    job = ExportJob.objects.create(requester=merchant, shop=shop_a, language="en",
                                   matched_count=3, status=ExportStatus.QUEUED,
                                   rows_written=2, attempts=2)
    partial = default_storage.save(f"{job.storage_folder}/partial.xlsx", ContentFile(b"PK..."))
    builder.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and job.rows_written == 3 and job.attempts == 2
    assert not default_storage.exists(partial)
    assert files_in(job.storage_folder) == [job.file_name]
    assert len(read_rows(job)) == 4


def test_running_a_finished_job_again_changes_nothing(export_now, merchant, make_ticket):
    make_ticket()
    job = export_now(merchant)
    assert builder.run_export(job.pk) is None
    job.refresh_from_db()
    assert job.status == ExportStatus.DONE and default_storage.exists(job.file.name)


def test_a_redelivered_message_leaves_a_running_job_to_the_reaper(merchant, make_ticket):
    """Redis hands the message of a dead worker out again, but whether that job
    runs once more is the reaper's decision (it counts the attempts)."""
    make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1,
                                   status=ExportStatus.RUNNING, rows_written=0)
    assert builder.run_export(job.pk) is None
    job.refresh_from_db()
    assert job.status == ExportStatus.RUNNING and job.attempts == 1 and not job.file


def test_failure_while_writing_ends_failed_with_a_readable_error_and_no_partial_file(
        monkeypatch, merchant, make_ticket, file_storage):
    make_ticket()
    job = ExportJob.objects.create(requester=merchant, language="en", matched_count=1)

    def write_then_fail(rows, out, **kwargs):
        default_storage.save(f"{job.storage_folder}/half.xlsx", ContentFile(b"half"))
        raise OSError("disk full")

    monkeypatch.setattr(writer, "write_workbook", write_then_fail)
    builder.run_export(job.pk)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert job.error == "The export failed (OSError). Please try again."
    assert files_in(job.storage_folder) == []


def test_writer_reports_progress_every_few_rows_and_stops_at_the_cap():
    columns = writer.columns_for("en")
    row = ("1", "2", "shop", "type", "pending", "", None, None, None, None, 0, None, None, "x")
    seen = []
    written = writer.write_workbook([row] * 5, io.BytesIO(), columns=columns, max_rows=5,
                                    on_progress=seen.append, progress_every=2)
    assert written == 5 and seen == [2, 4]
    with pytest.raises(writer.RowLimitExceeded):
        writer.write_workbook([row] * 6, io.BytesIO(), columns=columns, max_rows=5)


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "America/New_York", "Australia/Lord_Howe"])
def test_utc_text_becomes_the_zones_local_time_across_its_offset_changes(settings, zone):
    # SQLite hands the times over as UTC text; the writer shifts them by the
    # offset of their UTC day, and must not across a change (Lord Howe's is
    # half an hour).
    settings.TIME_ZONE = zone
    to_local = writer._local_time(writer.UTC_TEXT)
    start = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    for minutes in range(0, 366 * 24 * 60, 5):
        moment = start + dt.timedelta(minutes=minutes, microseconds=minutes % 2 * 250_001)
        text = str(moment.replace(tzinfo=None))  # as Django stores it: no zeros after the second
        assert to_local(text) == moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None), text


def test_text_loses_exactly_the_characters_openpyxl_refuses():
    # The writer skips the search for text that is all printable: a printable
    # character openpyxl refused would slip through and kill the sheet.
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    convert = writer._row_converter([writer.Column("Content", "content", writer.TEXT)],
                                    sheet=None, datetimes=writer.LOCAL)
    refused = []
    for code in range(0x110000):
        char = chr(code)
        [written] = convert((f"a{char}b",))
        if ILLEGAL_CHARACTERS_RE.search(char):
            refused.append(char)
            assert written == "ab", hex(code)
        else:
            assert written == f"a{char}b", hex(code)
    assert len(refused) == 29  # the C0 controls but tab, line feed and carriage return
