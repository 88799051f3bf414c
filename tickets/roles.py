"""Who is who, and what they may do to a ticket now.

Roles are Django groups; a merchant also belongs to a shop. A user in several
groups has the most powerful of them (``PRECEDENCE``), everywhere: the pages,
the scope and the notifications' recipients all ask this module.

``role_of`` caches the answer on the user object, so a request asks the database
once however many templates and checks want to know. ``role_annotations`` loads
the answer in the same query as the user (the session's user through
``load_user`` in ``tickets.auth.RoleAwareBackend``, an API token's user with the
token), so a request asks for none at all.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .compiled import CompiledQuery


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
    names = set() if user.is_superuser else set(user.groups.values_list("name", flat=True))
    user._servicedesk_role = _role_from(user, names)
    return user._servicedesk_role


def _role_from(user: User, names: set[str]) -> Role:
    if user.is_superuser:
        return Role.ADMIN
    role = next((r for r in PRECEDENCE if r in names), Role.NONE)
    # A merchant without a shop is no merchant at all.
    if role == Role.MERCHANT and shop_id_of(user) is None:
        return Role.NONE
    return role


def role_annotations(user_ref: str) -> dict:
    """Annotations that read a user's groups, shop and manager flag in the same
    query as a row that points at the user (``user_ref``: the field holding the
    user's id — ``"pk"`` on a User queryset, an API token's ``"user_id"``), so a
    request costs one query for who is asking, their role and their shop.
    ``remember_role`` then primes the caches ``role_of``, ``shop_id_of`` and
    ``is_manager`` read."""
    in_groups = User.groups.through.objects.filter(user_id=OuterRef(user_ref))
    annotations = {f"_role_in_{name}": Exists(in_groups.filter(group__name=name))
                   for name in GROUP_NAMES}
    membership = merchant_memberships().filter(user_id=OuterRef(user_ref))
    annotations["_role_shop_id"] = Subquery(membership.values("shop_id")[:1])
    annotations["_role_manager"] = Subquery(membership.values("manager")[:1])
    return annotations


def remember_role(user: User, row) -> None:
    """Prime ``user``'s role, shop and manager flag from a row read with
    ``role_annotations`` (the row may be the user itself)."""
    user._servicedesk_shop_id = row._role_shop_id
    user._servicedesk_manager = bool(row._role_manager)
    names = {name for name in GROUP_NAMES if getattr(row, f"_role_in_{name}")}
    user._servicedesk_role = _role_from(user, names)


def load_user(pk) -> User | None:
    """The user ``pk`` with role, shop and manager flag, in one query; None when
    there is none."""
    try:
        pk = User._meta.pk.to_python(pk)
    except ValidationError:
        return None
    user = _USER_WITH_ROLE.first(pk)
    if user is not None:
        remember_role(user, user)
    return user


# Compiled once: every signed-in request runs it (tickets.auth). The marker is a
# primary key no user has.
_USER_WITH_ROLE = CompiledQuery(
    lambda pk: User._default_manager.filter(pk=pk).annotate(**role_annotations("pk"))
    .order_by(),
    mark=-7_392_011)


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


# Compiled once: a manager's every list page offers them (the handler menu).
# The marker is a shop id no shop has.
_SHOP_MERCHANTS = CompiledQuery(shop_merchants, mark=-7_392_011)


def shop_merchant_list(shop_id: int) -> list:
    """``shop_merchants(shop_id)``, read through the compiled statement."""
    return _SHOP_MERCHANTS.all(shop_id)


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
