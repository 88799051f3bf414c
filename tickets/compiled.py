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
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import connection
from django.db.models import Model, QuerySet


class CompiledQuery:
    def __init__(self, build: Callable[[Any], QuerySet], mark: Any):
        """``build(value)`` returns the queryset for ``value``; it is called once
        per vendor, with ``mark``, a value no row has and that appears nowhere
        else among the query's parameters."""
        self._build = build
        self._mark = mark
        self._compiled: dict[str, tuple[type[Model], str, tuple, int]] = {}

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
        model, sql, params, at = self._for_vendor(connection.vendor)
        rows = model._default_manager.raw(sql, [*params[:at], value, *params[at + 1:]])
        return next(iter(rows), None)
