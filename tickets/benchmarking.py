"""What the page and API benchmarks share: timing one GET in-process and
printing the table of medians against the target."""

import statistics
import time

from django.db import connection


def time_get(client, url: str, repeat: int) -> tuple[float, float, int]:
    """(median ms, p90 ms, queries of one request) for ``repeat`` GETs of ``url``
    after three warm-up requests, each of which must answer 200."""
    for _ in range(3):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    statements = []

    def count(execute, sql, params, many, context):
        statements.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    timings = []
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url)
        timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return statistics.median(timings), timings[int(len(timings) * 0.9) - 1], len(statements)


def write_timing_table(stdout, *, what: str, who: str, rows, target_ms: float) -> None:
    """``rows``: (label, user, median, p90, queries), as a Markdown table."""
    stdout.write(f"| {what} | {who} | median ms | p90 ms | queries |")
    stdout.write("|---|---|---:|---:|---:|")
    for label, user, median, p90, queries in rows:
        flag = "" if median <= target_ms else " **over target**"
        stdout.write(f"| {label} | {user} | {median:.1f}{flag} | {p90:.1f} | {queries} |")
    worst = max(rows, key=lambda row: row[2])
    stdout.write(f"\nSlowest median: {worst[0]} ({worst[1]}) {worst[2]:.1f} ms; "
                 f"target {target_ms} ms.\n")
