"""The merchant's workday: batch replies from the list, handler assignment
(one ticket from its page, many from the list), "someone is replying"
presence, and the settings pages for reply templates and automatic assignment.
Each view parses, calls one service (tickets.replies, tickets.assignment,
tickets.presence) and renders or redirects."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from .. import assignment, presence, replies, roles
from ..errors import TicketError, TransitionNotAllowed
from ..forms import AssignForm, BatchReplyForm, BulkAssignForm, ReplyTemplateForm
from ..http import SeeOther, role_required
from ..models import ReplyTemplate, ServiceType, TicketStatus
from ..transitions import Action
from .detail import render_detail, visible_ticket

MANAGERS_ONLY = _("Only a manager of the shop can assign tickets.")


def _pending_list_url() -> str:
    return f"{reverse('tickets:list')}?status={TicketStatus.PENDING}"


@require_POST
@role_required(lambda user: roles.may(user, Action.REPLY))
def batch_reply(request):
    """One reply to every selected ticket; the page lists what was done and
    what was refused, with the lifecycle's reason."""
    form = BatchReplyForm(request.POST)
    context = {"form": form, "back_url": _pending_list_url(), "replace_url": _pending_list_url()}
    if not form.is_valid():
        return render(request, "tickets/batch_result.html", context, status=400)
    outcomes = replies.batch_reply(form.cleaned_data["numbers"], actor=request.user,
                                   body=form.cleaned_data["body"])
    context.update(done=[o for o in outcomes if o.done],
                   refused=[o for o in outcomes if not o.done])
    return render(request, "tickets/batch_result.html", context)


@require_POST
@login_required
def assign(request, number):
    """A manager gives the ticket to a merchant of the shop (or to nobody)."""
    ticket = visible_ticket(request, number)
    if not roles.is_manager(request.user):
        raise PermissionDenied(MANAGERS_ONLY)
    form = AssignForm(request.POST)
    if not form.is_valid():
        return render_detail(request, ticket, status=400, error=form.errors.as_text())
    try:
        handler = assignment.handler_named(request.user, form.cleaned_data["handler"])
        changed = assignment.assign([ticket.number], actor=request.user, handler=handler)
        if not changed and (ticket.status != TicketStatus.PENDING):
            raise TransitionNotAllowed(_("Only pending tickets can be assigned."))
    except TicketError as error:
        ticket.refresh_from_db()
        return render_detail(request, ticket, status=error.status_code, error=error.message)
    if handler is None:
        messages.success(request, _("The ticket has no handler now."))
    else:
        messages.success(request, _("The ticket was assigned to %(name)s.")
                         % {"name": handler.get_username()})
    return SeeOther(ticket.get_absolute_url())


@require_POST
@role_required(roles.is_manager, message=MANAGERS_ONLY)
def assign_many(request):
    """The list's "assign to": the selected pending tickets to one merchant."""
    form = BulkAssignForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return SeeOther(_pending_list_url())
    try:
        handler = assignment.handler_named(request.user, form.cleaned_data["handler"])
        changed = assignment.assign(form.cleaned_data["numbers"], actor=request.user,
                                    handler=handler)
    except TicketError as error:
        messages.error(request, error.message)
        return SeeOther(_pending_list_url())
    if handler is None:
        messages.success(request, ngettext("%(count)d ticket has no handler now.",
                                           "%(count)d tickets have no handler now.",
                                           len(changed)) % {"count": len(changed)})
    else:
        messages.success(request, ngettext("%(count)d ticket was assigned to %(name)s.",
                                           "%(count)d tickets were assigned to %(name)s.",
                                           len(changed))
                         % {"count": len(changed), "name": handler.get_username()})
    return SeeOther(_pending_list_url())


@require_POST
@login_required
def reply_presence(request, number):
    """The reply form is open and being typed in (static/js/reply-form.js beats
    while typing). 204: nothing to show; 404 for a ticket not the user's to see."""
    ticket = visible_ticket(request, number)
    if roles.may(request.user, Action.REPLY, ticket):
        presence.mark_replying(ticket.pk, request.user)
    return HttpResponse(status=204)


@require_http_methods(["GET", "POST"])
@role_required(roles.is_merchant, message=_("Reply templates are for the shop's merchants."))
def reply_templates(request):
    form = ReplyTemplateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                replies.create_template(request.user, **form.cleaned_data)
            except TicketError as error:
                form.add_error(None, error.message)
            else:
                messages.success(request, _("The template was saved."))
                return SeeOther(reverse("tickets:templates"))
        status = 400
    templates = list(replies.templates_for(request.user))
    return render(request, "tickets/templates.html", {
        "form": form,
        "own": [t for t in templates if t.shop_id is not None],
        "defaults": [t for t in templates if t.shop_id is None],
        "placeholders": list(replies.PLACEHOLDERS),
    }, status=status)


@require_POST
@role_required(roles.is_merchant, message=_("Reply templates are for the shop's merchants."))
def reply_template_delete(request, template_id):
    try:
        replies.delete_template(request.user, template_id)
    except ReplyTemplate.DoesNotExist:
        # A platform default or another shop's: not this merchant's to find.
        get_object_or_404(ReplyTemplate.objects.none())
    messages.success(request, _("The template was deleted."))
    return SeeOther(reverse("tickets:templates"))


@require_http_methods(["GET", "POST"])
@role_required(roles.is_manager, message=MANAGERS_ONLY)
def assignment_rules(request):
    """Round-robin per service type: the merchants each new ticket of that
    type goes to in turn. One form row per active service type."""
    shop_id = roles.shop_id_of(request.user)
    staff = roles.shop_merchant_list(shop_id)
    types = list(ServiceType.objects.filter(is_active=True))
    if request.method == "POST":
        by_pk = {user.pk: user for user in staff}
        try:
            for service_type in types:
                chosen = request.POST.getlist(f"type-{service_type.code}")
                picked = [by_pk[int(pk)] for pk in chosen if pk.isdigit() and int(pk) in by_pk]
                assignment.set_rule(actor=request.user, service_type=service_type,
                                    staff=picked)
        except TicketError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Automatic assignment was saved."))
        return SeeOther(reverse("tickets:assignment_rules"))
    rules = assignment.rules_of(shop_id)
    rows = [{"type": t, "chosen": set(rules.get(t.pk, []))} for t in types]
    return render(request, "tickets/assignment_rules.html", {"rows": rows, "staff": staff})

