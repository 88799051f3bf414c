"""The webhooks settings pages: register (the secret is shown once, on the
response to the POST), list, one endpoint's recent deliveries with "send test
event", "redeliver", switching it on again and removing it."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from tickets.http import role_required

from . import delivery, endpoints
from .forms import EndpointForm
from .models import Delivery, Endpoint

# How many deliveries an endpoint's page shows (newest first).
LOG_ROWS = 50


def _own(request, pk: int) -> Endpoint:
    """Anybody else's endpoint is a 404, as if it did not exist."""
    return get_object_or_404(Endpoint.objects.owned_by(request.user), pk=pk)


def _render_list(request, form, *, new_endpoint=None, status=200):
    return render(request, "webhooks/list.html", {
        "form": form,
        "endpoints": Endpoint.objects.owned_by(request.user),
        "new_endpoint": new_endpoint,
    }, status=status)


@role_required(endpoints.may_register)
@require_http_methods(["GET", "POST"])
def endpoint_list(request):
    if request.method == "GET":
        return _render_list(request, EndpointForm())
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _render_list(request, form, status=400)
    endpoint = endpoints.create_endpoint(request.user, **form.cleaned_data)
    # Rendered, not redirected: the secret must not travel through the session.
    response = _render_list(request, EndpointForm(), new_endpoint=endpoint, status=201)
    response["Cache-Control"] = "no-store"
    return response


@role_required(endpoints.may_register)
def endpoint_detail(request, pk: int):
    endpoint = _own(request, pk)
    log = (Delivery.objects.filter(endpoint=endpoint).select_related("ticket")
           .order_by("-created_at", "-id")[:LOG_ROWS])
    return render(request, "webhooks/detail.html", {
        "endpoint": endpoint, "deliveries": log, "body_chars": delivery.BODY_LOG_CHARS})


@role_required(endpoints.may_register)
@require_POST
def send_test_event(request, pk: int):
    endpoint = _own(request, pk)
    delivery.send_test_event(endpoint)
    messages.success(request, _("A test event was sent. Its delivery is in the log below."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@role_required(endpoints.may_register)
@require_POST
def redeliver(request, pk: int, delivery_id: int):
    endpoint = _own(request, pk)
    row = Delivery.objects.filter(endpoint=endpoint, pk=delivery_id).first()
    if row is None:
        raise Http404()
    delivery.redeliver(row)
    messages.success(request, _("The event was sent again."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@role_required(endpoints.may_register)
@require_POST
def enable(request, pk: int):
    endpoint = _own(request, pk)
    endpoints.update_endpoint(endpoint, is_active=True)
    messages.success(request, _("The endpoint is enabled again."))
    return redirect("webhooks:detail", pk=endpoint.pk)


@role_required(endpoints.may_register)
@require_POST
def delete(request, pk: int):
    endpoints.delete_endpoint(_own(request, pk))
    messages.success(request, _("The endpoint was removed."))
    return redirect("webhooks:list")
