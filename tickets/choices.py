"""Choice fields over the small catalogues (service types, shops), read with
one plain query.

Django reads a choice field's queryset with ``.iterator()`` so that a huge
table is not held in memory. On PostgreSQL that opens a server-side cursor:
``DECLARE … WITH HOLD`` (outside a transaction the server materialises the
rows first), then ``FETCH``, ``FETCH`` and ``CLOSE``: four round trips, on
every page with the filter bar, for a dozen rows. These catalogues are small,
so the fields here read them as an ordinary query. Each render reads a fresh
copy of the queryset: an edit in the admin shows on the next page.
"""

import django_filters
from django import forms
from django.forms.models import ModelChoiceIterator
from django_filters import fields as filter_fields


class CatalogueIterator(ModelChoiceIterator):
    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset.all():
            yield self.choice(obj)


class CatalogueChoiceField(forms.ModelChoiceField):
    iterator = CatalogueIterator


# django-filter's iterator adds its "null" choice around the one above.
class _FilterCatalogueIterator(filter_fields.ModelChoiceIterator, CatalogueIterator):
    pass


class _FilterCatalogueField(filter_fields.ModelChoiceField):
    iterator = _FilterCatalogueIterator


class CatalogueChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = _FilterCatalogueField
