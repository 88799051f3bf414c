"""What people do to a ticket from its detail page: reply (merchant), approve,
reject, close as agreed (agent). Each is: find the ticket the user may see
(404), check the role (403), check the form (400), one lifecycle call (its
TicketError re-renders the page with the message and the error's status, 409
for a wrong state), then redirect back with a success message."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from .. import lifecycle, roles
from ..forms import CloseForm, RejectForm, ReplyForm
from ..http import perform
from .detail import render_detail, visible_ticket


def _act(request, ticket, action, *, success: str, **forms):
    def on_error(*, status, error):
        # Show the ticket as it is now (another tab or person may have moved it).
        ticket.refresh_from_db()
        return render_detail(request, ticket, status=status, error=error, **forms)

    return perform(request, action, success=success, on_error=on_error)


@require_POST
@login_required
def reply(request, number):
    ticket = visible_ticket(request, number)
    if not roles.is_merchant(request.user):
        raise PermissionDenied
    form = ReplyForm(request.POST, request.FILES)
    if not form.is_valid():
        return render_detail(request, ticket, status=400, reply_form=form)
    return _act(
        request, ticket,
        lambda: lifecycle.reply(ticket, actor=request.user, body=form.cleaned_data["body"],
                                evidence=form.cleaned_data["evidence"]),
        success=_("Your reply was sent for review."), reply_form=form,
    )


@require_POST
@login_required
def approve(request, number):
    ticket = visible_ticket(request, number)
    if not roles.is_agent(request.user):
        raise PermissionDenied
    return _act(request, ticket, lambda: lifecycle.approve(ticket, actor=request.user),
                success=_("The reply was approved and the ticket closed."))


@require_POST
@login_required
def reject(request, number):
    ticket = visible_ticket(request, number)
    if not roles.is_agent(request.user):
        raise PermissionDenied
    form = RejectForm(request.POST)
    if not form.is_valid():
        return render_detail(request, ticket, status=400, reject_form=form)
    return _act(
        request, ticket,
        lambda: lifecycle.reject(ticket, actor=request.user, reason=form.cleaned_data["reason"]),
        success=_("The reply was rejected; the merchant has a new deadline."), reject_form=form,
    )


@require_POST
@login_required
def close(request, number):
    ticket = visible_ticket(request, number)
    if not roles.is_agent(request.user):
        raise PermissionDenied
    form = CloseForm(request.POST)
    if not form.is_valid():
        return render_detail(request, ticket, status=400, close_form=form)
    return _act(
        request, ticket,
        lambda: lifecycle.close_as_agreed(ticket, actor=request.user,
                                          note=form.cleaned_data["note"]),
        success=_("The ticket was closed as agreement reached."), close_form=form,
    )
