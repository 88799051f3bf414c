"""Minimal pages of the foundation; the web-pages issue builds the real ones."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, render

from .filters import TicketFilter
from .models import Ticket


@login_required
def ticket_list(request):
    scope = Ticket.objects.visible_to(request.user)
    ticket_filter = TicketFilter(request.GET, queryset=scope)
    if not ticket_filter.is_valid():
        return render(request, "tickets/list.html", {"filter": ticket_filter, "tickets": []},
                      status=400)
    tickets = ticket_filter.qs.order_by("-created_at", "-id")[:20]
    return render(request, "tickets/list.html", {"filter": ticket_filter, "tickets": tickets})


@login_required
def ticket_detail(request, number):
    ticket = get_object_or_404(Ticket.objects.visible_to(request.user), number=number)
    return render(request, "tickets/detail.html", {"ticket": ticket})
