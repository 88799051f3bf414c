"""The child side of the cooldown race (test_concurrency): a fresh interpreter
(multiprocessing "spawn", so nothing, least of all a database socket, is
inherited from the test process) that sets Django up against the test database,
waits for its siblings and posts one export request."""

import os


def post_export(database_url: str, session_key: str, barrier, results, *,
                hold_seconds: float = 0.5) -> None:
    try:
        os.environ["DJANGO_SETTINGS_MODULE"] = "servicedesk.settings_test"
        os.environ["DATABASE_URL"] = database_url
        import django

        django.setup()
        from django.conf import settings
        from django.db import connections
        from django.test import Client
        from django.test.utils import setup_test_environment

        setup_test_environment()  # what pytest-django did in the parent (ALLOWED_HOSTS...)
        _hold_transaction_after_creating_the_job(hold_seconds)

        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        client.get("/exports/")  # connect and warm up before the start signal
        barrier.wait(timeout=60)
        results.put(client.post("/exports/", {"status": "pending"}).status_code)
        connections.close_all()
    except Exception as exc:  # report, never leave the parent waiting
        results.put(repr(exc))


def _hold_transaction_after_creating_the_job(seconds: float) -> None:
    """Keep the accepting transaction open a moment after the job row is written,
    so the racers really overlap it: a check-then-insert would let them all read
    the old slot now; the conditional UPDATE makes them wait and then refuse."""
    import time

    from exports.models import ExportJob

    manager = ExportJob.objects
    create = manager.create

    def create_and_hold(**fields):
        job = create(**fields)
        time.sleep(seconds)
        return job

    manager.create = create_and_hold
