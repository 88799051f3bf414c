from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: a job changes only through exports.jobs (request, task, reaper, retention)."""

    list_display = ["id", "requester", "shop", "status", "matched_count", "rows_written",
                    "created_at", "finished_at"]
    list_filter = ["status"]
    list_select_related = ["requester", "shop"]
    search_fields = ["requester__username"]
    readonly_fields = [f.name for f in ExportJob._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
