from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def percent(rate) -> str:
    """0.875 → 87.5 %; nothing to rate → an em dash."""
    if rate is None:
        return "—"
    return f"{number_format(round(rate * 100, 1), decimal_pos=1)}%"


@register.filter
def duration(seconds) -> str:
    """Whole seconds (a median may end in .5) as hours, minutes and seconds."""
    if seconds is None:
        return "—"
    whole = int(seconds)
    half = seconds - whole
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    shown_secs = number_format(secs + half, decimal_pos=1) if half else str(secs)
    if hours:
        return _("%(h)s h %(m)s min %(s)s s") % {"h": hours, "m": minutes, "s": shown_secs}
    if minutes:
        return _("%(m)s min %(s)s s") % {"m": minutes, "s": shown_secs}
    return _("%(s)s s") % {"s": shown_secs}
