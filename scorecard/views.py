"""The scorecard pages: thin views over ``scorecard.access``, ``params`` and
``figures`` (the same calls as the API)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from tickets import roles
from tickets.models import ServiceType

from . import access, charts, figures, links
from .params import ScorecardParams

# The ranking's sortable columns; the default is the worst on-time rate first.
SORTS = ("shop", "received", "closed", "timed_out", "on_time_rate", "reject_rate",
         "first_reply_median_seconds", "review_wait_median_seconds", "open_pending", "due_soon")
DEFAULT_SORT = "on_time_rate"
CHART_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def _params(request):
    params = ScorecardParams(request.GET)
    return params, params.is_valid()


def _common(request, params, *, valid: bool) -> dict:
    data = params.cleaned_data if valid else {}
    return {
        "period_links": {period: _with(request, days=period) for period in figures.PERIODS},
        "params": params,
        "days": data.get("days", figures.DEFAULT_PERIOD),
        "service_type": data.get("service_type"),
        "periods": figures.PERIODS,
        "service_types": ServiceType.objects.all(),
        # "as_of": the figures' own when they are shown (read with them).
    }


@require_GET
@login_required
def index(request):
    """Merchants: their shop's scorecard. Agents and ops: every shop, ranked."""
    params, valid = _params(request)
    if not access.sees_ranking(request.user):
        shop = access.own_shop(request.user)
        if shop is None:
            return render(request, "403.html", status=403)
        return _shop_page(request, shop, params, valid)
    context = _common(request, params, valid=valid)
    sort = request.GET.get("sort", DEFAULT_SORT)
    descending = sort.startswith("-")
    if sort.lstrip("-") not in SORTS:
        context["sort_error"] = True
        valid = False
    if not valid:
        return render(request, "scorecard/ranking.html",
                      {**context, "rows": [], "as_of": figures.as_of()}, status=400)
    rows = figures.ranking(days=context["days"], service_type=context["service_type"])
    context["as_of"] = rows[0].as_of if rows else figures.as_of()
    rows = _sorted(rows, sort.lstrip("-"), descending=descending)
    shop_query = _shop_query(request)
    context.update(
        rows=[{"figures": row, "links": links.figure_links(row),
               "url": reverse("scorecard:shop", args=[row.shop.id]) + shop_query}
              for row in rows],
        sort=sort,
        sort_links=_sort_links(request, sort),
        can_export=roles.is_ops(request.user),
    )
    return render(request, "scorecard/ranking.html", context)


def _sorted(rows, key: str, *, descending: bool):
    if key == "shop":
        return sorted(rows, key=lambda row: row.shop.name, reverse=descending)
    if key == DEFAULT_SORT and not descending:
        return rows  # the ranking's own order
    known = [row for row in rows if getattr(row, key) is not None]
    unknown = [row for row in rows if getattr(row, key) is None]
    # Shops without the figure go last either way; ties keep the ranking's order.
    return sorted(known, key=lambda row: getattr(row, key), reverse=descending) + unknown


def _sort_links(request, current: str) -> dict[str, str]:
    """Per column, the ranking sorted by it (again: the other way round)."""
    result = {}
    for key in SORTS:
        query = request.GET.copy()
        query["sort"] = f"-{key}" if current == key else key
        result[key] = f"?{query.urlencode()}"
    return result


def _shop_query(request) -> str:
    """The ranking's parameters but its order, for the links to each shop."""
    query = request.GET.copy()
    query.pop("sort", None)
    return f"?{query.urlencode()}" if query else ""


@require_GET
@login_required
def shop(request, shop_id: int):
    shop = access.visible_shop(request.user, shop_id)
    params, valid = _params(request)
    return _shop_page(request, shop, params, valid)


def _shop_page(request, shop, params, valid: bool):
    context = {**_common(request, params, valid=valid), "shop": shop,
               "sees_ranking": access.sees_ranking(request.user)}
    if not valid:
        return render(request, "scorecard/shop.html", {**context, "as_of": figures.as_of()},
                      status=400)
    days, service_type = context["days"], context["service_type"]
    if service_type is None:
        card, breakdown = figures.shop_with_breakdown(shop, days=days)
    else:
        card, breakdown = figures.shop_figures(shop, days=days, service_type=service_type), []
    query = request.GET.copy()
    query.pop("shop", None)
    context.update(
        as_of=card.as_of,
        card=card,
        links=links.figure_links(card),
        daily=[{"day": day, "links": day_links} for day, day_links
               in zip(reversed(card.daily), links.daily_links(card, card.daily[::-1]),
                      strict=True)],
        breakdown=[{"figures": row, "links": links.figure_links(row)} for row in breakdown],
        chart_urls={name: reverse("scorecard:chart", args=[shop.id, name])
                    + f"?{query.urlencode()}" for name in charts.CHARTS},
    )
    return render(request, "scorecard/shop.html", context)


def _with(request, **changes) -> str:
    query = request.GET.copy()
    for name, value in changes.items():
        query[name] = value
    return f"?{query.urlencode()}"


@require_GET
@login_required
def chart(request, shop_id: int, name: str):
    shop = access.visible_shop(request.user, shop_id)
    params, valid = _params(request)
    if name not in charts.CHARTS:
        raise Http404("no such chart")
    if not valid:
        return HttpResponse(status=400)
    svg = charts.shop_chart(name, shop, days=params.cleaned_data["days"],
                            service_type=params.cleaned_data["service_type"])
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["Content-Security-Policy"] = CHART_CSP
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=60"
    return response
