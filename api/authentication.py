"""``Authorization: Bearer <token>``: the request acts as the token's user."""

from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from . import tokens


class BearerTokenAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Give exactly one token after \"Bearer\" in the Authorization header."))
        try:
            raw = header[1].decode("ascii")
        except UnicodeDecodeError:
            raw = ""
        token = tokens.find_usable(raw) if raw else None
        if token is None:
            raise exceptions.AuthenticationFailed(
                _("This API token is not valid: it is unknown, revoked or expired."))
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403.
        return 'Bearer realm="api"'
