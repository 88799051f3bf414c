from django import template
from django.template.base import render_value_in_context
from django.utils.formats import localize, number_format
from django.utils.html import format_html, format_html_join
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


@register.simple_tag
def daily_rows(daily, day_label, received_label, timed_out_label, rate_label) -> str:
    """The daily table's rows (``daily``: the view's rows of a day and its
    links): up to 90 of them, each of four cells, written in one pass rather
    than through the template engine a cell at a time (a variable lookup and
    an escape each, most of the drill-down's rendering)."""
    return format_html_join(
        "\n", '<tr><td data-label="{}">{}</td>'
              '<td data-label="{}" class="num"><a href="{}">{}</a></td>'
              '<td data-label="{}" class="num"><a href="{}">{}</a></td>'
              '<td data-label="{}" class="num">{}</td></tr>',
        ((day_label, row["day"].day.isoformat(),
          received_label, row["links"]["received"], localize(row["day"].received),
          timed_out_label, row["links"]["timed_out"], localize(row["day"].timed_out),
          rate_label, percent(row["day"].on_time_rate)) for row in daily))
