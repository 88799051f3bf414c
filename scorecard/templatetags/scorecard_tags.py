from django import template
from django.template.base import render_value_in_context
from django.utils.formats import number_format
from django.utils.html import format_html
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


@register.simple_tag(takes_context=True)
def figure(context, label, value, url, testid) -> str:
    """One figure of the card: its label, and its value linking to the tickets
    it counts. A tag, not an included template: the card has fifteen, and an
    include costs a template render each."""
    return format_html('<div class="figure"><dt>{}</dt><dd><a href="{}" data-figure="{}">{}</a>'
                       "</dd></div>", label, url, testid, render_value_in_context(value, context))
