"""Statements an ERP's sync runs page after page are prepared once per database
connection (tickets.compiled.prepared_selects). The pages themselves must not
change: prepared or not, the same rows."""

from datetime import timedelta

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.serializers import SUMMARY_COLUMNS
from tickets import selectors
from tickets.compiled import prepared_selects
from tickets.models import Ticket
from tickets.writes import settled_before

pytestmark = pytest.mark.django_db(transaction=True)

# Far enough ahead that the sync's settle window hides none of the new tickets.
SETTLED = timedelta(hours=1)


def _ours() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, statement FROM pg_prepared_statements "
                       "WHERE name LIKE 'sdq_%%'")
        return dict(cursor.fetchall())


def _sync_page(user, since, after=None, params=None, size=2):
    params = params or {}
    ticket_filter = selectors.list_filter(params)
    tab = selectors.requested_tab(params, selectors.ALL)
    assert ticket_filter.is_valid() and selectors.check_tab(ticket_filter, tab)
    return selectors.ticket_page(user=user, ticket_filter=ticket_filter, tab=tab,
                                 after=after, size=size, updated_after=since,
                                 settled_before=settled_before(timezone.now() + SETTLED),
                                 columns=SUMMARY_COLUMNS)


def test_a_sync_page_is_prepared_once_and_reads_what_the_plain_query_reads(
        require_postgres, merchant, make_ticket):
    tickets = [make_ticket() for _ in range(5)]
    since = min(t.updated_at for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets]))
    connection.close()  # a connection of its own: nothing prepared on it yet

    first = _sync_page(merchant, since)
    statements = _ours()
    assert len(statements) == 1
    # Deeper pages have another shape (the cursor's bounds): one more statement,
    # and from then on every page of either shape runs by name.
    pulled, after = [*first.rows], first.next_cursor
    while after:
        with CaptureQueriesContext(connection) as queries:
            page = _sync_page(merchant, since, after)
        assert [q["sql"].split("(")[0] for q in queries] == [
            f"EXECUTE {name}" for name in _ours() if name not in statements]
        pulled += page.rows
        after = page.next_cursor
    assert len(_ours()) == 2

    # What the pages read, without any of it prepared.
    with transaction.atomic():  # inside a transaction nothing is prepared
        plain = list(Ticket.objects.visible_to(merchant).filter(updated_at__gte=since)
                     .order_by("updated_at", "id").values(*SUMMARY_COLUMNS))
    assert pulled == plain and len(plain) == 5


def test_inside_a_transaction_or_past_the_cap_queries_run_as_they_are(
        require_postgres, merchant, make_ticket, monkeypatch):
    ticket = make_ticket()
    connection.close()
    with transaction.atomic():
        assert _sync_page(merchant, ticket.updated_at).rows
    assert _ours() == {}

    monkeypatch.setattr("tickets.compiled.MAX_PREPARED_SELECTS", 0)
    assert _sync_page(merchant, ticket.updated_at).rows
    assert _ours() == {}


def test_a_statement_the_server_cannot_prepare_still_runs(require_postgres):
    connection.close()
    with prepared_selects(), connection.cursor() as cursor:
        # Two untyped values: PostgreSQL cannot choose the operator for a
        # PREPARE, while the same query with the values written in runs.
        cursor.execute("SELECT %s + %s", [2, 3])
        assert cursor.fetchone() == (5,)
    assert _ours() == {}


def _filters(ticket, today):
    return [
        {"status": "pending"},
        {"status": "under_review"},
        {"order_number": ticket.order.number},
        {"number": ticket.number},
        {"service_type": ticket.service_type.code},
        {"created_after": today, "created_before": today},
        {"rejected_before": "false", "status": "pending"},
    ]


def test_with_every_filter_the_prepared_sync_reads_what_the_plain_query_reads(
        require_postgres, merchant, make_ticket, under_review_ticket):
    tickets = [make_ticket() for _ in range(3)]
    since = timezone.now() - timedelta(days=1)
    today = timezone.localdate().isoformat()
    connection.close()
    for params in _filters(tickets[0], today):
        with CaptureQueriesContext(connection) as queries:
            prepared = _sync_page(merchant, since, params=params, size=50).rows
        with transaction.atomic():
            plain = _sync_page(merchant, since, params=params, size=50).rows
        # The page's query (the service-type filter reads the type first).
        assert queries[-1]["sql"].startswith("EXECUTE sdq_"), params
        assert prepared == plain and plain, params
