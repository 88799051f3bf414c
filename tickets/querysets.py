from django.db import models


class TicketQuerySet(models.QuerySet):
    def visible_to(self, user) -> "TicketQuerySet":
        """The one scope every page, API call, filter and export starts from:
        merchants see their own shop's tickets, agents and ops see all, anyone
        else sees nothing. Joins what list and detail pages print."""
        from .roles import Role, role_of, shop_id_of

        role = role_of(user)
        qs = self.select_related("shop", "order", "service_type", "handler")
        if role == Role.MERCHANT:
            return qs.filter(shop_id=shop_id_of(user))
        if role in (Role.AGENT, Role.OPS, Role.ADMIN):
            return qs
        return qs.none()

    def pending(self) -> "TicketQuerySet":
        from .models import TicketStatus

        return self.filter(status=TicketStatus.PENDING)

    def due(self, now) -> "TicketQuerySet":
        """Pending tickets whose handling deadline has passed: those the time-out
        transition may start from at ``now``."""
        from .transitions import TRANSITIONS, Action

        return self.filter(TRANSITIONS[Action.TIME_OUT].startable(now))
