"""The cooldown under a real race (PostgreSQL): twenty processes, each with its own
database connection, post an export for the same user at the same moment (the
children are spawned, not forked: see race_client).
Exactly one job may come out of it, whether the user's cooldown row exists yet
(twenty INSERTs race) or exists with an expired slot (twenty UPDATEs race)."""

import datetime as dt
import multiprocessing

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from exports.models import ExportCooldown, ExportJob
from tests.exports import race_client
from tests.integration.conftest import test_database_url as url_of_test_database

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

PROCESSES = 20


def race(user) -> list:
    client = Client()
    client.force_login(user)
    session_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    context = multiprocessing.get_context("spawn")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    children = [context.Process(target=race_client.post_export,
                                args=(url_of_test_database(), session_key, barrier, results))
                for _ in range(PROCESSES)]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=180) for _ in children]
    finally:
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
