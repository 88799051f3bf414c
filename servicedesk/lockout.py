"""The page a locked-out login gets (429 in the site's layout, translated).
User names longer than any account's never reach the lockout: the login forms
refuse them (servicedesk/login_forms.py)."""

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

