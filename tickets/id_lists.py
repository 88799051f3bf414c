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


def _pg_array(values: list[int]) -> str:
    """A list of integers as PostgreSQL's array text (``{1,2,3}``), for a
    ``%s::bigint[]`` parameter. psycopg adapts a Python list element by element
    in Python; for a sweep batch's thousands of ids, three lists a batch, that
    cost more than the text (the values are ints already: no quoting needed)."""
    return "{" + ",".join(map(str, values)) + "}"


def ids_subquery(ids: Sequence[int]) -> tuple[str, list]:
    """``(sql, params)`` of a subquery whose rows are ``ids``, for
    ``column IN (<sql>)``. Other databases: the usual placeholder per id."""
    ids = list(map(int, ids))
    if connection.vendor == "postgresql":
        return "SELECT unnest(%s::bigint[])", [_pg_array(ids)]
    if connection.vendor == "sqlite":
        return "SELECT value FROM json_each(%s)", [json.dumps(ids)]
    return "VALUES " + ", ".join(["(%s)"] * len(ids)), ids


def pairs_subquery(pairs: Sequence[tuple[int, int]], columns: tuple[str, str]) -> tuple[str, list]:
    """``(sql, params)`` of a subquery whose rows are ``pairs`` of integers,
    its two columns named ``columns`` (quoted names), for ``FROM (<sql>) AS t``.
    For values the caller already has next to each id (a swept ticket's shop,
    from the UPDATE's RETURNING), so the statement need not look every row up
    again by id. PostgreSQL: two arrays; SQLite: one JSON list of pairs."""
    first, second = columns
    pairs = [(int(a), int(b)) for a, b in pairs]
    if connection.vendor == "postgresql":
        return (f"SELECT * FROM unnest(%s::bigint[], %s::bigint[]) AS pairs({first}, {second})",
                [_pg_array([a for a, _ in pairs]), _pg_array([b for _, b in pairs])])
    if connection.vendor == "sqlite":
        return (f"SELECT json_extract(value, '$[0]') AS {first}, "
                f"json_extract(value, '$[1]') AS {second} FROM json_each(%s)",
                [json.dumps(pairs)])
    return (f"SELECT * FROM (VALUES {', '.join(['(%s, %s)'] * len(pairs))}) "
            f"AS pairs({first}, {second})", [value for pair in pairs for value in pair])


def in_ids(ids: Sequence[int]) -> RawSQL:
    """For the ORM: ``filter(pk__in=in_ids(ids))``."""
    sql, params = ids_subquery(ids)
    return RawSQL(sql, params)
