"""The list selection as plain functions (tickets.selectors): what the list page
shows, called with a user and parsed parameters only, as
the JSON API will call them."""

import datetime as dt

import pytest
from django.utils import timezone

from tickets import lifecycle, selectors
from tickets.filters import TicketFilter
from tickets.models import Ticket
from tickets.pagination import PAGE_SIZE, InvalidCursor


def listing(user, params=None, *, tab, after=None, before=None):
    ticket_filter = selectors.list_filter(params or {})
    assert ticket_filter.is_valid(), ticket_filter.errors
    assert selectors.check_tab(ticket_filter, tab)
    return selectors.ticket_listing(user=user, ticket_filter=ticket_filter, tab=tab,
                                    after=after, before=before)


def numbers(page):
    return [t.number for t in page.rows]


def test_listing_is_scoped_to_the_user_without_any_request(merchant, outsider, make_ticket,
                                                           shop_b):
    own = make_ticket()
    other = make_ticket(shop=shop_b)
    assert numbers(listing(merchant, tab=selectors.ALL).page) == [own.number]
    assert numbers(listing(outsider, tab=selectors.ALL).page) == [other.number]


def test_listing_scopes_even_a_filter_bound_to_every_ticket(merchant, make_ticket, shop_b):
    """The scope comes from the user, not from the queryset the FilterSet carries."""
    own = make_ticket()
    make_ticket(shop=shop_b)
    everything = TicketFilter({}, queryset=Ticket.objects.all())
    assert everything.is_valid()
    result = selectors.ticket_listing(user=merchant, ticket_filter=everything,
                                      tab=selectors.ALL)
    assert numbers(result.page) == [own.number]
    assert result.tabs[-1]["count"] == 1


def test_listing_gives_the_tab_its_order_and_every_tab_its_count(merchant, agent, make_ticket,
                                                                 under_review_ticket):
    make_ticket()
    closed = make_ticket()
    lifecycle.close_as_agreed(closed, actor=agent)
    pending = listing(merchant, tab="pending")
    assert pending.order == selectors.Order("deadline", descending=False)
    assert listing(merchant, tab="closed").order == selectors.Order("created_at",
                                                                     descending=True)
    assert {t["code"]: t["count"] for t in pending.tabs} == {
        "pending": 1, "due_soon": 0, "mine": 0, "under_review": 1, "closed": 1, "all": 3}
    assert numbers(listing(merchant, tab="closed").page) == [closed.number]


def test_listing_applies_the_filter_from_plain_parameters(merchant, make_ticket):
    wanted = make_ticket()
    make_ticket()
    result = listing(merchant, {"order_number": f" {wanted.order.number} "}, tab=selectors.ALL)
    assert numbers(result.page) == [wanted.number]
    assert result.tabs[-1]["count"] == 1


def test_listing_ignores_the_tab_and_cursors_among_the_filter_parameters(merchant,
                                                                         make_ticket):
    """The tab and the cursors are their own arguments: left in the parameters
    they must not filter a second time."""
    ticket = make_ticket()
    ticket_filter = selectors.list_filter({"status": "closed", "after": "1_1", "before": "x"})
    assert ticket_filter.is_valid()
    result = selectors.ticket_listing(user=merchant, ticket_filter=ticket_filter, tab="pending")
    assert numbers(result.page) == [ticket.number]


def test_next_and_prev_cursors_walk_the_tab(merchant, make_ticket):
    start = timezone.now() - dt.timedelta(hours=1)
    tickets = [make_ticket(now=start + dt.timedelta(minutes=i)) for i in range(PAGE_SIZE + 2)]
    first = listing(merchant, tab=selectors.ALL)
    assert first.page.prev_cursor is None and first.page.next_cursor
    second = listing(merchant, tab=selectors.ALL, after=first.page.next_cursor)
    assert numbers(first.page) + numbers(second.page) == [t.number for t in reversed(tickets)]
    back = listing(merchant, tab=selectors.ALL, before=second.page.prev_cursor)
    assert numbers(back.page) == numbers(first.page)


