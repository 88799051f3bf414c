"""Keyset (cursor) pagination for ticket lists.

``OFFSET 500000`` reads and throws away half a million rows (300-500 ms at
1,000,000 tickets, measured on SQLite and PostgreSQL); a keyset page starts from the last row
the reader saw and costs the same at any depth. The cursor is the sort value of
that row plus its id (the tie-breaker), written ``<epoch microseconds>_<id>``.

The spelling matters: ``Q(key__lt=c) | Q(key=c, id__lt=i)`` alone defeats the
``(key, id)`` index on SQLite and PostgreSQL; adding the bound first,
``filter(key__lte=c).filter(Q(key__lt=c) | Q(id__lt=i))``, uses it and returns
the same rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL

PAGE_SIZE = 20
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class InvalidCursor(ValueError):
    pass


@dataclass(frozen=True)
class Cursor:
    value: dt.datetime
    id: int

    def encode(self) -> str:
        # Integer arithmetic: a float timestamp loses the last microsecond.
        micros = (self.value - EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}_{self.id}"

    @classmethod
    def decode(cls, raw: str) -> Cursor:
        try:
            micros, pk = raw.split("_", 1)
            value = EPOCH + dt.timedelta(microseconds=int(micros))
            pk = int(pk)
        except (ValueError, OverflowError, OSError) as exc:
            raise InvalidCursor(raw) from exc
        if pk < 0:
            raise InvalidCursor(raw)
        return cls(value, pk)

    @classmethod
    def of(cls, row, key: str) -> Cursor:
        """The cursor of a model instance or of a dict of ``values()``."""
        if isinstance(row, Mapping):
            return cls(row[key], row["id"])
        return cls(getattr(row, key), row.id)


@dataclass
class KeysetPage:
    rows: list
    next_cursor: str | None  # "after=" of the next page, None on the last page
    prev_cursor: str | None  # "before=" of the previous page, None on the first page


def _page_after(qs: QuerySet, key: str, cursor: Cursor, descending: bool, *,
                row_values: bool = False) -> QuerySet:
    """Rows that come after ``cursor`` in the page order. ``row_values``: as
    one row comparison, ``(key, id) > (value, id)``, for an index whose
    leading columns the other conditions fix (``(handler, deadline, id)``):
    the comparison is then a single range of the index. Spelled as two
    conditions there, PostgreSQL read both halves of the OR as bitmaps and
    sorted thousands of rows (90 ms on a deep page of a handler's tickets at
    1,000,000; 1 ms this way)."""
    if row_values:
        db = connections[qs.db]
        quote = db.ops.quote_name
        table = quote(qs.model._meta.db_table)
        field = qs.model._meta.get_field(key)
        # The cursor's value as the column stores it (naive UTC text on SQLite).
        value = field.get_db_prep_value(cursor.value, db)
        operator = "<" if descending else ">"
        return qs.filter(RawSQL(
            f"({table}.{quote(field.column)}, {table}.{quote('id')}) {operator} (%s, %s)",
            (value, cursor.id), output_field=BooleanField()))
    if descending:
        return qs.filter(**{f"{key}__lte": cursor.value}).filter(
            Q(**{f"{key}__lt": cursor.value}) | Q(id__lt=cursor.id))
    return qs.filter(**{f"{key}__gte": cursor.value}).filter(
        Q(**{f"{key}__gt": cursor.value}) | Q(id__gt=cursor.id))


def keyset_page(qs: QuerySet, *, key: str, descending: bool, after: str | None = None,
                before: str | None = None, size: int = PAGE_SIZE,
                row_values: bool = False) -> KeysetPage:
    """One page of ``qs`` ordered by ``(key, id)``; one query whatever the depth.

    ``after`` walks forward from a cursor, ``before`` walks back (the page is
    read in reverse order from the cursor, then flipped). Rows whose ``key`` is
    NULL must be filtered out by the caller (they have no place in the order).
    ``row_values``: the cursor's condition as one row comparison (``_page_after``).
    """
    sign = "-" if descending else ""
    forward_order = (f"{sign}{key}", f"{sign}id")
    if before:
        cursor = Cursor.decode(before)
        backward_order = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in forward_order)
        rows = list(_page_after(qs, key, cursor, not descending, row_values=row_values)
                    .order_by(*backward_order)[: size + 1])
        has_more_before = len(rows) > size
        rows = rows[:size][::-1]
        return KeysetPage(
            rows=rows,
            next_cursor=Cursor.of(rows[-1], key).encode() if rows else None,
            prev_cursor=Cursor.of(rows[0], key).encode() if rows and has_more_before else None,
        )
    rows = list(forward_page_query(qs, key=key, descending=descending,
                                   after=Cursor.decode(after) if after else None,
                                   size=size, row_values=row_values))
    return forward_page(rows, key=key, size=size, after=after)


def forward_page_query(qs: QuerySet, *, key: str, descending: bool, after: Cursor | None,
                       size: int, row_values: bool = False) -> QuerySet:
    """The query of the page after ``after`` (the first page without one):
    ``size`` rows and one more, which says whether there is a next page."""
    sign = "-" if descending else ""
    if after is not None:
        qs = _page_after(qs, key, after, descending, row_values=row_values)
    return qs.order_by(f"{sign}{key}", f"{sign}id")[: size + 1]


def forward_page(rows: list, *, key: str, size: int, after) -> KeysetPage:
    """The page of the rows ``forward_page_query`` read."""
    has_more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(
        rows=rows,
        next_cursor=Cursor.of(rows[-1], key).encode() if has_more else None,
        # Coming from a cursor there is something before; the first page has nothing.
        prev_cursor=Cursor.of(rows[0], key).encode() if after and rows else None,
    )
