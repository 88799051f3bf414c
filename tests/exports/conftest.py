"""Helpers for the export tests: bulk tickets (the cap tests need tens of
thousands, faster than the lifecycle can make them), posting an export request
and reading a job's file back."""

import datetime as dt
import itertools

import openpyxl
import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from tests.factories import OrderFactory
from tickets.models import Ticket, TicketStatus

_numbers = itertools.count(1)



@pytest.fixture
def bulk_tickets(agent, service_type):
    """bulk_tickets(n, shop=..., created_at=..., **fields) -> None.
    Pending tickets inserted in bulk (benchmark-style seeding, no events): for
    tests that only need rows to count and export."""

    def make(n: int, *, shop, created_at=None, service_type_=None, **fields):
        order = OrderFactory(shop=shop)
        created_at = created_at or timezone.now() - dt.timedelta(hours=1)
        stype = service_type_ or service_type
        Ticket.objects.bulk_create(
            (Ticket(number=f"99{next(_numbers):014d}", shop=shop, order=order,
                    service_type=stype, status=TicketStatus.PENDING,
                    content=fields.get("content", "买家询问什么时候发货"),
                    deadline=created_at + dt.timedelta(hours=24), created_by=agent,
                    created_at=created_at)
             for _ in range(n)),
            batch_size=5000,
        )

    return make


@pytest.fixture
def post_export(client):
    """post_export(user, **filter) -> response of POST /exports/ as that user."""

    def post(user, language="zh-hans", **params):
        client.force_login(user)
        return client.post("/exports/", params, HTTP_ACCEPT_LANGUAGE=language)

    return post


def read_rows(job) -> list[tuple]:
    """All rows of the job's file (header first), as openpyxl reads them back."""
    with default_storage.open(job.file.name, "rb") as fh:
        workbook = openpyxl.load_workbook(fh)
    return [tuple(row) for row in workbook.active.iter_rows(values_only=True)]


def read_cells(job):
    with default_storage.open(job.file.name, "rb") as fh:
        workbook = openpyxl.load_workbook(fh)
    return list(workbook.active.iter_rows())
