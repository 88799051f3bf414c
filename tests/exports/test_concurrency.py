"""The cooldown under a real race (PostgreSQL): twenty processes, each with its own
database connection, post an export for the same user at the same moment.
Exactly one job may come out of it, whether the user's cooldown row exists yet
(twenty INSERTs race) or exists with an expired slot (twenty UPDATEs race)."""

import datetime as dt
import multiprocessing

import pytest
from django.conf import settings
from django.db import connections
from django.test import Client
from django.utils import timezone

from exports.models import ExportCooldown, ExportJob

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 20


def _post_export(session_key: str, barrier, results) -> None:
    """Child process: its own connection (the parent closed its own before the
    fork), waits for the others, then posts."""
    try:
        client = Client()
        client.cookies[settings.SESSION_COOKIE_NAME] = session_key
        barrier.wait(timeout=30)
        results.put(client.post("/exports/", {"status": "pending"}).status_code)
    except Exception as exc:  # report, do not hang the parent
        results.put(repr(exc))
    finally:
        connections.close_all()


def race(user) -> list:
    client = Client()
    client.force_login(user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    connections.close_all()  # a forked child must not share the parent's socket
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [context.Process(target=_post_export, args=(session_key, barrier, results))
                for _ in range(PROCESSES)]
    for child in children:
        child.start()
    outcomes = [results.get(timeout=120) for _ in children]
    for child in children:
        child.join(30)
    return sorted(outcomes, key=str)


@pytest.mark.parametrize("slot", ["no cooldown row yet", "expired cooldown row"])
def test_twenty_simultaneous_requests_from_one_user_create_exactly_one_job(
        slot, require_postgres, merchant, make_ticket):
    make_ticket()
    if slot == "expired cooldown row":
        ExportCooldown.objects.create(
            user=merchant, last_accepted_at=timezone.now() - dt.timedelta(minutes=5))
    outcomes = race(merchant)
    assert outcomes == [302] + [429] * (PROCESSES - 1)
    assert ExportJob.objects.filter(requester=merchant).count() == 1
