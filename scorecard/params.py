"""The scorecard's query parameters, one form for the pages and the API:
``days`` (7, 30 or 90; 30 when absent), ``service_type`` (a code) and, where a
shop is chosen by parameter, ``shop`` (an id). Bad values are field errors (400)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from tickets.choices import CatalogueChoiceField
from tickets.models import ServiceType

from .figures import DEFAULT_PERIOD, PERIODS


class ScorecardParams(forms.Form):
    days = forms.TypedChoiceField(
        label=_("Period"), required=False, coerce=int, empty_value=DEFAULT_PERIOD,
        choices=[(str(days), str(days)) for days in PERIODS],
        error_messages={"invalid_choice": _("The period must be 7, 30 or 90 days.")},
    )
    service_type = CatalogueChoiceField(
        label=_("Service type"), required=False, queryset=ServiceType.objects.all(),
        to_field_name="code", empty_label=_("Any"),
        error_messages={"invalid_choice": _("There is no service type with this code.")},
    )
    shop = forms.IntegerField(
        label=_("Shop"), required=False, min_value=1, max_value=2**31 - 1,
        error_messages={"invalid": _("A shop is given by its number (id).")},
    )
