"""The drill-down's trend charts: SVG rendered on the server by pygal and
served as images, so the page itself stays free of inline script and style
(the charts' own styles live inside the SVG, which an <img> never runs)."""

from __future__ import annotations

import pygal
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from pygal.style import Style

from tickets.models import ServiceType, Shop

from . import figures as scorecard_figures
from .durations import CACHE_SECONDS
from .figures import ShopFigures
from .refresh import rollup_version

STYLE = Style(background="white", plot_background="white", foreground="#1f2933",
              foreground_strong="#1f2933", foreground_subtle="#cbd2d9",
              colors=("#2563eb", "#c2410c", "#15803d"),
              font_family="'Noto Sans CJK SC', 'WenQuanYi Zen Hei', sans-serif")
CHARTS = ("volume", "on_time")


def _config(chart_class, title: str, figures: ShopFigures):
    chart = chart_class(style=STYLE, width=900, height=320, js=[], title=title,
                        show_legend=True, legend_at_bottom=True, x_label_rotation=45,
                        show_minor_x_labels=False, truncate_label=-1)
    labels = [day.day.strftime("%m-%d") for day in figures.daily]
    chart.x_labels = labels
    # Every label on a week; one a week beyond that, so they stay legible.
    step = 1 if len(labels) <= 14 else 7
    chart.x_labels_major = labels[::-1][::step]
    return chart


def render(name: str, figures: ShopFigures) -> bytes:
    if name == "volume":
        chart = _config(pygal.Bar, _("Received and timed out per day"), figures)
        # Whole tickets on the axis: at most about six labels.
        top = max([day.received for day in figures.daily] + [1])
        step = max(1, -(-top // 6))
        chart.y_labels = list(range(0, top + step, step))
        chart.add(_("Received"), [day.received for day in figures.daily])
        chart.add(_("Timed out"), [day.timed_out for day in figures.daily])
    elif name == "on_time":
        chart = _config(pygal.Line, _("On-time rate per day (%)"), figures)
        chart.range = (0, 100)
        chart.y_labels = list(range(0, 101, 20))
        # A day with nothing closed has no rate: a gap, not a line across it.
        chart.allow_interruptions = True
        chart.add(_("On-time rate"),
                  [None if day.on_time_rate is None else round(day.on_time_rate * 100, 1)
                   for day in figures.daily])
    else:
        raise ValueError(name)
    return chart.render()


def shop_chart(name: str, shop: Shop, *, days: int, service_type: ServiceType | None) -> bytes:
    """The chart of the shop's period, rendered once per rollup version: a
    chart draws the daily series only, which changes only when a refresh
    rewrites the rollups (a new version) or the period moves on a day (a new
    first day), so the key holds both, with the language of its labels."""
    _refreshed_at, version = rollup_version()
    first = scorecard_figures.period_start(shop.zone, days, timezone.now()).date()
    key = (f"scorecard:chart:{version}:{name}:{shop.id}:{days}:"
           f"{service_type.code if service_type else ''}:{first.isoformat()}:{get_language()}")
    svg = cache.get(key) if version is not None else None
    if svg is None:
        card = scorecard_figures.shop_figures(shop, days=days, service_type=service_type)
        svg = render(name, card)
        if version is not None:
            cache.set(key, svg, timeout=CACHE_SECONDS)
    return svg