def test_the_assigned_to_me_tab_walks_forward_and_back_through_equal_deadlines(
        merchant, make_ticket):
    """Its cursors compare (deadline, id) as one row value: tickets sharing a
    deadline are neither skipped nor repeated at a page's edge."""
    start = timezone.now() - dt.timedelta(hours=1)
    # Three at a time share a creation time, so a deadline.
    tickets = [make_ticket(now=start + dt.timedelta(minutes=i // 3))
               for i in range(2 * PAGE_SIZE + 5)]
    Ticket.objects.filter(pk__in=[t.pk for t in tickets]).update(handler=merchant)
    make_ticket()  # nobody's: not in the tab
    pages = [listing(merchant, tab=selectors.MINE)]
    while pages[-1].page.next_cursor:
        pages.append(listing(merchant, tab=selectors.MINE, after=pages[-1].page.next_cursor))
    walked = [number for result in pages for number in numbers(result.page)]
    assert walked == [t.number for t in sorted(tickets, key=lambda t: (t.deadline, t.pk))]
    back = listing(merchant, tab=selectors.MINE, before=pages[2].page.prev_cursor)
    assert numbers(back.page) == numbers(pages[1].page)


def test_a_broken_cursor_raises_invalid_cursor(merchant):
    with pytest.raises(InvalidCursor):
        listing(merchant, tab=selectors.ALL, after="nonsense")


def test_an_unknown_tab_is_a_status_error_on_the_filter(merchant):
    ticket_filter = selectors.list_filter({})
    assert ticket_filter.is_valid()
    assert not selectors.check_tab(ticket_filter, "lost")
    assert "status" in ticket_filter.errors


def test_listing_refuses_an_invalid_filter(merchant):
    ticket_filter = selectors.list_filter({"created_after": "yesterday"})
    with pytest.raises(ValueError):
        selectors.ticket_listing(user=merchant, ticket_filter=ticket_filter, tab=selectors.ALL)


def test_capped_counts_runs_every_count_at_once_and_reads_an_empty_scope_as_zero(
        merchant, make_ticket, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()
    lifecycle.reply(make_ticket(), actor=merchant, body="好")
    mine = Ticket.objects.visible_to(merchant)
    with django_assert_num_queries(1):
        counts = selectors.capped_counts({"capped": mine,
                                          "under review": mine.filter(status="under_review"),
                                          "none": Ticket.objects.none()})
    assert counts == {"capped": 3, "under review": 1, "none": 0}


def tab_counts(user, params=None, tab="pending"):
    return {t["code"]: (t["count"], t["capped"]) for t in listing(user, params, tab=tab).tabs}


def test_a_tab_count_at_the_cap_is_remembered_and_costs_the_same_queries(
        merchant, agent, make_ticket, monkeypatch, django_assert_num_queries):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    tickets = [make_ticket() for _ in range(3)]
    assert tab_counts(merchant)["pending"] == (2, True)
    # Two of the three leave the tab: within CAPPED_COUNT_SECONDS the tab
    # still reads "2+" (the staleness the cache allows) ...
    for ticket in tickets[:2]:
        lifecycle.close_as_agreed(ticket, actor=agent)
    with django_assert_num_queries(2):  # the page and the counts, as before
        counts = tab_counts(merchant)
    assert counts["pending"] == (2, True)
    # ... while the tabs under the cap are exact at once.
    assert counts["closed"] == (2, False)


def test_counts_under_the_cap_are_never_remembered(merchant, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    make_ticket()
    assert tab_counts(merchant)["pending"] == (1, False)
    make_ticket()
    assert tab_counts(merchant)["pending"] == (2, False)


def test_a_remembered_count_belongs_to_its_scope_filter_and_cap(
        merchant, outsider, make_ticket, shop_b, service_type, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()
    make_ticket(shop=shop_b)
    assert tab_counts(merchant)["pending"] == (2, True)
    assert tab_counts(outsider)["pending"] == (1, False)
    assert tab_counts(merchant, {"order_number": "none-such"})["pending"] == (0, False)
    assert tab_counts(merchant, {"service_type": service_type.code})["pending"] == (2, True)
    monkeypatch.setattr(selectors, "COUNT_CAP", 5)
    assert tab_counts(merchant)["pending"] == (3, False)


def test_tab_counts_are_capped(merchant, make_ticket, monkeypatch):
    monkeypatch.setattr(selectors, "COUNT_CAP", 2)
    for _ in range(3):
        make_ticket()
    tabs = {t["code"]: (t["count"], t["capped"]) for t in listing(merchant, tab="pending").tabs}
    assert tabs == {"pending": (2, True), "due_soon": (0, False), "mine": (0, False),
                    "under_review": (0, False), "closed": (0, False), "all": (2, True)}
