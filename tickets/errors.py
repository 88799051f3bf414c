"""Domain errors. Each carries a translated message a person can read and the
HTTP status the pages and API answer with (turned into a response in one place)."""

from django.utils.translation import gettext_lazy as _


class TicketError(Exception):
    status_code = 409
    default_message = _("This action is not possible for this ticket right now.")

    def __init__(self, message=None):
        self.message = message or self.default_message
        super().__init__(str(self.message))


class TransitionNotAllowed(TicketError):
    """The ticket is not in a state that allows this action."""

    default_message = _("This ticket's status no longer allows this action. Reload the page.")


class AlreadyReplied(TransitionNotAllowed):
    default_message = _("This ticket has already been replied to; no need to reply again.")


class DeadlinePassed(TicketError):
    default_message = _("The handling time for this ticket has expired; replies are closed.")


class NotPermitted(TicketError):
    status_code = 403
    default_message = _("You are not allowed to do this.")


class InvalidInput(TicketError):
    status_code = 400
    default_message = _("The submitted data is not valid.")


class Claimed(TicketError):
    """Another agent holds a live claim on the reply (tickets.claims)."""

    def __init__(self, holder_name: str):
        self.holder_name = holder_name
        super().__init__(_("%(name)s is reviewing this reply. Take it over to decide it.")
                         % {"name": holder_name})
