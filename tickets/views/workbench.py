"""The agents' review workbench: the queue beside the selected reply, and the
decisions on it.

``GET /review/`` is the queue; ``GET /review/<number>/`` selects a reply and
claims it for the agent (tickets.claims), or says who is reviewing it. A
decision (``POST /review/<number>/approve|reject|close/``) calls the same
lifecycle function as the ticket page, then answers 303 with the next reply
in the queue, already claimed. htmx follows that redirect inside the same
request, and the GET answers with the fragment only (the pane, and the queue
out of band): one decision is one POST and one fragment GET, no page load.
Without JavaScript every action is the same POST and redirect to the page.
The current filter rides along in the query string of every link and form.
"""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from .. import claims, lifecycle, reasons, roles, selectors, workbench
from ..errors import TicketError, TransitionNotAllowed
from ..forms import CloseForm, RejectForm
from ..http import SeeOther, role_required
from ..models import Ticket, TicketStatus
from ..pagination import InvalidCursor
from ..transitions import TRANSITIONS, Action
from .detail import visible_ticket
from .lists import STALE_CURSOR, page_numbers

# The page's own parameters, not filters.
PAGER_PARAMS = ("after", "before", "page")


def _filter(request):
    return selectors.list_filter(request.GET)


def _filter_query(ticket_filter) -> str:
    """The filter on screen as a query string for the workbench's links."""
    data = ticket_filter.data
    pairs = [(name, value) for name in data for value in data.getlist(name)
             if name not in PAGER_PARAMS and value != ""]
    return urlencode(pairs)


def _with_query(url: str, query: str) -> str:
    return f"{url}?{query}" if query else url


def _render(request, *, ticket: Ticket | None = None, holder=None, status: int = 200,
            error=None, reject_form=None, close_form=None) -> HttpResponse:
    user = request.user
    now = timezone.now()
    ticket_filter = _filter(request)
    query = _filter_query(ticket_filter) if ticket_filter.is_valid() else ""
    context = {
        "filter": ticket_filter,
        "filter_query": query,
        "now_utc": now,
        "count_cap": selectors.COUNT_CAP,
        "page": None,
        "pane": None,
        "holder": holder,
        "error": error,
        "claim_renew_seconds": max(settings.REVIEW_CLAIM_SECONDS // 3, 5),
        **page_numbers(request),
    }
    if not ticket_filter.is_valid():
        status = 400
    else:
        try:
            queue = workbench.review_queue(user, ticket_filter, now=now,
                                           after=request.GET.get("after"),
                                           before=request.GET.get("before"))
        except InvalidCursor:
            context["cursor_error"] = STALE_CURSOR
            status = 400
        else:
            context.update(page=queue.page, count=queue.count, capped=queue.capped)
        if ticket is not None:
            allowed = roles.allowed_actions(user, ticket, now)
            context.update(
                pane=workbench.review_pane(user, ticket, ticket_filter, now=now),
                may={action: action in allowed for action in TRANSITIONS},
                reject_form=reject_form or RejectForm(
                    reasons=reasons.choices_for(ticket.service_type_id)),
                close_form=close_form or CloseForm(),
            )
    if request.htmx:
        response = render(request, "tickets/_review_fragment.html", context, status=status)
        if request.method == "GET" and status == 200:
            # The address bar follows the selected reply (also after a
            # decision, whose redirect htmx followed).
            response["HX-Push-Url"] = request.get_full_path()
        return response
    if request.method == "POST" and ticket is not None:
        # A refused decision re-renders under the action's URL; a reload
        # should show the reply, not send the form again (static/js/focus.js).
        context["replace_url"] = _with_query(
            reverse("tickets:review_ticket", args=[ticket.number]), query)
    return render(request, "tickets/review.html", context, status=status)


@require_GET
@role_required(roles.is_agent)
def review_queue(request):
    return _render(request)


@require_GET
@role_required(roles.is_agent)
def review_ticket(request, number):
    ticket = visible_ticket(request, number)
    holder = None
    if ticket.status == TicketStatus.UNDER_REVIEW:
        result = claims.claim(ticket, request.user)
        holder = None if result.won else result.holder
    return _render(request, ticket=ticket, holder=holder)


def _decide(request, number, action: Action, decide, *, success: str, form=None,
            form_name: str | None = None) -> HttpResponse:
    """404 / 403 as the ticket page, 400 for a bad form, the lifecycle's own
    refusal (409 wrong state or ``claimed``, 400 bad reason) re-renders the
    workbench; success: 303 to the next reply, claimed."""
    ticket = visible_ticket(request, number)
    if not roles.may(request.user, action):
        return render(request, "403.html", status=403)
    forms = {form_name: form} if form_name else {}
    if form is not None and not form.is_valid():
        return _render(request, ticket=ticket, status=400, **forms)
    try:
        decide(form.cleaned_data if form is not None else None, ticket)
    except TicketError as refused:
        ticket.refresh_from_db()
        return _render(request, ticket=ticket, status=refused.status_code,
                       error=refused.message, holder=ticket.claim_holder(timezone.now()),
                       **forms)
    messages.success(request, success)
    return _to_next(request, ticket)


def _to_next(request, decided: Ticket) -> HttpResponse:
    ticket_filter = _filter(request)
    if not ticket_filter.is_valid():
        ticket_filter = selectors.list_filter({})
    query = _filter_query(ticket_filter)
    following = workbench.claim_next(request.user, ticket_filter, now=timezone.now(),
                                     after=decided)
    if following is None:
        return SeeOther(_with_query(reverse("tickets:review"), query))
    return SeeOther(_with_query(reverse("tickets:review_ticket", args=[following.number]),
                                query))


@require_POST
@role_required(roles.is_agent)
def review_approve(request, number):
    return _decide(request, number, Action.APPROVE,
                   lambda data, ticket: lifecycle.approve(ticket, actor=request.user),
                   success=_("The reply was approved and the ticket closed."))


@require_POST
@role_required(roles.is_agent)
def review_reject(request, number):
    def reject(data, ticket):
        lifecycle.reject(ticket, actor=request.user, reason_code=data["reason_code"],
                         reason=data["reason"])

    return _decide(request, number, Action.REJECT, reject, form=RejectForm(request.POST),
                   form_name="reject_form",
                   success=_("The reply was rejected; the merchant has a new deadline."))


@require_POST
@role_required(roles.is_agent)
def review_close(request, number):
    def close(data, ticket):
        lifecycle.close_as_agreed(ticket, actor=request.user, note=data["note"])

    return _decide(request, number, Action.CLOSE_AS_AGREED, close,
                   form=CloseForm(request.POST), form_name="close_form",
                   success=_("The ticket was closed as agreement reached."))


@require_POST
@role_required(roles.is_agent)
def review_take_over(request, number):
    ticket = visible_ticket(request, number)
    if not claims.take_over(ticket, request.user):
        return _render(request, ticket=ticket, status=409,
                       error=TransitionNotAllowed.default_message)
    query = _filter_query(_filter(request)) if _filter(request).is_valid() else ""
    return SeeOther(_with_query(reverse("tickets:review_ticket", args=[ticket.number]), query))


@require_POST
@role_required(roles.is_agent)
def review_claim(request, number):
    """The open workbench renews its claim (an htmx poll): 204 while it holds
    it, 409 once someone took it over or the reply was decided."""
    ticket = visible_ticket(request, number)
    if claims.claim(ticket, request.user).won:
        return HttpResponse(status=204)
    return HttpResponse(status=409)
