"""The rejection reason catalogue as the pages offer it.

The pages offer the catalogue with every reply that may be rejected (the
review workbench after each decision): a dozen rows that admins edit now and
then. Each process keeps the active ones for ``CATALOGUE_SECONDS`` instead of
asking the database every time; a change made in this process (the admin
site) shows at once, one made through another process within that time. What
a rejection may use is still checked against the database, by the lifecycle:
a reason switched off a moment ago may be offered, but is refused.
"""

import time

from django.db.models.signals import m2m_changed, post_delete, post_save

from .models import RejectReason, ServiceType

CATALOGUE_SECONDS = 60

# (read at, [(reason, ids of its service types; empty: every type)]), or None.
_catalogue: tuple[float, list[tuple[RejectReason, frozenset[int]]]] | None = None


def _active_catalogue() -> list[tuple[RejectReason, frozenset[int]]]:
    global _catalogue
    if _catalogue is None or time.monotonic() - _catalogue[0] > CATALOGUE_SECONDS:
        read_at = time.monotonic()
        active = (RejectReason.objects.filter(is_active=True).prefetch_related("service_types")
                  .order_by("sort_order", "id"))
        _catalogue = (read_at, [(reason, frozenset(t.pk for t in reason.service_types.all()))
                                for reason in active])
    return _catalogue[1]


def forget_catalogue(**_signal) -> None:
    """Read the catalogue afresh next time (connected to the model's signals)."""
    global _catalogue
    _catalogue = None


post_save.connect(forget_catalogue, sender=RejectReason)
post_delete.connect(forget_catalogue, sender=RejectReason)
m2m_changed.connect(forget_catalogue, sender=RejectReason.service_types.through)


def choices_for(service_type: ServiceType | int) -> list[RejectReason]:
    """Active reasons that apply to ``service_type`` (those without service
    types apply to all), in the catalogue's order."""
    type_id = getattr(service_type, "pk", service_type)
    return [reason for reason, types in _active_catalogue() if not types or type_id in types]


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
