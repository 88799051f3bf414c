"""The filter and review forms' widgets written without templates
(tickets.widget_html) are exactly what Django's widget templates write,
whatever the values."""

import pytest
from django.forms.renderers import DjangoTemplates

from tickets.filters import TicketFilter
from tickets.forms import CloseForm, RejectForm
from tickets.models import Ticket
from tickets.widget_html import QuickFormRenderer

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
    ours = rendered(data, QuickFormRenderer())
    djangos = rendered(data, DjangoTemplates())
    assert ours == djangos
    # The cases do reach selected options, text boxes and error lists.
    html = "".join(widget + errors for _name, widget, errors in ours)
    if data:
        assert "selected" in html


def test_filter_errors_are_listed_like_djangos(service_type):
    ours = rendered(CASES[-1], QuickFormRenderer())
    assert any('class="errorlist"' in errors for _name, _widget, errors in ours)
    assert all("<script>" not in widget for _name, widget, _errors in ours)


def review_forms(data, renderer, reasons):
    rendered_fields = []
    for form in (RejectForm(data, reasons=reasons), RejectForm(data), CloseForm(data)):
        form.renderer = renderer
        if data is not None:
            form.is_valid()
        rendered_fields += [(name, str(form[name]), str(form[name].errors))
                            for name in form.fields]
    return rendered_fields


@pytest.mark.parametrize("data", [
    None,
    {"reason_code": "other", "reason": "凭证 <模糊>\n请重新上传", "note": "买家 & 商家已协商"},
    {"reason_code": "", "reason": "x" * 1200, "note": "y" * 1200},
])
def test_review_form_widgets_are_djangos_html(data, reject_reasons):
    reasons = list(reject_reasons.values())
    assert review_forms(data, QuickFormRenderer(), reasons) == \
        review_forms(data, DjangoTemplates(), reasons)


def test_the_busy_forms_use_the_quick_renderer():
    form = TicketFilter({}, queryset=Ticket.objects.none()).form
    assert isinstance(form.renderer, QuickFormRenderer)
    assert isinstance(RejectForm().renderer, QuickFormRenderer)
    assert isinstance(CloseForm().renderer, QuickFormRenderer)
