"""What the base layout needs to know about the user on every page."""

from . import roles


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # role_of caches on the user object: one query per request whatever asks.
    role = roles.role_of(user)
    return {
        "user_role": role,
        "user_role_label": roles.ROLE_LABELS[role],
        "nav_can_review": roles.is_agent(user),
        "nav_can_export": roles.can_export(user),
        "nav_can_create": roles.can_create_tickets(user),
        "nav_sees_all_shops": roles.sees_all_shops(user),
        "nav_is_manager": roles.is_manager(user),
    }
