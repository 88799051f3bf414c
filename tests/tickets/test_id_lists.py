"""The id lists of the sweep's set-based statements come back as they went in."""

import pytest
from django.db import connection

from tickets.id_lists import ids_subquery, rows_subquery

pytestmark = pytest.mark.django_db


def test_rows_subquery_gives_each_row_with_the_named_columns():
    rows = [(3, 30, None), (1, 10, 5), (2, 10, None), (2**40, 7, 2**40)]
    sql, params = rows_subquery(rows, ('"a"', '"b"', '"c"'))
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT p."a", p."b", p."c" FROM ({sql}) p ORDER BY p."a"', params)
        assert cursor.fetchall() == sorted(rows)


def test_rows_subquery_of_no_rows_gives_no_rows():
    sql, params = rows_subquery([], ('"a"', '"b"'))
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT p."a", p."b" FROM ({sql}) p', params)
        assert cursor.fetchall() == []


def test_rows_subquery_refuses_values_that_are_not_integers():
    with pytest.raises(ValueError):
        rows_subquery([(1, "7}, {8")], ('"a"', '"b"'))
    with pytest.raises(ValueError):
        rows_subquery([(1,)], ('"a"', '"b"'))


def test_ids_subquery_gives_each_id_as_a_row():
    with connection.cursor() as cursor:
        sql, params = ids_subquery([5, 2, 9])
        cursor.execute(f"SELECT * FROM ({sql}) ids", params)
        assert sorted(row[0] for row in cursor.fetchall()) == [2, 5, 9]


def test_an_empty_id_list_gives_no_rows():
    with connection.cursor() as cursor:
        sql, params = ids_subquery([])
        cursor.execute(f"SELECT * FROM ({sql}) ids", params)
        assert cursor.fetchall() == []


def test_ids_given_as_strings_are_read_as_integers_or_refused():
    with connection.cursor() as cursor:
        sql, params = ids_subquery(["7", 2**40])
        cursor.execute(f"SELECT * FROM ({sql}) ids", params)
        assert sorted(row[0] for row in cursor.fetchall()) == [7, 2**40]
    with pytest.raises(ValueError):
        ids_subquery(["7}, {8"])
