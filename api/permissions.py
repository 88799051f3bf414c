"""Signed in (token or session), and a read-only token only reads."""

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import SAFE_METHODS, BasePermission

from .models import ApiToken


class TokenScope(BasePermission):
    message = _("This API token is read-only.")

    def has_permission(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return False
        if isinstance(request.auth, ApiToken) and request.auth.read_only:
            return request.method in SAFE_METHODS
        return True
