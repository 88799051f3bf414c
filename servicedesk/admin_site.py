"""The Django admin, with the input guards Django's own admin lacks.

Its change and delete views check ``?_to_field=`` only when it is non-empty
and then look the empty name up as a field (FieldDoesNotExist), and its
changelist filters and search hand their values to the database as they come
(a NUL byte is a DataError on PostgreSQL): both were 500s. The admin's own
links and forms never send either, so each is refused as tampering (400), for
every ModelAdmin at once, before the view runs."""

from functools import wraps

from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.exceptions import DisallowedModelAdminToField
from django.contrib.admin.options import TO_FIELD_VAR
from django.core.exceptions import BadRequest


def _refuse_tampering(request) -> None:
    for data in (request.GET, request.POST):
        if data.get(TO_FIELD_VAR) == "":
            raise DisallowedModelAdminToField("An empty _to_field references no field.")
        for key, values in data.lists():
            if "\x00" in key or any("\x00" in value for value in values):
                raise BadRequest("Null characters are not allowed.")


class AdminSite(admin.AdminSite):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Imported here: the site is built while the apps load, before the
        # auth forms (which need the user model) can be imported.
        from .login_forms import AdminLoginForm

        self.login_form = AdminLoginForm

    def admin_view(self, view, cacheable=False):
        guarded = super().admin_view(view, cacheable)

        @wraps(view)
        def refuse_then_view(request, *args, **kwargs):
            _refuse_tampering(request)
            return guarded(request, *args, **kwargs)

        return refuse_then_view


class ServicedeskAdminConfig(AdminConfig):
    default_site = "servicedesk.admin_site.AdminSite"
