"""The rejection reason catalogue as the pages offer it."""

from django.db.models import Q

from .models import RejectReason, ServiceType


def choices_for(service_type: ServiceType | int) -> list[RejectReason]:
    """Active reasons that apply to ``service_type`` (those without service
    types apply to all), in the catalogue's order."""
    type_id = getattr(service_type, "pk", service_type)
    return list(RejectReason.objects.filter(is_active=True)
                .filter(Q(service_types=None) | Q(service_types=type_id)).distinct()
                .order_by("sort_order", "id"))
