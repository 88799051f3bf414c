"""Agents open a ticket against an order."""

from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import lifecycle, roles
from ..forms import TicketCreateForm
from ..http import perform, role_required


@require_http_methods(["GET", "POST"])
@role_required(roles.can_create_tickets)
def ticket_create(request):
    if request.method == "GET":
        initial = {"order_number": request.GET.get("order_number", "")}
        return render(request, "tickets/create.html", {"form": TicketCreateForm(initial=initial)})
    form = TicketCreateForm(request.POST)
    if not form.is_valid():
        return render(request, "tickets/create.html", {"form": form}, status=400)

    def on_error(*, status, error):
        return render(request, "tickets/create.html", {"form": form, "error": error},
                      status=status)

    return perform(
        request,
        lambda: lifecycle.create_ticket(actor=request.user, order=form.cleaned_data["order"],
                                        service_type=form.cleaned_data["service_type"],
                                        content=form.cleaned_data["content"]),
        success=_("Ticket created; the shop has been notified."),
        on_error=on_error,
    )
