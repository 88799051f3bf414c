from django import template
from django.template.base import render_value_in_context
from django.utils.formats import localize, number_format
from django.utils.html import conditional_escape, escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

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
    an escape each, most of the drill-down's rendering). The labels are
    escaped once, the links and rates per row; the rest are numbers and dates."""
    row = ('<tr><td data-label="{0}">{4}</td>'
           '<td data-label="{1}" class="num"><a href="{5}">{6}</a></td>'
           '<td data-label="{2}" class="num"><a href="{7}">{8}</a></td>'
           '<td data-label="{3}" class="num">{9}</td></tr>')
    labels = [conditional_escape(label)
              for label in (day_label, received_label, timed_out_label, rate_label)]
    # Every part is escaped above or is a number, a date or a rate.
    return mark_safe("\n".join(
        row.format(*labels, item["day"].day.isoformat(),
                   escape(item["links"]["received"]), localize(item["day"].received),
                   escape(item["links"]["timed_out"]), localize(item["day"].timed_out),
                   escape(percent(item["day"].on_time_rate)))
        for item in daily))


# The ranking's cells: label, link (a key of the row's links, or the shop's
# page), and the value's attribute of the figures and its filter.
RANKING_CELLS = (
    (_lazy("Received"), "received", "received", None),
    (_lazy("Closed"), "closed", "closed", None),
    (_lazy("Timed out"), "timed_out", "timed_out", None),
    (_lazy("On-time rate"), "on_time_rate", "on_time_rate", percent),
    (_lazy("Reject rate"), "reject_rate", "reject_rate", percent),
    (_lazy("First reply (median)"), "first_reply", "first_reply_median_seconds", duration),
    (_lazy("Review wait (median)"), "review_wait", "review_wait_median_seconds", duration),
    (_lazy("Pending now"), "open_pending", "open_pending", None),
    (_lazy("Due soon"), "due_soon", "due_soon", None),
)


@register.simple_tag
def ranking_rows(rows) -> str:
    """The ranking's rows (``rows``: the view's, of figures, links and the
    shop's page), written in one pass like ``daily_rows``: a row per shop,
    each of ten cells."""
    cells = [(escape(label), link, name, show) for label, link, name, show in RANKING_CELLS]
    shop_label = escape(_("Shop"))
    html = []
    for row in rows:
        figures, links = row["figures"], row["links"]
        html.append(f'<tr data-shop="{figures.shop.id}">'
                    f'<td data-label="{shop_label}"><a href="{escape(row["url"])}">'
                    f"{escape(figures.shop.name)}</a></td>")
        for label, link, name, show in cells:
            value = getattr(figures, name)
            shown = show(value) if show else localize(value)
            html.append(f'<td data-label="{label}" class="num"><a href="{escape(links[link])}">'
                        f"{escape(shown)}</a></td>")
        html.append("</tr>")
    # Every part is escaped above or is a number.
    return mark_safe("".join(html))
