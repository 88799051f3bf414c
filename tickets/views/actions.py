"""What people do to a ticket from its detail page: reply (merchant), approve,
reject, close as agreed (agent). Each is: find the ticket the user may see
(404), check the role (403), check the form (400), one lifecycle call (its
TicketError re-renders the page with the message and the error's status, 409
for a wrong state), then redirect back with a success message."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import lifecycle, presence, reasons, roles
from ..forms import CloseForm, RejectForm, ReplyForm
from ..http import perform
from ..models import Ticket
from ..transitions import Action
from .detail import render_detail, visible_ticket


def _ticket_for(request, number, action: Action) -> Ticket:
    """The ticket the user may see (404 for anyone else's), then whether the
    user's role may ever do ``action`` (403): another shop's ticket is never
    revealed, even to the wrong role. Its state is the lifecycle's to check (409)."""
    ticket = visible_ticket(request, number)
    if not roles.may(request.user, action):
        raise PermissionDenied
    return ticket


def _act(request, ticket, action, *, success: str, **forms):
    def on_error(*, status, error):
        # Show the ticket as it is now (another tab or person may have moved it).
        ticket.refresh_from_db()
        return render_detail(request, ticket, status=status, error=error, **forms)

    return perform(request, action, success=success, on_error=on_error)


def _act_on_form(request, ticket, form_name: str, form, action, *, success: str):
    """400 with field errors for a bad form, else ``action(cleaned_data)``."""
    if not form.is_valid():
        return render_detail(request, ticket, status=400, **{form_name: form})
    return _act(request, ticket, lambda: action(form.cleaned_data), success=success,
                **{form_name: form})


@require_POST
@login_required
def reply(request, number):
    ticket = _ticket_for(request, number, Action.REPLY)

    def send(data):
        replied = lifecycle.reply(ticket, actor=request.user, body=data["body"],
                                  evidence=data["evidence"])
        presence.stop_replying(ticket.pk, request.user)
        return replied

    return _act_on_form(
        request, ticket, "reply_form", ReplyForm(request.POST, request.FILES, ticket=ticket),
        send, success=_("Your reply was sent for review."),
    )


@require_POST
@login_required
def approve(request, number):
    ticket = _ticket_for(request, number, Action.APPROVE)
    return _act(request, ticket, lambda: lifecycle.approve(ticket, actor=request.user),
                success=_("The reply was approved and the ticket closed."))


@require_POST
@login_required
def reject(request, number):
    ticket = _ticket_for(request, number, Action.REJECT)
    return _act_on_form(
        request, ticket, "reject_form",
        RejectForm(request.POST, reasons=reasons.choices_for(ticket.service_type_id)),
        lambda data: lifecycle.reject(ticket, actor=request.user,
                                      reason_code=data["reason_code"], reason=data["reason"]),
        success=_("The reply was rejected; the merchant has a new deadline."),
    )


@require_POST
@login_required
def close(request, number):
    ticket = _ticket_for(request, number, Action.CLOSE_AS_AGREED)
    return _act_on_form(
        request, ticket, "close_form", CloseForm(request.POST),
        lambda data: lifecycle.close_as_agreed(ticket, actor=request.user, note=data["note"]),
        success=_("The ticket was closed as agreement reached."),
    )
