from django.contrib import admin

from .models import (
    Evidence,
    Order,
    RejectReason,
    ReplyTemplate,
    ServiceType,
    Shop,
    ShopMembership,
    Ticket,
    TicketEvent,
)


class MembershipInline(admin.TabularInline):
    model = ShopMembership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Shop)
class ShopAdmin(admin.ModelAdmin):
    list_display = ["id", "name", "created_at"]
    search_fields = ["name"]
    inlines = [MembershipInline]


@admin.register(ShopMembership)
class ShopMembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "shop", "manager", "created_at"]
    list_filter = ["shop", "manager"]
    search_fields = ["user__username", "shop__name"]
    autocomplete_fields = ["user", "shop"]


@admin.register(ServiceType)
class ServiceTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "handling_hours", "evidence_required",
                    "is_active", "sort_order"]
    list_editable = ["handling_hours", "evidence_required", "is_active", "sort_order"]
    list_filter = ["is_active", "evidence_required"]
    search_fields = ["code", "name_zh", "name_en"]


@admin.register(RejectReason)
class RejectReasonAdmin(admin.ModelAdmin):
    """The catalogue agents pick from when rejecting. A reason in use cannot be
    deleted (rejections refer to it): make it inactive instead."""

    list_display = ["code", "label_zh", "label_en", "is_active", "sort_order"]
    list_editable = ["is_active", "sort_order"]
    filter_horizontal = ["service_types"]


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ["number", "shop", "product_title", "amount", "shipping_status", "paid_at"]
    list_filter = ["shipping_status", "shop"]
    search_fields = ["=number", "tracking_number"]
    list_select_related = ["shop"]
    show_full_result_count = False


class EventInline(admin.TabularInline):
    """The audit trail is append-only: shown, never edited here."""

    model = TicketEvent
    extra = 0
    can_delete = False
    fields = ["created_at", "kind", "from_status", "to_status", "actor", "reason", "text"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Ticket)
class TicketAdmin(admin.ModelAdmin):
    """Read-only on lifecycle fields: status moves only through tickets.lifecycle
    (the pages), so the admin cannot bypass events and notifications."""

    list_display = ["number", "shop", "order", "service_type", "status", "resolution",
                    "deadline", "reject_count", "created_at"]
    list_filter = ["status", "resolution", "service_type", "shop"]
    search_fields = ["=number", "=order__number"]
    list_select_related = ["shop", "order", "service_type"]
    date_hierarchy = "created_at"
    show_full_result_count = False
    readonly_fields = ["number", "shop", "order", "service_type", "status", "resolution",
                       "deadline", "created_by", "created_at", "first_replied_at",
                       "last_replied_at", "reject_count", "closed_at", "content", "handler",
                       "claimed_by", "claim_expires_at", "last_reject_reason"]
    inlines = [EventInline]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        # A ticket and its events are the audit record; deleting one would also
        # scan every notification (they have no index on ticket_id).
        return False


@admin.register(TicketEvent)
class TicketEventAdmin(admin.ModelAdmin):
    list_display = ["ticket", "kind", "from_status", "to_status", "actor", "created_at"]
    list_filter = ["kind"]
    search_fields = ["=ticket__number"]
    list_select_related = ["ticket", "actor"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Evidence)
class EvidenceAdmin(admin.ModelAdmin):
    list_display = ["id", "event", "original_name", "content_type", "size"]
    readonly_fields = ["event", "image", "thumbnail", "original_name", "size", "sha256",
                       "content_type", "width", "height"]

    def has_add_permission(self, request):
        return False


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """The platform's default templates (no shop) are managed here; a shop's own
    are its merchants' (/settings/templates/)."""

    list_display = ["title", "shop", "service_type", "created_at"]
    list_filter = [("shop", admin.EmptyFieldListFilter), "service_type"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["shop"]
    list_select_related = ["shop", "service_type"]
