"""The ticket list with status tabs, and the agents' review queue: parse the
query string, call the selector (tickets.selectors), render."""

from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import roles, selectors
from ..http import role_required
from ..models import TicketStatus
from ..pagination import InvalidCursor

STALE_CURSOR = _("This page link is not valid any more. Start again from the first page.")


@require_GET
@login_required
def ticket_list(request):
    user = request.user
    tab = request.GET.get("status") or selectors.default_tab(user)
    ticket_filter = selectors.list_filter(request.GET)
    filter_valid = ticket_filter.is_valid()
    valid = selectors.check_tab(ticket_filter, tab) and filter_valid
    context = {
        "filter": ticket_filter,
        "tab": tab,
        "tabs": selectors.empty_tabs(),
        "count_cap": selectors.COUNT_CAP,
        "now_utc": timezone.now(),
        "export_query": _export_query(ticket_filter.data, tab),
        "default_tab": selectors.default_tab(user),
        # Only the tabs that can hold pending tickets have a countdown column.
        "with_time_left": tab in (TicketStatus.PENDING, selectors.ALL),
        "page": None,
    }
    if not valid:
        return render(request, "tickets/list.html", context, status=400)
    try:
        listing = selectors.ticket_listing(user=user, ticket_filter=ticket_filter, tab=tab,
                                           after=request.GET.get("after"),
                                           before=request.GET.get("before"))
    except InvalidCursor:
        return render(request, "tickets/list.html", {**context, "cursor_error": STALE_CURSOR},
                      status=400)
    context.update(page=listing.page, tabs=listing.tabs)
    return render(request, "tickets/list.html", context)


def _export_query(filter_params: QueryDict, tab: str) -> str:
    """The export button posts exactly the filter on screen, tab included."""
    params = filter_params.copy()
    if tab != selectors.ALL:
        params["status"] = tab
    return params.urlencode()


@require_GET
@role_required(roles.is_agent)
def review_queue(request):
    context = {"now_utc": timezone.now(), "count_cap": selectors.COUNT_CAP, "page": None}
    try:
        queue = selectors.review_queue(user=request.user, after=request.GET.get("after"),
                                       before=request.GET.get("before"))
    except InvalidCursor:
        return render(request, "tickets/review.html", {**context, "cursor_error": STALE_CURSOR},
                      status=400)
    context.update(page=queue.page, count=queue.count, capped=queue.capped)
    return render(request, "tickets/review.html", context)
