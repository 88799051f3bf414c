"""The scorecard's duration figures (first reply median and 90th percentile,
review wait median) of a shop's period, exact, and cached per rollup version.

They are the one part of a period's figures that costs in proportion to its
tickets: the rollups keep every whole-second duration (sorted, per day), so a
90-day median of a large shop decodes and merges tens of thousands of values.
Those values change only when a refresh rewrites the rollups, and every refresh
gives the rollups a new ``RefreshState.version``: the quantiles are computed
once per version, shop and period (for all service types and each type in the
same pass) and kept in the cache under that version, so a stale entry can never
be read. The refresh task computes the three periods of every shop right after
it refreshes (``warm``), so a page finds them ready.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from typing import NamedTuple

from django.core.cache import cache

from .models import ShopDay

# Longer than any refresh interval: an entry outlives its version only when
# refreshes stop, and then it is still the latest.
CACHE_SECONDS = 24 * 60 * 60
ALL_TYPES = 0  # the key of a shop's figures over every service type


def median(values: list[int]) -> float | None:
    return statistics.median(values) if values else None


def p90(values: list[int]) -> int | None:
    """Nearest rank: the ceil(0.9 n)-th smallest of the sorted ``values``."""
    if not values:
        return None
    return values[math.ceil(0.9 * len(values)) - 1]


class Durations(NamedTuple):
    first_reply_median: float | None = None
    first_reply_p90: int | None = None
    review_wait_median: float | None = None

    @classmethod
    def of(cls, first_reply: list[int], review_wait: list[int]) -> Durations:
        first_reply.sort()
        review_wait.sort()
        return cls(median(first_reply), p90(first_reply), median(review_wait))


NONE = Durations()
# Per shop: {service type id, or ALL_TYPES: Durations}.
ShopDurations = dict[int, Durations]


def _key(version, shop_id: int, first: dt.date, days: int) -> str:
    return f"scorecard:durations:{version}:{shop_id}:{first.isoformat()}:{days}"


def for_shops(firsts: dict[int, dt.date], *, days: int, version) -> dict[int, ShopDurations]:
    """Each shop's durations over ``days`` days from its ``firsts[shop id]``,
    for all service types and per type. ``version``: the rollups' (None when
    they were never refreshed: nothing to cache). Reads the rollups only for
    shops whose entry is not cached yet: one query per distinct first day."""
    keys = {shop_id: _key(version, shop_id, first, days) for shop_id, first in firsts.items()}
    found = cache.get_many(list(keys.values())) if version is not None else {}
    result = {shop_id: found[key] for shop_id, key in keys.items() if key in found}
    missing: dict[dt.date, list[int]] = defaultdict(list)
    for shop_id, first in firsts.items():
        if shop_id not in result:
            missing[first].append(shop_id)
    computed = {}
    for first, shop_ids in missing.items():
        computed.update(_compute(shop_ids, first=first, days=days))
    if computed and version is not None:
        cache.set_many({keys[shop_id]: value for shop_id, value in computed.items()},
                       timeout=CACHE_SECONDS)
    return {**result, **computed}


def _compute(shop_ids: list[int], *, first: dt.date, days: int) -> dict[int, ShopDurations]:
    rows = (ShopDay.objects.filter(shop_id__in=shop_ids, day__gte=first,
                                   day__lt=first + dt.timedelta(days=days))
            .values_list("shop_id", "service_type_id", "first_reply_seconds",
                         "review_wait_seconds").order_by())
    lists: dict[tuple[int, int], tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
    for shop_id, type_id, first_reply, review_wait in rows:
        for key in ((shop_id, type_id), (shop_id, ALL_TYPES)):
            lists[key][0].extend(first_reply)
            lists[key][1].extend(review_wait)
    result: dict[int, ShopDurations] = {shop_id: {} for shop_id in shop_ids}
    for (shop_id, type_id), (first_reply, review_wait) in lists.items():
        result[shop_id][type_id] = Durations.of(first_reply, review_wait)
    return result
