"""Turning domain errors into HTTP responses, in one place.

A ``TicketError`` carries a translated message and its status (409 wrong state,
deadline passed or already replied; 403 not allowed; 400 bad input). The page
the user acted on is rendered again with the message on top and the response
carries the error's status; a success redirects (303) with a message.
"""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import resolve_url

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


def require_role(check):
    """403 (not a login redirect) for a signed-in user of the wrong role; put
    it under login_required so anonymous users are sent to log in."""

    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not check(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapper

    return decorate
