"""The ticket list with status tabs, and the agents' review queue.

Both pages cost a fixed number of queries whatever the page depth: keyset
pagination (tickets.pagination) and tab counts that stop counting at a bound.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import roles
from ..filters import TicketFilter
from ..http import require_role
from ..models import Ticket, TicketStatus
from ..pagination import InvalidCursor, keyset_page

# Tab counts stop at this bound and show "10,000+". An exact COUNT over a large
# scope (every closed ticket of the platform: ~900,000 rows at 1,000,000
# tickets) costs 90 ms on PostgreSQL, three times the page budget; counting
# through a LIMITed subquery reads at most COUNT_CAP index entries. Nobody
# pages through ten thousand tickets: past the bound they narrow the filter.
COUNT_CAP = 10_000

ALL = "all"
TABS = [
    (TicketStatus.PENDING, _("Pending")),
    (TicketStatus.UNDER_REVIEW, _("Under review")),
    (TicketStatus.CLOSED, _("Closed")),
    (ALL, _("All")),
]


def default_tab(user) -> str:
    """Merchants land on their work (pending, soonest deadline first); agents
    have the review queue for theirs, so they and ops land on everything."""
    return TicketStatus.PENDING if roles.is_merchant(user) else ALL


def capped_count(qs) -> int:
    # SELECT COUNT(*) FROM (SELECT ... LIMIT COUNT_CAP + 1): bounded work.
    return qs.order_by()[: COUNT_CAP + 1].count()


def tab_counts(base, status_filter) -> dict:
    """Counts per status for the user's scope and the current filters. "All"
    is the sum of the three, so it costs no query; when a part reached the
    cap, so does the sum."""
    counts = {status: capped_count(status_filter.filter(base, status))
              for status in TicketStatus.values}
    counts[ALL] = sum(counts.values())
    return counts


def tabs_with_counts(counts: dict | None) -> list[dict]:
    return [
        {"code": code, "label": label,
         "count": None if counts is None else min(counts[code], COUNT_CAP),
         "capped": counts is not None and counts[code] > COUNT_CAP}
        for code, label in TABS
    ]


def _page_order(tab: str) -> dict:
    # Pending: the deadline closest first (ticket_shop_deadline / ticket_pending_deadline);
    # every other tab: newest first (the *_created indexes).
    if tab == TicketStatus.PENDING:
        return {"key": "deadline", "descending": False}
    return {"key": "created_at", "descending": True}


def _ordered_scope(qs, tab: str, *, first_page: bool):
    if tab == TicketStatus.PENDING and first_page:
        # Always true (a database constraint), but saying it lets SQLite use the
        # partial index on (shop, deadline, id) WHERE deadline IS NOT NULL
        # instead of sorting the shop's pending tickets. Only on the first page:
        # a cursor's deadline bound implies it already, and repeating it there
        # makes PostgreSQL misjudge the row count and sort 15,000 rows (160 ms).
        return qs.filter(deadline__isnull=False)
    return qs


@require_GET
@login_required
def ticket_list(request):
    user = request.user
    tab = request.GET.get("status") or default_tab(user)
    # One FilterSet for everything but the status; its own status filter then
    # picks the tab and counts the other tabs on the same filtered queryset.
    params = request.GET.copy()
    for name in ("status", "after", "before"):
        params.pop(name, None)
    scope = Ticket.objects.visible_to(user)
    ticket_filter = TicketFilter(params, queryset=scope)
    status_filter = ticket_filter.filters["status"]
    valid = ticket_filter.is_valid()
    if tab != ALL:
        try:
            status_filter.field.clean(tab)
        except ValidationError as error:
            ticket_filter.form.add_error("status", error)
            valid = False
    export_params = params.copy()
    if tab != ALL:
        export_params["status"] = tab
    context = {
        "filter": ticket_filter,
        "tab": tab,
        "tabs": tabs_with_counts(None),
        "count_cap": COUNT_CAP,
        "now_utc": timezone.now(),
        # The export button posts exactly the filter on screen, tab included.
        "export_query": export_params.urlencode(),
        "default_tab": default_tab(user),
    }
    if not valid:
        return render(request, "tickets/list.html", {**context, "page": None}, status=400)
    base = ticket_filter.qs
    shown = base if tab == ALL else status_filter.filter(base, tab)
    try:
        after, before = request.GET.get("after"), request.GET.get("before")
        page = keyset_page(_ordered_scope(shown, tab, first_page=not (after or before)),
                           after=after, before=before, **_page_order(tab))
    except InvalidCursor:
        context["cursor_error"] = _("This page link is not valid any more. Start again from "
                                    "the first page.")
        return render(request, "tickets/list.html", {**context, "page": None}, status=400)
    context.update(page=page, tabs=tabs_with_counts(tab_counts(base, status_filter)))
    return render(request, "tickets/list.html", context)


@require_GET
@login_required
@require_role(roles.is_agent)
def review_queue(request):
    """Under-review tickets, the one replied to longest ago first."""
    scope = Ticket.objects.visible_to(request.user)
    queue = TicketFilter({"status": TicketStatus.UNDER_REVIEW}, queryset=scope).qs
    context = {"now_utc": timezone.now(), "count_cap": COUNT_CAP}
    try:
        page = keyset_page(queue, key="last_replied_at", descending=False,
                           after=request.GET.get("after"), before=request.GET.get("before"))
    except InvalidCursor:
        context["cursor_error"] = _("This page link is not valid any more. Start again from "
                                    "the first page.")
        return render(request, "tickets/review.html", {**context, "page": None}, status=400)
    count = capped_count(queue)
    context.update(page=page, count=count, capped=count > COUNT_CAP)
    return render(request, "tickets/review.html", context)
