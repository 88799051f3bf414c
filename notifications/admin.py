from django.contrib import admin

from .models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ["id", "recipient", "kind", "ticket", "created_at", "read_at"]
    list_filter = ["kind", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient", "ticket"]
    search_fields = ["recipient__username", "ticket__number"]
    # Hundreds of thousands of rows and users: no dropdowns, no full COUNT.
    raw_id_fields = ["recipient", "ticket"]
    show_full_result_count = False
    readonly_fields = ["created_at"]
