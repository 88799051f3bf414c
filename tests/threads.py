"""Running callables at the same moment in threads, for race tests on PostgreSQL.
Each thread has its own database connection (so test data must be committed:
transactional tests) and closes it when done."""

import threading
import time

from django.db import connection, connections


def run_together(*actions, timeout: float = 60):
    """Start every action at once (a barrier releases them together) and return
    ``[("ok", value) | ("error", exception), ...]`` in the order given."""
    barrier = threading.Barrier(len(actions))
    results = [None] * len(actions)

    def run(index, action):
        try:
            barrier.wait(10)
            results[index] = ("ok", action())
        except BaseException as error:  # handed to the test
            results[index] = ("error", error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return results


def wait_until_a_backend_waits_for_a_lock(timeout=20.0):
    """Poll pg_stat_activity (bounded) until another session of this test
    database is blocked on a lock (the other transaction reached the locked row)."""
    stop = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < stop:
            # Inside a transaction the statistics views are a snapshot; clear it.
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'")
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("no other session ever waited for a lock")
