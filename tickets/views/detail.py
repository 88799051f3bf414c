"""The ticket detail page and the evidence images (and thumbnails) shown on it."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from .. import presence, reasons, replies, roles
from ..forms import CloseForm, RejectForm, ReplyForm
from ..models import EventKind, Ticket
from ..serving import evidence_response
from ..transitions import TRANSITIONS, Action


def visible_ticket(request, number: str) -> Ticket:
    """The ticket if this user may see it; 404 otherwise, so another shop's
    ticket is indistinguishable from one that does not exist."""
    return get_object_or_404(Ticket.objects.visible_to(request.user), number=number)


def detail_context(request, ticket: Ticket, **forms) -> dict:
    user = request.user
    now = timezone.now()
    events = list(ticket.events.select_related("actor", "reason").prefetch_related("evidence"))
    # A ticket sent back to the merchant shows why, above the reply form.
    last_rejection = None
    if ticket.is_pending and ticket.reject_count:
        last_rejection = next((e for e in reversed(events) if e.kind == EventKind.REJECTED),
                              None)
    overdue = ticket.is_overdue(now)
    allowed = roles.allowed_actions(user, ticket, now)
    workday = {}
    if Action.REPLY in allowed:
        # Opening the reply form says so to the shop's other merchants; they
        # see who started drafting and when (advisory: anyone may still reply).
        presence.mark_replying(ticket.pk, user, now=now)
        workday["drafters"] = presence.others_replying(ticket.pk, user, now=now)
        workday["reply_templates"] = [
            {"title": t.title, "body": replies.fill(t.body, ticket)}
            for t in replies.templates_for(user, ticket.service_type)]
    if roles.is_manager(user) and ticket.is_pending:
        workday["handler_choices"] = roles.shop_merchant_list(ticket.shop_id)
    return {
        **workday,
        "ticket": ticket,
        "order": ticket.order,
        "events": events,
        "now_utc": now,
        "overdue": overdue,
        "last_rejection": last_rejection,
        # The buttons and forms: exactly the actions the transition table allows
        # this user now ({% if may.reply %}). The deadline is the server's: once
        # it has passed, no reply form, even before the sweep closes the ticket.
        "may": {action: action in allowed for action in TRANSITIONS},
        "reply_form": forms.get("reply_form") or ReplyForm(ticket=ticket),
        "reject_form": forms.get("reject_form") or RejectForm(
            reasons=reasons.choices_for(ticket.service_type_id) if Action.REJECT in allowed
            else ()),
        # Agents read a rejection as what it was (reason, who, when); the
        # merchant reads what to do about it.
        "sees_merchant_side": roles.is_merchant(user),
        "close_form": forms.get("close_form") or CloseForm(),
        "evidence_max_files": settings.EVIDENCE_MAX_FILES,
    }


def render_detail(request, ticket: Ticket, *, status: int = 200, error=None, **forms):
    context = detail_context(request, ticket, **forms)
    if error is not None:
        context["error"] = error
    if request.method == "POST":
        # A refused action re-renders the page under the action's URL; the
        # browser is told the ticket's own (static/js/focus.js), so a reload
        # shows the ticket instead of sending the form again.
        context["replace_url"] = ticket.get_absolute_url()
    return render(request, "tickets/detail.html", context, status=status)


@require_GET
@login_required
def ticket_detail(request, number):
    return render_detail(request, visible_ticket(request, number))


@require_GET
@login_required
def evidence_file(request, number, evidence_id):
    return evidence_response(request.user, number, evidence_id, "image")


@require_GET
@login_required
def evidence_thumbnail(request, number, evidence_id):
    return evidence_response(request.user, number, evidence_id, "thumbnail")
