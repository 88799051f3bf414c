"""处理时效说明: the handling-time rules, rendered from the service-type table so
the page is always what the sweep enforces."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import ServiceType


@require_GET
@login_required
def handling_times(request):
    service_types = ServiceType.objects.filter(is_active=True)
    return render(request, "tickets/handling_times.html", {"service_types": service_types})
