"""The login lockout's two hooks: the user name it counts, and the page a
locked-out login gets (429 in the site's layout, translated)."""

from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    # The lock lasts LOGIN_LOCKOUT_MINUTES from the last failure, so that is
    # also the longest anyone has to wait.
    minutes = settings.LOGIN_LOCKOUT_MINUTES
    response = render(request, "registration/locked_out.html", {"minutes": minutes},
                      status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


# django-axes stores the counted name in a 255-character column; a longer one
# belongs to no account (user names are at most 150), so cutting it keeps the
# count per name and keeps PostgreSQL from refusing the row (a 500).
COUNTED_NAME_LENGTH = 255


def username_of(request, credentials=None) -> str:
    source = credentials or request.POST
    return str(source.get(settings.AXES_USERNAME_FORM_FIELD, "") or "")[:COUNTED_NAME_LENGTH]
