"""The list parameters give the errors and values DRF's serializers with
deep-copied fields give, in every language; output serializers' fields are
shallow copies, the same as copy.copy makes."""

import copy

import pytest
from django.utils import translation
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
    # One language after the other: a message formatted for one request must
    # not answer the next in its language.
    for language in ("en", "zh-hans", "en"):
        with translation.override(language):
            ours = params_class(data=data)
            drfs = _with_deep_copied_fields(params_class)(data=data)
            assert ours.is_valid() == drfs.is_valid()
            assert ours.errors == drfs.errors
            if not ours.errors:
                assert ours.validated_data == drfs.validated_data


def test_fields_are_copied_as_copy_copies_them():
    """Serializers' fields are shallow-copied for each serializer by their
    attributes, without copy's reduce protocol: the same copy, or copy.copy
    itself for a field class with copy hooks of its own."""
    from api import serializers as out

    for serializer_class in (out.TicketSummarySerializer, out.TicketPageSerializer):
        for name, field in serializer_class._declared_fields.items():
            copied, expected = out._shallow(field), copy.copy(field)
            assert type(copied) is type(field) and copied is not field, name
            assert list(vars(copied).items()) == list(vars(expected).items()), name

    class Hooked(serializers.CharField):
        def __copy__(self):
            return "hooked"

    assert out._shallow(Hooked()) == "hooked"
