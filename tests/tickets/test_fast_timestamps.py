"""The API list reads its timestamps through psycopg's C loader
(tickets.fast_timestamps): the same aware UTC datetimes as Django's loader."""

import datetime as dt

import pytest
from django.db import connection
from django.db.backends.postgresql.psycopg_any import BaseTzLoader
from django.utils import timezone
from psycopg.pq import Format
from psycopg.types import TypeInfo

from api.serializers import SUMMARY_COLUMNS
from tickets import selectors
from tickets.fast_timestamps import psycopg_timestamps
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

TIMES = ("created_at", "deadline", "updated_at", "first_replied_at")


def _timestamptz_loader():
    oid = TypeInfo.fetch(connection.connection, "timestamptz").oid
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")  # the block's loader comes with a query
        return cursor.cursor.adapters.get_loader(oid, Format.TEXT)


def test_inside_the_block_cursors_load_timestamps_with_psycopg_and_the_values_are_djangos(
        require_postgres, make_ticket):
    tickets = [make_ticket() for _ in range(3)]
    ids = [t.pk for t in tickets]
    django_rows = list(Ticket.objects.filter(pk__in=ids).order_by("id").values_list(*TIMES))
    assert issubclass(_timestamptz_loader(), BaseTzLoader)

    with psycopg_timestamps():
        assert not issubclass(_timestamptz_loader(), BaseTzLoader)
        psycopg_rows = list(Ticket.objects.filter(pk__in=ids).order_by("id")
                            .values_list(*TIMES))

    assert psycopg_rows == django_rows
    values = [value for row in psycopg_rows for value in row if value is not None]
    assert len(values) >= 9
    assert all(value.tzinfo is dt.UTC for value in values)
    # Only inside the block.
    assert issubclass(_timestamptz_loader(), BaseTzLoader)


def test_the_api_list_page_reads_the_same_rows_as_djangos_loader(require_postgres, merchant,
                                                                  make_ticket):
    for _ in range(4):
        make_ticket()
    ticket_filter = selectors.list_filter({})
    assert ticket_filter.is_valid()
    page = selectors.ticket_page(user=merchant, ticket_filter=ticket_filter, tab=selectors.ALL,
                                 size=10, columns=SUMMARY_COLUMNS)
    expected = list(Ticket.objects.visible_to(merchant).order_by("-created_at", "-id")
                    .values(*SUMMARY_COLUMNS))
    assert page.rows == expected
    assert all(row["created_at"].tzinfo is dt.UTC for row in page.rows)
    assert timezone.is_aware(page.rows[0]["updated_at"])
