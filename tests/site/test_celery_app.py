"""The Celery app's own set-up, in this process (a worker process runs it in
tests/integration)."""

import gc

from servicedesk.celery import freeze_startup_heap


def test_a_pool_process_freezes_what_loading_the_app_allocated():
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    try:
        freeze_startup_heap()
        # The app's modules, already imported in this process, are out of the
        # collector's generations now.
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
