"""Querysets that every request runs, compiled to SQL once.

Django builds and compiles a queryset anew each time it runs. For the query
that loads who is asking (a session's user, an API token with its user, with
role, shop and manager flag as subqueries), that Python cost was several times
the query's own: 7 ms of building and compiling against 1 ms in the database,
on every page and API request. ``CompiledQuery`` compiles such a queryset once
per database vendor, with a marker where the one varying value goes, and from
then on only swaps the value into the parameters and runs the SQL through
``Model.objects.raw``, which maps the columns (annotations included) onto
model instances as usual.

On PostgreSQL the statement is also prepared once per database connection.
The server otherwise parses and plans the 2.7 KB of SQL with its five
subqueries on every request: about 2 ms of planning and more of parsing,
against 0.3 ms to run it (EXPLAIN ANALYZE at 1,000,000 tickets). Prepared, a
request only sends ``EXECUTE <name>(<value>)``.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import Model, QuerySet

# The statements prepared on each open PostgreSQL connection (psycopg's own
# connection objects, so a reconnect starts empty). Prepared statements belong
# to the database session, not to a transaction: a rollback keeps them.
_PREPARED: weakref.WeakKeyDictionary[Any, set[str]] = weakref.WeakKeyDictionary()


class CompiledQuery:
    def __init__(self, build: Callable[[Any], QuerySet], mark: Any):
        """``build(value)`` returns the queryset for ``value``; it is called once
        per vendor, with ``mark``, a value no row has and that appears nowhere
        else among the query's parameters."""
        self._build = build
        self._mark = mark
        self._compiled: dict[str, tuple[type[Model], str, tuple, int]] = {}
        self._statement: tuple[str, str] | None = None  # PostgreSQL: (name, PREPARE text)

    def _for_vendor(self, vendor: str):
        if vendor not in self._compiled:
            queryset = self._build(self._mark)
            sql, params = queryset.query.sql_with_params()
            if list(params).count(self._mark) != 1:
                raise ValueError(f"the marker must appear once among {params!r}")
            self._compiled[vendor] = (queryset.model, sql, tuple(params),
                                      list(params).index(self._mark))
        return self._compiled[vendor]

    def first(self, value) -> Model | None:
        """The first row of the queryset for ``value``, or None."""
        return next(iter(self._rows(value)), None)

    def all(self, value) -> list[Model]:
        """Every row of the queryset for ``value``."""
        return list(self._rows(value))

    def _rows(self, value):
        model, sql, params, at = self._for_vendor(connection.vendor)
        if connection.vendor == "postgresql" and self._prepare():
            return model._default_manager.raw(f"EXECUTE {self._statement[0]}(%s)", [value])
        return model._default_manager.raw(sql, [*params[:at], value, *params[at + 1:]])

    def _prepare(self) -> bool:
        """Prepare the statement on this connection unless it is already;
        False where a prepared statement could be lost under us."""
        connection.ensure_connection()
        session = connection.connection
        if session.prepare_threshold is not None:
            # psycopg prepares statements itself on this connection and then
            # deallocates all of them after any rollback, ours included.
            return False
        if self._statement is None:
            _model, sql, params, at = self._compiled["postgresql"]
            literal_mark = connection.ops.compose_sql("%s", [self._mark])
            text = connection.ops.compose_sql(sql, params)
            if text.count(literal_mark) != 1:
                raise ValueError(f"the marker {literal_mark} must appear once in {text}")
            name = "sd_" + hashlib.sha256(text.encode()).hexdigest()[:20]
            self._statement = (name, f"PREPARE {name} AS {text.replace(literal_mark, '$1')}")
        name, prepare = self._statement
        _prepare_once(session, name, prepare)
        return True


