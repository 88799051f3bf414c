"""Turning domain errors into HTTP responses, in one place.

A ``TicketError`` carries a translated message and its status (409 wrong state,
deadline passed or already replied; 403 not allowed; 400 bad input). The page
the user acted on is rendered again with the message on top and the response
carries the error's status; a success redirects (303) with a message. A
signed-in user of the wrong role gets the one 403 page (``role_required``).
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render, resolve_url

from .errors import TicketError


class SeeOther(HttpResponseRedirect):
    """After a POST, the browser GETs the page (no re-submission on reload)."""

    status_code = 303


def perform(request, action: Callable, *, success: str,
            on_error: Callable[..., HttpResponse]) -> HttpResponse:
    """Run one lifecycle call. Success: message + redirect to what it returned
    (a ticket). TicketError: ``on_error(status=..., error=...)`` re-renders the page."""
    try:
        result = action()
    except TicketError as error:
        return on_error(status=error.status_code, error=error.message)
    messages.success(request, success)
    return SeeOther(resolve_url(result))


def role_required(may: Callable[..., bool], *, message: str | None = None):
    """Anonymous users are sent to log in; a signed-in user for whom ``may(user)``
    is false gets the product's 403 page (with ``message``, if given), not a
    login loop. ``may`` is a predicate of ``tickets.roles``, where roles are
    defined. A bare ``PermissionDenied`` renders the same page through Django's
    403 handler, with the page's general wording."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not may(request.user):
                return render(request, "403.html", {"message": message}, status=403)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
