"""The filter form's widgets written without templates (tickets.widget_html)
are exactly what Django's widget templates write, whatever the values."""

import pytest
from django.forms.renderers import DjangoTemplates

from tickets.filters import TicketFilter
from tickets.models import Ticket
from tickets.widget_html import FilterFormRenderer

CASES = [
    {},
    {"order_number": "6800001", "number": "2611", "service_type": "shipping_urge",
     "created_after": "2026-11-01", "created_before": "2026-11-30", "rejected_before": "true"},
    # A date and time typed into the URL: the date picker becomes a text box.
    {"created_after": "2026-11-26T08:30", "status": "pending", "resolution": "timed_out"},
    # Errors at the fields, and markup in the values.
    {"created_after": "yesterday", "created_before": "2026-13-45", "status": "lost",
     "service_type": "no-such-type", "order_number": '"><script>alert(1)</script>',
     "number": "x" * 40, "rejected_before": "maybe", "shop": "0"},
]


def rendered(data, renderer):
    form = TicketFilter(data, queryset=Ticket.objects.none()).form
    form.renderer = renderer
    form.is_valid()
    return [(name, str(form[name]), str(form[name].errors)) for name in form.fields]


@pytest.mark.parametrize("data", CASES)
def test_filter_widgets_are_djangos_html(data, service_type, shop_a, shop_b):
    ours = rendered(data, FilterFormRenderer())
    djangos = rendered(data, DjangoTemplates())
    assert ours == djangos
    # The cases do reach selected options, text boxes and error lists.
    html = "".join(widget + errors for _name, widget, errors in ours)
    if data:
        assert "selected" in html


def test_filter_errors_are_listed_like_djangos(service_type):
    ours = rendered(CASES[-1], FilterFormRenderer())
    assert any('class="errorlist"' in errors for _name, _widget, errors in ours)
    assert all("<script>" not in widget for _name, widget, _errors in ours)


def test_the_filter_form_uses_the_quick_renderer():
    form = TicketFilter({}, queryset=Ticket.objects.none()).form
    assert isinstance(form.renderer, FilterFormRenderer)