class CompiledShapes:
    """Querysets of ``values()`` that a client asks for again and again with only
    a few values changed (an ERP's sync: the same scope and filters page after
    page, only the cursor moving), compiled once per shape.

    Building and compiling the sync page's five-table queryset took longer in
    Python than reading its 100 rows. Here the caller names the shape (``key``:
    everything the SQL text depends on) and passes ``build(values)``, the
    queryset for the varying ``values``. On the first request of a shape it is
    built twice, with two sets of marker values of the same types, and
    compiled; the parameters that differ between the two are where the values
    go. Every other parameter is the same in both and stays as compiled. A
    shape whose SQL text depends on the values, or whose values the database
    layer converts, or whose rows need converting, is not kept: ``rows``
    returns None and the caller runs its queryset as usual.

    Bounded: past ``MAX_SHAPES`` the shapes are forgotten and compiled again."""

    MAX_SHAPES = 256

    def __init__(self, marks: tuple[tuple, tuple]):
        first, second = marks
        if len(first) != len(second) or any(
                a == b for a, b in zip(first, second, strict=True)):
            raise ValueError("two sets of marker values, different at every position")
        self._marks = marks
        self._shapes: dict[Any, tuple | None] = {}

    def rows(self, key, build: Callable[[tuple], QuerySet], values: tuple) -> list[dict] | None:
        """The rows (dicts, as ``values()`` gives them) of ``build(values)``."""
        shape_key = (connection.alias, key)
        if shape_key not in self._shapes:
            if len(self._shapes) >= self.MAX_SHAPES:
                self._shapes.clear()
            self._shapes[shape_key] = self._compile(build)
        shape = self._shapes[shape_key]
        if shape is None:
            return None
        sql, params, slots, names = shape
        params = list(params)
        for position, index in slots:
            params[position] = values[index]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _compile(self, build) -> tuple | None:
        compiled = []
        for marks in self._marks:
            queryset = build(marks)
            query = queryset.query
            compiler = query.get_compiler(using=queryset.db)
            sql, params = compiler.as_sql()
            if compiler.get_converters([column for column, _, _ in compiler.select]):
                return None
            names = [*query.extra_select, *query.values_select, *query.annotation_select]
            compiled.append((sql, tuple(params), names))
        (sql, params, names), (other_sql, other_params, _names) = compiled
        if sql != other_sql or len(params) != len(other_params):
            return None
        first, second = self._marks
        slots = []
        for position, (a, b) in enumerate(zip(params, other_params, strict=True)):
            if a == b and type(a) is type(b):
                continue
            index = next((i for i, mark in enumerate(first)
                          if mark == a and type(mark) is type(a)), None)
            if index is None or not (second[index] == b and type(second[index]) is type(b)):
                return None  # a value the database layer converted: not ours to swap
            slots.append((position, index))
        return sql, params, tuple(slots), names


def _prepare_once(session, name: str, prepare: str, db=connection) -> None:
    prepared = _PREPARED.setdefault(session, set())
    if name not in prepared:
        # Set-up of the session, like Django's own SET TIME ZONE when it
        # connects: sent on the connection itself, so it is not one of the
        # queries of the request that happens to open the connection.
        with db.wrap_database_errors:
            session.execute(prepare)
        prepared.add(name)


# ``prepared_selects`` prepares nothing more once a connection holds this many
# statements (the ``CompiledQuery`` ones included); past it, queries run as
# usual. The shapes it serves are few (a scope, the filters given, first page
# or not), but nothing else bounds them.
MAX_PREPARED_SELECTS = 64


@contextmanager
def prepared_selects():
    """Inside the block, each SELECT of this thread's connection is prepared once
    per database connection and from then on run by name (PostgreSQL, outside
    a transaction; elsewhere nothing changes).

    For a query that one client runs hundreds of times in a row with other
    values: an ERP's sync pages through its changes a hundred tickets at a
    time, and PostgreSQL planned the page's five-table query afresh every time
    (0.8 ms, longer than running it, at 1,000,000 tickets). A prepared
    statement keeps its plan: the settings make it generic (planned once for
    any values, ``plan_cache_mode``), which for a keyset page over an index is
    the plan every value gets anyway.

    Not inside a transaction: a statement PostgreSQL refuses to prepare (a
    value whose type it cannot infer) would abort it; in autocommit the query
    simply runs unprepared."""
    if connection.vendor != "postgresql":
        yield
        return
    with connection.execute_wrapper(_execute_prepared):
        yield


def _execute_prepared(execute, sql, params, many, context):
    db = context["connection"]
    session = db.connection
    # psycopg's own preparing (prepare_threshold) drops every statement after
    # a rollback, ours included.
    if (many or not params or not isinstance(params, list | tuple) or db.in_atomic_block
            or session.prepare_threshold is not None or not sql.startswith("SELECT ")):
        return execute(sql, params, many, context)
    name = "sdq_" + hashlib.sha256(sql.encode()).hexdigest()[:20]
    prepared = _PREPARED.setdefault(session, set())
    if name not in prepared:
        if len(prepared) >= MAX_PREPARED_SELECTS:
            return execute(sql, params, many, context)
        # Django's placeholders are %s (a literal % is written %%).
        text = sql % tuple(f"${number}" for number in range(1, len(params) + 1))
        try:
            _prepare_once(session, name, f"PREPARE {name} AS {text}", db)
        except DatabaseError:
            return execute(sql, params, many, context)
    return execute(f"EXECUTE {name}({', '.join(['%s'] * len(params))})", params, many, context)
