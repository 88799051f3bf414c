"""Transactions that change tickets, and the bound on how long one may take.

An API client syncs by ``updated_after``: it reads the changes in
``updated_at`` order and next time asks from the last one it saw. A
transaction stamps ``updated_at`` when it writes but its change becomes
visible only when it commits, so a transaction that stamped 12:00:00.1 and
commits at 12:00:05 is invisible to a reader at 12:00:01 who already sees
another change stamped 12:00:00.5: that reader moves past 12:00:00.1 and
would never see the first change.

The fix has two halves. Here, every ticket-changing transaction
(``ticket_write``) is bounded: each statement, lock waits included, is
cancelled after ``TICKET_WRITE_TIMEOUT_SECONDS`` on PostgreSQL, and the whole
transaction is rolled back, before it commits, if it took longer than that. So
a change stamped at *t* is committed, or never happens, by *t* + the bound
(plus the COMMIT itself). The reader (``settled_before``) only returns changes
older than ``API_SYNC_SETTLE_SECONDS``, more than twice the bound: by then
every change stamped before the cutoff has committed or rolled back, and the
order the reader sees is final.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection, transaction
from django.utils.translation import gettext_lazy as _

from .errors import TicketError


class TicketWriteTimedOut(TicketError):
    """A ticket change waited or ran longer than the bound and was undone."""

    default_message = _("The ticket was busy and nothing was changed. Try again in a moment.")


def write_timeout() -> float:
    return float(settings.TICKET_WRITE_TIMEOUT_SECONDS)


def settled_before(now: datetime) -> datetime:
    """The newest ``updated_at`` a sync may read at ``now``: older changes
    have all committed (or rolled back), see the module docstring."""
    return now - timedelta(seconds=settings.API_SYNC_SETTLE_SECONDS)


@contextmanager
def ticket_write():
    """``transaction.atomic(durable=True)`` for a change to tickets, bounded
    by ``TICKET_WRITE_TIMEOUT_SECONDS``. Raises ``TicketWriteTimedOut`` (and
    rolls back) when a statement or the whole block took longer."""
    bound = write_timeout()
    postgresql = connection.vendor == "postgresql"
    # Durable: only a test's transaction can be around this one. There the
    # local setting would outlive the block (a released savepoint keeps it)
    # and cancel the test's own slow statements later on: put it back.
    inside_a_test = connection.in_atomic_block
    try:
        with transaction.atomic(durable=True):
            started = time.monotonic()
            if postgresql:
                # Local to this transaction; a lock wait is what can last.
                with connection.cursor() as cursor:
                    cursor.execute("SELECT current_setting('statement_timeout'), "
                                   "set_config('statement_timeout', %s, true)",
                                   [f"{int(bound * 1000)}ms"])
                    previous = cursor.fetchone()[0]
            yield
            if time.monotonic() - started > bound:
                raise TicketWriteTimedOut()
            if postgresql and inside_a_test:
                with connection.cursor() as cursor:
                    cursor.execute("SELECT set_config('statement_timeout', %s, true)",
                                   [previous])
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) == "57014":  # query_canceled
            raise TicketWriteTimedOut() from error
        raise
