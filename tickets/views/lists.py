"""The ticket list with status tabs: parse the query string, call the selector
(tickets.selectors), render. (The agents' review queue is the workbench.)"""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import QueryDict
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from .. import replies, roles, selectors
from ..forms import REPLY_MAX_LENGTH
from ..models import TicketStatus
from ..pagination import InvalidCursor
from ..transitions import Action

STALE_CURSOR = _("This page link is not valid any more. Start again from the first page.")


def page_numbers(request) -> dict:
    """The pager's "page 3", counted by its own links (?page= rides along with
    the cursor; a keyset page has no number of its own): 1 without a cursor,
    and a link from elsewhere without a number counts from 1 too."""
    number = 1
    raw = request.GET.get("page", "")
    if (request.GET.get("after") or request.GET.get("before")) and raw.isdigit():
        number = min(max(int(raw), 1), 10**6)
    return {"page_number": number, "prev_page_number": max(number - 1, 1),
            "next_page_number": number + 1}


@require_GET
@login_required
def ticket_list(request):
    user = request.user
    tab = selectors.requested_tab(request.GET, selectors.default_tab(user))
    ticket_filter = selectors.list_filter(request.GET)
    filter_valid = ticket_filter.is_valid()
    valid = selectors.check_tab(ticket_filter, tab) and filter_valid
    # Merchants work the tabs of pending tickets from the list: select, reply
    # to all at once, (managers) assign.
    with_select = tab in selectors.DEADLINE_TABS and roles.may(user, Action.REPLY)
    with_time_left = tab in (*selectors.DEADLINE_TABS, selectors.ALL)
    with_result = tab in (TicketStatus.CLOSED, selectors.ALL)
    context = {
        "filter": ticket_filter,
        "tab": tab,
        "tabs": selectors.empty_tabs(user),
        "count_cap": selectors.COUNT_CAP,
        "now_utc": timezone.now(),
        "export_query": _export_query(ticket_filter.data, tab),
        "default_tab": selectors.default_tab(user),
        # Only the tabs that can hold pending tickets have a countdown column.
        "with_time_left": with_time_left,
        "with_result": with_result,
        "with_select": with_select,
        "with_action": with_select,
        "due_soon_hours": settings.TICKET_DUE_SOON_HOURS,
        **page_numbers(request),
        "reply_max_length": REPLY_MAX_LENGTH,
        # number, order, type, request, status, created, handler, rejected + the optional ones
        "column_count": 8 + sum((with_select, roles.sees_all_shops(user), with_time_left,
                                 with_result, with_select)),
        "page": None,
    }
    if with_select:
        context["batch_templates"] = list(replies.templates_for(user))
        if roles.is_manager(user):
            context["handler_choices"] = roles.shop_merchant_list(roles.shop_id_of(user))
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
    """The export button posts exactly the filter on screen, tab included (the
    due-soon and assigned-to-me tabs export their pending tickets)."""
    params = filter_params.copy()
    if tab in selectors.DEADLINE_TABS:
        params["status"] = TicketStatus.PENDING
    elif tab != selectors.ALL and tab in TicketStatus.values:
        params["status"] = tab
    return params.urlencode()
