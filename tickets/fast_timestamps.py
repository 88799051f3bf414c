"""Timestamps read by psycopg's own loader, where one query reads hundreds.

Django loads every PostgreSQL ``timestamptz`` through a loader of its own: a
subclass of psycopg's pure-Python loader that stamps the value with Django's
time zone. psycopg also ships the same loader in C. When the database session's
time zone is UTC and Django's is too (``USE_TZ`` with no per-database
``TIME_ZONE``: what this project runs), the C loader returns exactly what
Django's does, an aware datetime with ``datetime.timezone.utc``, for a fraction
of the cost: about a fifth of the Python work of an API sync page, which reads
three timestamps for each of its 100 tickets.

It cannot simply replace Django's loader on the connection: Django reads a
``timezone`` attribute off the connection's loader for every new cursor, and
the C class can neither carry one nor be subclassed. So it is registered on
each cursor, inside the block.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

from django.db import connection
from psycopg.types.datetime import TimestamptzLoader


@contextmanager
def psycopg_timestamps():
    """Inside the block, ``timestamptz`` values of this thread's connection are
    loaded by psycopg's C loader (PostgreSQL with UTC sessions; elsewhere,
    nothing changes)."""
    if connection.vendor != "postgresql" or connection.timezone is not dt.UTC:
        yield
        return
    with connection.execute_wrapper(_load_with_psycopg):
        yield


def _load_with_psycopg(execute, sql, params, many, context):
    db, cursor = context["connection"], context["cursor"].cursor
    # The session's zone, as psycopg reads it: the C loader's results carry it.
    if db.connection.info.parameter_status("TimeZone") == "UTC":
        # psycopg swaps in its C implementation of the class when it has one.
        cursor.adapters.register_loader("timestamptz", TimestamptzLoader)
    return execute(sql, params, many, context)
