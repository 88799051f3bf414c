"""Running callables at the same moment in threads, for race tests on PostgreSQL.
Each thread has its own database connection (so test data must be committed:
transactional tests) and closes it when done."""

import threading

from django.db import connections


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
