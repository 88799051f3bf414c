"""The list parameters are validated by serializers whose fields are shallow
copies of the declared ones: the same errors and values as DRF's serializers
with deep-copied fields give."""

import copy

import pytest
from rest_framework import serializers

from api import views


def _with_deep_copied_fields(serializer_class):
    fields = {name: copy.deepcopy(field)
              for name, field in serializer_class._declared_fields.items()}
    return type("Plain" + serializer_class.__name__, (serializers.Serializer,), fields)


@pytest.mark.parametrize("data", [
    {}, {"page_size": "100", "updated_after": "2026-11-26T08:30:00+08:00", "cursor": "a_1"},
    {"page_size": "101"}, {"page_size": "0"}, {"page_size": "many"}, {"cursor": "x" * 101},
    {"updated_after": "soon"}, {"updated_after": "2026-11-26"},
])
@pytest.mark.parametrize("params_class", [views.ListParams, views.PageParams])
def test_parameters_validate_as_with_deep_copied_fields(db, params_class, data):
    ours, drfs = params_class(data=data), _with_deep_copied_fields(params_class)(data=data)
    assert ours.is_valid() == drfs.is_valid()
    assert ours.errors == drfs.errors
    if not ours.errors:
        assert ours.validated_data == drfs.validated_data
