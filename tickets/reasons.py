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


# The catalogue the platform starts with (the migration seeded the same);
# admins edit it from there.
SEEDED = [
    # code, Chinese label, English label
    ("unclear_evidence", "凭证不清晰", "Evidence unclear"),
    ("not_solved", "未解决买家诉求", "Buyer's problem not solved"),
    ("mismatch", "回复与订单不符", "Reply does not match the order"),
    ("invalid_tracking", "物流信息无效", "Invalid tracking information"),
    (RejectReason.OTHER, "其他", "Other"),
]


def seed_catalogue() -> None:
    """Create the seeded reasons that are missing (a database emptied by hand,
    the demo); existing ones are left as the admins made them."""
    for order, (code, zh, en) in enumerate(SEEDED):
        RejectReason.objects.get_or_create(
            code=code, defaults={"label_zh": zh, "label_en": en, "sort_order": order})
