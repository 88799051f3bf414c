"""The Django admin, with one guard Django lacks.

The change and delete views check ``?_to_field=`` only when it is non-empty
and then look the empty name up as a field (FieldDoesNotExist, a 500). The
admin's own links never send it empty, so an empty one is refused as the
tampering it is (400), for every ModelAdmin at once."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR


class AdminSite(admin.AdminSite):
    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def refuse_empty_to_field(request, *args, **kwargs):
            if "" in (request.GET.get(TO_FIELD_VAR), request.POST.get(TO_FIELD_VAR)):
                raise DisallowedModelAdminToField("An empty _to_field references no field.")
            return guarded(request, *args, **kwargs)

        return refuse_empty_to_field


class ServicedeskAdminConfig(AdminConfig):
    default_site = "servicedesk.admin_site.AdminSite"
