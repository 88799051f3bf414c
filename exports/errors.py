"""Refusals an export request can meet. Like every domain error they carry a
translated message and the HTTP status the page answers with."""

import math

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from tickets.errors import TicketError


class ExportError(TicketError):
    status_code = 400


class InvalidExportFilter(ExportError):
    status_code = 400
    default_message = _("The filter is not valid; correct it on the ticket list and export again.")

    def __init__(self, errors=None):
        self.errors = errors or {}
        super().__init__()


class ExportTooLarge(ExportError):
    """More rows match than one export may hold: refused before any work."""

    status_code = 400

    def __init__(self, *, count: int, cap: int):
        self.count, self.cap = count, cap
        super().__init__(_(
            "%(count)s tickets match this filter, but one export holds at most %(cap)s rows. "
            "Narrow the created-time range (created from / to) and export again."
        ) % {"count": f"{count:,}", "cap": f"{cap:,}"})


class ExportCooldownActive(ExportError):
    status_code = 429

    def __init__(self, *, remaining_seconds: float):
        # Round up: "wait 0 seconds" would be a lie while the slot is still taken.
        self.retry_after = max(1, math.ceil(remaining_seconds))
        super().__init__(ngettext(
            "You can start one export per minute. Try again in %(seconds)d second.",
            "You can start one export per minute. Try again in %(seconds)d seconds.",
            self.retry_after,
        ) % {"seconds": self.retry_after})


class ExportUnavailable(ExportError):
    """The job could not be handed to the background workers (broker down)."""

    status_code = 503
    default_message = _("Exports are temporarily unavailable. Please try again in a moment.")
