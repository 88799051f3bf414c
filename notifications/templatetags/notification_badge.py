from django import template
from django.conf import settings

from tickets import selectors

from .. import services

register = template.Library()


@register.simple_tag(takes_context=True)
def badge_counts(context) -> dict:
    """What the header badge shows: the user's unread count, the review queue for
    agents, and how often htmx asks again (read per render, so tests can shorten it)."""
    user = context["request"].user
    review = services.review_queue_count(user)
    cap = selectors.COUNT_CAP
    return {
        "unread": services.unread_count(user),
        "review": None if review is None else min(review, cap),
        "review_capped": review is not None and review > cap,
        "count_cap": cap,
        "poll_seconds": max(1, int(settings.NOTIFICATION_POLL_SECONDS)),
    }
