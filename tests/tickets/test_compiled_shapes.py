"""A sync's page is compiled once per shape and then only has its varying
values swapped in (tickets.compiled.CompiledShapes): the same rows as the
queryset, nothing compiled again for the next pages, and the shape of one
reader is never used for another."""

from datetime import timedelta

import pytest
from django.db.models.sql.compiler import SQLCompiler
from django.utils import timezone

from api.serializers import SUMMARY_COLUMNS
from tickets import selectors
from tickets.compiled import CompiledShapes
from tickets.models import Ticket
from tickets.writes import settled_before

pytestmark = pytest.mark.django_db


def _pull(user, since, params=None, size=2):
    params = params or {}
    ticket_filter = selectors.list_filter(params)
    tab = selectors.requested_tab(params, selectors.ALL)
    assert ticket_filter.is_valid() and selectors.check_tab(ticket_filter, tab)
    rows, after = [], None
    while True:
        page = selectors.ticket_page(user=user, ticket_filter=ticket_filter, tab=tab, after=after,
                                     size=size, updated_after=since,
                                     settled_before=settled_before(timezone.now()
                                                                   + timedelta(hours=1)),
                                     columns=SUMMARY_COLUMNS)
        rows += page.rows
        after = page.next_cursor
        if not after:
            return rows


def _plain(user, since, **filters):
    return list(Ticket.objects.visible_to(user).filter(updated_at__gte=since, **filters)
                .order_by("updated_at", "id").values(*SUMMARY_COLUMNS))


@pytest.fixture
def compilations(monkeypatch):
    """How many querysets Django compiles (a spy on its compiler)."""
    calls = []
    as_sql = SQLCompiler.as_sql

    def counting(self, *args, **kwargs):
        calls.append(self.query.model)
        return as_sql(self, *args, **kwargs)

    monkeypatch.setattr(SQLCompiler, "as_sql", counting)
    return calls


def test_deeper_pages_compile_nothing_and_read_what_the_queryset_reads(
        require_postgres, merchant, ops, make_ticket, shop_b, compilations, monkeypatch):
    monkeypatch.setattr(selectors, "_SYNC_SHAPES", CompiledShapes(marks=selectors._SYNC_MARKS))
    for _ in range(12):
        make_ticket()
    make_ticket(shop=shop_b)
    since = timezone.now() - timedelta(days=1)

    compilations.clear()
    pulled = _pull(merchant, since)
    # Two shapes (the first page, the pages after a cursor), each built twice
    # to find where the values go; then four more pages with nothing built.
    assert compilations.count(Ticket) == 4
    assert pulled == _plain(merchant, since) and len(pulled) == 12

    compilations.clear()
    everything = _pull(ops, since)
    assert compilations.count(Ticket) == 4
    assert everything == _plain(ops, since) and len(everything) == 13


def test_a_shape_is_one_readers_another_shop_with_the_same_request_gets_its_own(
        require_postgres, merchant, outsider, make_ticket, shop_b):
    ours = [make_ticket().number for _ in range(3)]
    theirs = [make_ticket(shop=shop_b).number for _ in range(3)]
    since = timezone.now() - timedelta(days=1)

    assert [row["number"] for row in _pull(merchant, since)] == ours
    assert [row["number"] for row in _pull(outsider, since)] == theirs


def test_filters_are_part_of_the_shape(require_postgres, merchant, make_ticket,
                                        under_review_ticket):
    for _ in range(3):
        make_ticket()
    since = timezone.now() - timedelta(days=1)
    pending = _pull(merchant, since, {"status": "pending"})
    reviewed = _pull(merchant, since, {"status": "under_review"})
    assert pending == _plain(merchant, since, status="pending") and len(pending) == 3
    assert reviewed == _plain(merchant, since, status="under_review") and len(reviewed) == 1


def test_a_constant_equal_to_a_marker_stays_a_constant(require_postgres, make_ticket):
    tickets = [make_ticket() for _ in range(3)]
    first = min(t.pk for t in tickets)
    shapes = CompiledShapes(marks=((first,), (first + 1000,)))

    def build(values):
        # ``first`` is both a marker value and a constant of the query.
        return (Ticket.objects.filter(pk__gte=values[0], id__gte=first)
                .order_by("id").values("id"))

    assert shapes.rows("k", build, (first + 1,)) == [{"id": t.pk} for t in tickets[1:]]
    assert shapes.rows("k", build, (first,)) == [{"id": t.pk} for t in tickets]


def test_a_query_whose_text_depends_on_the_values_is_not_kept(require_postgres, make_ticket):
    make_ticket()
    shapes = CompiledShapes(marks=((1,), (2,)))

    def build(values):
        qs = Ticket.objects.order_by("id").values("id")
        return qs.filter(pk__gte=values[0]) if values[0] == 1 else qs.exclude(pk__lt=values[0])

    assert shapes.rows("k", build, (0,)) is None
