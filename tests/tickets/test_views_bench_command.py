"""bench_pages and bench_api keep working: on a tiny database they seed,
measure every figure for a merchant and for ops, print the table with query
counts and end with their target lines; a figure whose requests cost different
numbers of queries stops the run."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client

from tickets.benchmarking import QueryCountVaries, same_query_counts, time_get
from tickets.models import Ticket

TARGET_LINE = re.compile(
    r"^target [\w ]+: [\d.]+( ms|x)? \(limit [≤≥] [\d.]+( ms|x)?\) (PASS|FAIL)$")


def _targets(text):
    lines = text.rstrip().splitlines()
    targets = [line for line in lines if line.startswith("target ")]
    assert targets and lines[-len(targets):] == targets, "the target lines come last"
    assert all(TARGET_LINE.match(line) for line in targets), targets
    return targets


def test_bench_pages_prints_a_row_per_page_and_user(db):
    out = StringIO()
    call_command("bench_pages", tickets=60, repeat=2, stdout=out)
    text = out.getvalue()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert Ticket.objects.count() >= 60
    # header, 15 figures for each of two users, the assigned-to-me tab (two
    # rows: first and deep page) for the merchant, the workbench fragment for
    # the agent
    assert len(table) == 1 + 2 * 15 + 2 + 1
    assert any("workbench fragment" in row and "agent1" in row for row in table)
    assert any("deep page, pending" in row and "merchant1" in row for row in table)
    assert any("tab assigned to me" in row and "merchant1" in row for row in table)
    assert [line.split(":")[0] for line in _targets(text)] == [
        "target pages_query_count_mismatches", "target pages_slowest_median",
        "target pages_due_soon_median", "target pages_assigned_to_me_median",
        "target pages_workbench_fragment_median"]
    assert all(row.rstrip(" |").split("|")[-1].strip().isdigit() for row in table[1:])
    targets = _targets(text)
    assert "target pages_query_count_mismatches: 0.00 (limit ≤ 0) PASS" in targets
    assert any(line.startswith("target pages_slowest_median:") for line in targets)


def test_bench_pages_does_not_seed_twice(db):
    call_command("bench_pages", tickets=40, repeat=1, stdout=StringIO())
    before = Ticket.objects.count()
    call_command("bench_pages", tickets=40, repeat=1, stdout=StringIO())
    assert Ticket.objects.count() == before


def test_bench_api_prints_a_row_per_figure_and_the_sync(db):
    call_command("bench_pages", tickets=60, repeat=1, stdout=StringIO())
    out = StringIO()
    call_command("bench_api", repeat=2, sync_tickets=30, stdout=out)
    text = out.getvalue()
    table = [line for line in text.splitlines() if line.startswith("| ")]
    assert table[0].startswith("| GET /api/v1/tickets/ |")
    assert len(table) == 1 + 2 * 15  # header, 15 figures for each of two users
    assert all(row.rstrip(" |").split("|")[-1].strip().isdigit() for row in table[2:])
    # At most 30: the merchant's shop's settled changes of the 60 seeded tickets
    # (the command itself stops if the pull and the floor read different rows).
    assert "Slowest median" in text and re.search(r"ERP sync, [1-9]\d* tickets", text)
    targets = _targets(text)
    assert "target api_query_count_mismatches: 0.00 (limit ≤ 0) PASS" in targets
    assert [line.split(":")[0] for line in targets] == [
        "target api_query_count_mismatches", "target api_list_slowest_median",
        "target erp_sync_vs_values_list"]


def test_a_figure_whose_urls_cost_different_queries_stops_the_run(admin_user):
    client = Client()
    client.force_login(admin_user)
    # The list page and the handling-times page cost different numbers of queries.
    with pytest.raises(QueryCountVaries):
        time_get(client, ["/tickets/?status=all", "/handling-times/"], 4)
    median, p90, queries = time_get(client, ["/tickets/?status=all", "/tickets/?status=closed"],
                                    4)
    assert queries > 0 and p90 >= median > 0


def test_first_and_deep_pages_that_differ_are_reported():
    rows = [("first", "u", 1.0, 1.0, 3), ("deep", "u", 1.0, 1.0, 4),
            ("first", "v", 1.0, 1.0, 3), ("deep", "v", 1.0, 1.0, 3)]
    assert same_query_counts(rows, [("first", "deep")]) == ["u: {'first': 3, 'deep': 4}"]


def test_bench_batch_reply_compares_the_two_paths(db):
    out = StringIO()
    call_command("bench_batch_reply", size=3, rounds=1, stdout=out)
    lines = out.getvalue().splitlines()
    assert any(line.startswith("round 1:") for line in lines)
    assert lines[-1].startswith("target batch reply / 3 single replies (median")
    # Every ticket of both paths went through the lifecycle once.
    assert Ticket.objects.filter(order__product_title="批量回复测试",
                                 status="under_review").count() == 2 * 3 * 3
