"""Who is who, and what they may do to a ticket now.

Roles are Django groups; a merchant also belongs to a shop. A user in several
groups has the most powerful of them (``PRECEDENCE``), everywhere: the pages,
the scope and the notifications' recipients all ask this module.

``role_of`` caches the answer on the user object, so a request asks the database
once however many templates and checks want to know. ``with_roles`` loads users
with the answer already in the same query (the session's user is loaded that
way, by ``tickets.auth.RoleAwareBackend``), so a page asks for none at all.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Role(StrEnum):
    MERCHANT = "merchant"
    AGENT = "agent"
    OPS = "ops"
    ADMIN = "admin"
    NONE = "none"


# What a person reads for a role (the header's tooltip): never the code.
ROLE_LABELS = {
    Role.MERCHANT: _("Merchant"),
    Role.AGENT: _("Platform agent"),
    Role.OPS: _("Platform ops"),
    Role.ADMIN: _("Administrator"),
    Role.NONE: _("No role"),
}


GROUP_NAMES = (Role.MERCHANT, Role.AGENT, Role.OPS)

# Most powerful first: the role of a user in several groups.
PRECEDENCE = (Role.AGENT, Role.OPS, Role.MERCHANT)


def merchant_memberships():
    """The memberships of everyone who is a merchant of their shop right now:
    an active user, not the superuser, in the merchant group and in no group that
    outranks it. The one definition of "merchant of this shop": ``role_of`` and
    the scope ask it for one user, the notifications for every shop of a batch
    (``.filter(shop_id__in=...)``)."""
    from .models import ShopMembership

    outranking = PRECEDENCE[:PRECEDENCE.index(Role.MERCHANT)]
    return (ShopMembership.objects
            .filter(user__is_active=True, user__is_superuser=False,
                    user__groups__name=Role.MERCHANT)
            .exclude(user__groups__name__in=outranking))


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
        role = next((r for r in PRECEDENCE if r in names), Role.NONE)
        # A merchant without a shop is no merchant at all.
        if role == Role.MERCHANT and shop_id_of(user) is None:
            role = Role.NONE
    user._servicedesk_role = role
    return role


def _in_group_field(name: str) -> str:
    return f"servicedesk_in_{name}"


def with_roles(users: QuerySet) -> QuerySet:
    """``users`` (a User queryset) with what ``role_of`` and ``shop_id_of`` need
    selected in the same query: one EXISTS per role group and the shop of the
    user's membership. Read the rows through ``remember_roles``."""
    from .models import ShopMembership

    memberships = User.groups.through.objects.filter(user_id=OuterRef("pk"))
    membership = ShopMembership.objects.filter(user_id=OuterRef("pk"))
    return users.annotate(
        **{_in_group_field(name): Exists(memberships.filter(group__name=name))
           for name in GROUP_NAMES},
        servicedesk_membership_shop=Subquery(membership.values("shop_id")[:1]),
        servicedesk_membership_manager=Subquery(membership.values("manager")[:1]),
    )


def remember_roles(user: User) -> User:
    """Cache the role, shop and manager flag of a user loaded through ``with_roles`` on it,
    decided exactly as ``role_of`` and ``merchant_memberships`` decide them."""
    if user.is_superuser:
        role, shop_id = Role.ADMIN, None
    else:
        role = next((r for r in PRECEDENCE if getattr(user, _in_group_field(r))), Role.NONE)
        shop_id = (user.servicedesk_membership_shop
                   if role == Role.MERCHANT and user.is_active else None)
        # A merchant without a shop is no merchant at all.
        if role == Role.MERCHANT and shop_id is None:
            role = Role.NONE
    user._servicedesk_role = role
    user._servicedesk_shop_id = shop_id
    user._servicedesk_manager = bool(shop_id is not None and user.servicedesk_membership_manager)
    return user


def load_user(pk) -> User | None:
    """The user ``pk`` with role and shop, in one query; None when there is none."""
    user = with_roles(User._default_manager.filter(pk=pk)).first()
    return remember_roles(user) if user is not None else None


def shop_id_of(user: User | AnonymousUser) -> int | None:
    """The merchant's shop, or None for everybody else."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_servicedesk_shop_id"):
        # The manager flag comes with it: one query answers both.
        shop_id, manager = (merchant_memberships().filter(user_id=user.pk)
                            .values_list("shop_id", "manager").first() or (None, False))
        user._servicedesk_shop_id, user._servicedesk_manager = shop_id, manager
    return user._servicedesk_shop_id


def is_manager(user) -> bool:
    """A merchant whose membership carries the manager flag: assigns the shop's
    tickets and sets its automatic assignment."""
    if not is_merchant(user):
        return False
    shop_id_of(user)  # reads the flag with the shop
    return user._servicedesk_manager


def shop_merchants(shop_id: int):
    """The users who are merchants of the shop right now (who may be a handler)."""
    from django.contrib.auth import get_user_model

    return (get_user_model().objects
            .filter(shop_membership__in=merchant_memberships().filter(shop_id=shop_id))
            .order_by("username"))


def is_merchant(user) -> bool:
    return role_of(user) == Role.MERCHANT


def is_agent(user) -> bool:
    """Agents (and the superuser) review and create tickets."""
    return role_of(user) in (Role.AGENT, Role.ADMIN)


def is_ops(user) -> bool:
    return role_of(user) in (Role.OPS, Role.ADMIN)


def sees_all_shops(user) -> bool:
    return role_of(user) in (Role.AGENT, Role.OPS, Role.ADMIN)


# "May this user do X to this ticket now?", read off the transition table. The
# ticket is assumed to come from Ticket.objects.visible_to(user): visibility is
# not re-checked here.

def may(user, action, ticket=None, *, now: datetime | None = None) -> bool:
    """Whether ``user`` may do ``action``: their role alone without ``ticket``
    (may they ever), else also the ticket's status and deadline at ``now``."""
    from .transitions import TRANSITIONS

    transition = TRANSITIONS[action]
    if role_of(user) not in transition.roles:
        return False
    if ticket is None:
        return True
    return (transition.starts_from(ticket.status)
            and transition.deadline_allows(ticket.deadline, now or timezone.now()))


def allowed_actions(user, ticket, now: datetime | None = None) -> frozenset:
    """Every action ``user`` may take on ``ticket`` at ``now``."""
    from .transitions import TRANSITIONS

    now = now or timezone.now()
    return frozenset(action for action in TRANSITIONS if may(user, action, ticket, now=now))


def can_create_tickets(user) -> bool:
    from .transitions import Action

    return may(user, Action.CREATE)


def can_export(user) -> bool:
    """Merchants export their shop; ops export across shops; agents do not."""
    return role_of(user) in (Role.MERCHANT, Role.OPS, Role.ADMIN)
