"""bench_pages keeps working: on a tiny database it seeds, measures every page
for a merchant and for ops, and prints the table with query counts."""

from io import StringIO

from django.core.management import call_command

from tickets.models import Ticket


def test_bench_pages_prints_a_row_per_page_and_user(db):
    out = StringIO()
    call_command("bench_pages", tickets=60, repeat=1, stdout=out)
    table = [line for line in out.getvalue().splitlines() if line.startswith("| ")]
    assert Ticket.objects.count() >= 60
    # header, 15 pages for each of two users, and the assigned-to-me tab (two
    # rows: first and deep page) for the merchant
    assert len(table) == 1 + 2 * 15 + 2
    assert any("deep page, pending" in row and "merchant1" in row for row in table)
    assert any("tab assigned to me" in row and "merchant1" in row for row in table)
    verdicts = [line for line in out.getvalue().splitlines() if line.startswith("target ")]
    assert len(verdicts) == 3
    assert verdicts[-1].startswith("target assigned to me, deep page extra queries: 0.00")
    assert all(row.rstrip(" |").split("|")[-1].strip().isdigit() for row in table[1:])


def test_bench_pages_does_not_seed_twice(db):
    call_command("bench_pages", tickets=40, repeat=1, stdout=StringIO())
    before = Ticket.objects.count()
    call_command("bench_pages", tickets=40, repeat=1, stdout=StringIO())
    assert Ticket.objects.count() == before


def test_bench_api_prints_a_row_per_figure_and_the_sync(db):
    call_command("bench_pages", tickets=60, repeat=1, stdout=StringIO())
    out = StringIO()
    call_command("bench_api", repeat=1, sync_tickets=30, stdout=out)
    text = out.getvalue()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| GET /api/v1/tickets/ |")
    assert len(table) > 2
    assert all(row.rstrip(" |").split("|")[-1].strip().isdigit() for row in table[2:])
    assert "Slowest median" in text


def test_bench_batch_reply_compares_the_two_paths(db):
    out = StringIO()
    call_command("bench_batch_reply", size=3, rounds=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("round 1:") for line in lines)
    assert lines[-1].startswith("target batch reply / 3 single replies (median")
    # Every ticket of both paths went through the lifecycle once.
    assert Ticket.objects.filter(order__product_title="批量回复测试",
                                 status="under_review").count() == 2 * 3 * 3
