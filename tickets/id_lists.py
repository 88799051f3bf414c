"""A list of ids as one query parameter, for the set-based statements of the
deadline sweep (its events, notifications and webhook deliveries).

``WHERE id IN (%s, %s, ...)`` with a placeholder per id makes Python build,
adapt and send thousands of parameters per statement (the ORM resolves each
value of an ``__in`` lookup on its own), and SQLite's cap on parameters split
a batch into several statements. An array (PostgreSQL) or a JSON list
(SQLite's ``json_each``) is one parameter whatever the number of ids.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from django.db import connection
from django.db.models.expressions import RawSQL


def _pg_array(values: list[int | None]) -> str:
    """A list of integers (or None) as PostgreSQL's array text (``{1,NULL,3}``),
    for a ``%s::bigint[]`` parameter. psycopg adapts a Python list element by
    element in Python; for a sweep batch's thousands of ids, three lists a
    batch, that cost more than the text (the values are ints already: no
    quoting needed)."""
    return "{" + ",".join(["NULL" if value is None else str(value) for value in values]) + "}"


def ids_subquery(ids: Sequence[int]) -> tuple[str, list]:
    """``(sql, params)`` of a subquery whose rows are ``ids``, for
    ``column IN (<sql>)``. Other databases: the usual placeholder per id."""
    ids = list(map(int, ids))
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])", [_pg_array(ids)]
    if connection.vendor == "sqlite":
        return "SELECT value FROM json_each(%s)", [json.dumps(ids)]
    return "VALUES " + ", ".join(["(%s)"] * len(ids)), ids


def rows_subquery(rows: Sequence[tuple[int | None, ...]],
                  columns: tuple[str, ...]) -> tuple[str, list]:
    """``(sql, params)`` of a subquery whose rows are ``rows``, tuples of
    integers or None, its columns named ``columns`` (quoted names), for
    ``FROM (<sql>) AS t``. For values the caller already has next to each id
    (a swept ticket's shop, from the UPDATE's RETURNING), so the statement
    need not look every row up again by id. PostgreSQL: an array per column;
    SQLite: one JSON list of rows."""
    if any(len(row) != len(columns) for row in rows):
        raise ValueError("every row needs one value per column")
    # Column by column: read as integers (anything else is refused), None kept.
    values = [[None if value is None else int(value) for value in column]
              for column in zip(*rows, strict=True)] or [[] for _ in columns]
    if connection.vendor == "postgresql":
        arrays = ", ".join(["%s::bigint[]"] * len(columns))
        return (f"SELECT * FROM unnest({arrays}) AS given({', '.join(columns)})",
                [_pg_array(column) for column in values])
    rows = list(zip(*values, strict=True))
    if connection.vendor == "sqlite":
        selected = ", ".join(f"json_extract(value, '$[{index}]') AS {column}"
                             for index, column in enumerate(columns))
        return f"SELECT {selected} FROM json_each(%s)", [json.dumps(rows)]
    placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
    return (f"SELECT * FROM (VALUES {', '.join([placeholders] * len(rows))}) "
            f"AS given({', '.join(columns)})", [value for row in rows for value in row])


def in_ids(ids: Sequence[int]) -> RawSQL:
    """For the ORM: ``filter(pk__in=in_ids(ids))``."""
    sql, params = ids_subquery(ids)
    return RawSQL(sql, params)
