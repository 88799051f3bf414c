"""Who is who (DESIGN §2). Roles are Django groups; a merchant also has a shop.

``role_of`` caches the answer on the user object, so a request asks the database
once however many templates and checks want to know.
"""

from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User


class Role(StrEnum):
    MERCHANT = "merchant"
    AGENT = "agent"
    OPS = "ops"
    ADMIN = "admin"
    NONE = "none"


GROUP_NAMES = (Role.MERCHANT, Role.AGENT, Role.OPS)


def role_of(user: User | AnonymousUser) -> Role:
    if not user.is_authenticated:
        return Role.NONE
    cached = getattr(user, "_servicedesk_role", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        role = Role.ADMIN
    else:
        names = set(user.groups.values_list("name", flat=True))
        # A user in several groups gets the most powerful of them; a merchant
        # without a shop is no merchant at all.
        if Role.AGENT in names:
            role = Role.AGENT
        elif Role.OPS in names:
            role = Role.OPS
        elif Role.MERCHANT in names and shop_id_of(user) is not None:
            role = Role.MERCHANT
        else:
            role = Role.NONE
    user._servicedesk_role = role
    return role


def shop_id_of(user: User | AnonymousUser) -> int | None:
    """The merchant's shop, or None for everybody else."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_servicedesk_shop_id"):
        from .models import ShopMembership

        user._servicedesk_shop_id = (
            ShopMembership.objects.filter(user_id=user.pk).values_list("shop_id", flat=True).first()
        )
    return user._servicedesk_shop_id


def is_merchant(user) -> bool:
    return role_of(user) == Role.MERCHANT


def is_agent(user) -> bool:
    """Agents (and the superuser) review and create tickets."""
    return role_of(user) in (Role.AGENT, Role.ADMIN)


def is_ops(user) -> bool:
    return role_of(user) in (Role.OPS, Role.ADMIN)


def sees_all_shops(user) -> bool:
    return role_of(user) in (Role.AGENT, Role.OPS, Role.ADMIN)


# "May this user do X to this ticket?" The ticket is assumed to come from
# Ticket.objects.visible_to(user): visibility is not re-checked here.

def can_reply(user, ticket) -> bool:
    from .models import TicketStatus

    return is_merchant(user) and ticket.status == TicketStatus.PENDING


def can_review(user, ticket) -> bool:
    from .models import TicketStatus

    return is_agent(user) and ticket.status == TicketStatus.UNDER_REVIEW


def can_close_as_agreed(user, ticket) -> bool:
    from .models import TicketStatus

    return is_agent(user) and ticket.status in (TicketStatus.PENDING, TicketStatus.UNDER_REVIEW)


def can_create_tickets(user) -> bool:
    return is_agent(user)


def can_export(user) -> bool:
    """Merchants export their shop; ops export across shops; agents do not."""
    return role_of(user) in (Role.MERCHANT, Role.OPS, Role.ADMIN)
