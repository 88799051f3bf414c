"""The list page's filters: each parameter alone, combined, and
invalid values answered with 400 and the form showing the error."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from tests.factories import OrderFactory, ServiceTypeFactory
from tickets.filters import TicketFilter

LIST = "/tickets/"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def numbers(response):
    return {t.number for t in response.context["page"].rows}


@pytest.fixture
def refund(db):
    return ServiceTypeFactory(code="refund", name_zh="退款咨询", name_en="Refund enquiry")


@pytest.fixture
def tickets(make_ticket, refund):
    """Four tickets of shop A, created at known Shanghai times."""

    def at(day, hour):
        return dt.datetime(2026, 11, day, hour, 0, tzinfo=SHANGHAI)

    return {
        "nov20_urge": make_ticket(now=at(20, 9)),
        "nov21_refund": make_ticket(now=at(21, 23), service_type_=refund),
        # 00:30 on the 22nd in Shanghai is still the 21st in UTC: dates are the shop's.
        "nov22_early_refund": make_ticket(now=at(22, 0).replace(minute=30),
                                          service_type_=refund),
        "nov23_urge": make_ticket(now=at(23, 12)),
    }


@pytest.fixture
def as_merchant(client, merchant):
    client.force_login(merchant)

    def get(**params):
        return client.get(LIST, {"status": "all", **params})

    return get


def test_no_filter_shows_everything_in_scope(as_merchant, tickets):
    assert numbers(as_merchant()) == {t.number for t in tickets.values()}


def test_order_number_alone(as_merchant, tickets):
    ticket = tickets["nov21_refund"]
    assert numbers(as_merchant(order_number=ticket.order.number)) == {ticket.number}


def test_order_number_with_pasted_spaces(as_merchant, tickets):
    ticket = tickets["nov21_refund"]
    assert numbers(as_merchant(order_number=f"  {ticket.order.number} ")) == {ticket.number}


def test_ticket_number_alone(as_merchant, tickets):
    ticket = tickets["nov23_urge"]
    assert numbers(as_merchant(number=ticket.number)) == {ticket.number}


def test_ticket_number_must_match_exactly(as_merchant, tickets):
    assert numbers(as_merchant(number=tickets["nov23_urge"].number[:-1])) == set()


def test_service_type_alone(as_merchant, tickets):
    assert numbers(as_merchant(service_type="refund")) == {
        tickets["nov21_refund"].number, tickets["nov22_early_refund"].number}


def test_created_after_a_date_includes_that_whole_day_in_shop_time(as_merchant, tickets):
    assert numbers(as_merchant(created_after="2026-11-22")) == {
        tickets["nov22_early_refund"].number, tickets["nov23_urge"].number}


def test_created_before_a_date_includes_that_whole_day(as_merchant, tickets):
    assert numbers(as_merchant(created_before="2026-11-21")) == {
        tickets["nov20_urge"].number, tickets["nov21_refund"].number}


def test_created_after_a_datetime_is_exact(as_merchant, tickets):
    assert numbers(as_merchant(created_after="2026-11-23T11:59")) == {
        tickets["nov23_urge"].number}


def test_all_filters_combined(as_merchant, tickets):
    ticket = tickets["nov22_early_refund"]
    response = as_merchant(service_type="refund", created_after="2026-11-22",
                           created_before="2026-11-22", order_number=ticket.order.number,
                           number=ticket.number)
    assert numbers(response) == {ticket.number}
    response = as_merchant(service_type="shipping_urge", number=ticket.number)
    assert numbers(response) == set()


def test_filters_combine_with_the_status_tab(client, merchant, tickets, refund):
    from tickets import lifecycle

    ticket = tickets["nov21_refund"]
    lifecycle.reply(ticket, actor=merchant, body="已处理",
                    now=ticket.created_at + dt.timedelta(hours=1))
    client.force_login(merchant)
    response = client.get(LIST, {"status": "under_review", "service_type": "refund"})
    assert numbers(response) == {tickets["nov21_refund"].number}
    response = client.get(LIST, {"status": "pending", "service_type": "refund"})
    assert numbers(response) == {tickets["nov22_early_refund"].number}


def test_filters_never_reach_outside_the_scope(client, outsider, tickets):
    client.force_login(outsider)
    response = client.get(LIST, {"status": "all",
                                 "number": tickets["nov20_urge"].number})
    assert numbers(response) == set()


@pytest.mark.parametrize("params, field", [
    ({"created_after": "yesterday"}, "created_after"),
    ({"created_before": "2026-13-45"}, "created_before"),
    ({"created_after": "2026-11-31T25:00"}, "created_after"),
    ({"service_type": "no-such-type"}, "service_type"),
    ({"order_number": "9" * 33}, "order_number"),
    ({"number": "1" * 21}, "number"),
    ({"status": "deleted"}, "status"),
])
def test_invalid_value_is_400_with_the_field_error(client, merchant, tickets, params, field):
    client.force_login(merchant)
    response = client.get(LIST, params)
    assert response.status_code == 400
    assert field in response.context["filter"].errors
    assert response.context["page"] is None
    assert 'role="alert"' in response.content.decode()


def test_date_error_message_is_translated(client, merchant):
    client.force_login(merchant)
    html = client.get(LIST, {"created_after": "yesterday"}).content.decode()
    assert "请输入日期（YYYY-MM-DD）或日期时间（YYYY-MM-DDTHH:MM）。" in html


def test_invalid_filter_keeps_what_was_typed(client, merchant):
    client.force_login(merchant)
    html = client.get(LIST, {"created_after": "yesterday", "order_number": "6901"}).content.decode()
    assert 'value="6901"' in html
    assert 'value="yesterday"' in html


def test_unknown_parameters_are_ignored(as_merchant, tickets):
    assert len(numbers(as_merchant(colour="blue"))) == 4


def test_an_order_of_another_shop_gives_no_rows_not_an_error(as_merchant, tickets, shop_b):
    other = OrderFactory(shop=shop_b)
    response = as_merchant(order_number=other.number)
    assert response.status_code == 200
    assert numbers(response) == set()


ODD_VALUES = ["\x00", "'; DROP TABLE tickets_ticket; --", "９９", "2026-02-30", "2026-11-26T25:61",
              "-1", "1e309", "𠀀" * 40, " "]


@pytest.mark.parametrize("param", ["status", "order_number", "number", "service_type",
                                   "created_after", "created_before", "after", "before"])
def test_odd_input_is_never_a_500(client, merchant, tickets, param):
    client.force_login(merchant)
    for value in ODD_VALUES:
        response = client.get(LIST, {param: value})
        assert response.status_code in (200, 400), (param, value)


# --- the form's presentation (shared by the list page and the export page) -----

@pytest.mark.parametrize("value, input_type", [
    ("", "date"), ("2026-11-26", "date"),
    # A date picker would show these as empty: the person must see what they typed.
    ("2026-11-26T08:30", "text"), ("yesterday", "text"), ("2026-02-30", "text"),
])
def test_created_bounds_are_date_pickers_unless_the_value_is_not_a_plain_date(db, value,
                                                                              input_type):
    html = str(TicketFilter({"created_after": value}).form["created_after"])
    assert f'type="{input_type}"' in html
    assert (f'value="{value}"' in html) == bool(value)


def test_choices_start_with_any_not_dashes(db, refund):
    form = TicketFilter().form
    with translation.override("zh-hans"):
        html = str(form["status"]) + str(form["service_type"])
    assert html.count('<option value="" selected>全部</option>') == 2
    assert "---" not in html


def test_presentation_does_not_change_what_any_means(as_merchant, tickets):
    assert len(numbers(as_merchant(service_type="", created_after="", created_before=""))) == 4


def test_the_catalogue_choices_are_read_without_a_server_side_cursor(require_postgres, refund,
                                                                    shop_a):
    """Django reads a choice field's queryset through a server-side cursor on
    PostgreSQL (DECLARE, FETCH, FETCH, CLOSE); the filter bar's catalogues
    are read with one plain query, and an edit shows on the next render."""
    from django.db import connection

    cursors = []

    def record(execute, sql, params, many, context):
        cursors.append(type(context["cursor"].cursor).__name__)
        return execute(sql, params, many, context)

    form = TicketFilter({}).form
    with connection.execute_wrapper(record):
        service_types = [label for _value, label in form.fields["service_type"].choices]
        shops = [label for _value, label in form.fields["shop"].choices]
    assert refund.name in service_types and shop_a.name in shops
    assert cursors == ["Cursor", "Cursor"]

    refund.name_en = refund.name_zh = "改名了"
    refund.save()
    assert "改名了" in [label for _value, label in form.fields["service_type"].choices]


def test_each_filterset_has_filters_of_its_own(db, refund):
    """FilterSets copy the declared filters for themselves: two alive at once
    (two requests in two threads) each filter by their own values, a method
    filter calls its own FilterSet's method, and the choice querysets a
    FilterSet reads are not written into the declared filters."""
    from tickets.models import Ticket

    yes = TicketFilter({"rejected_before": "true", "service_type": "refund"},
                       queryset=Ticket.objects.none())
    no = TicketFilter({"rejected_before": "false"}, queryset=Ticket.objects.none())
    assert yes.is_valid() and no.is_valid()
    for filterset in (yes, no):
        for declared in filterset.filters.values():
            assert declared.parent is filterset
        assert filterset.filters["rejected_before"].filter.f is \
            filterset.filters["rejected_before"]
    rejected = str(yes.filter_queryset(Ticket.objects.all()).query)
    never = str(no.filter_queryset(Ticket.objects.all()).query)
    assert '"reject_count" > 0' in rejected and '"reject_count" = 0' not in rejected
    assert '"reject_count" = 0' in never and '"reject_count" > 0' not in never
    assert yes.filters["service_type"].field.queryset is not None  # written into its extra
    assert callable(TicketFilter.base_filters["service_type"].extra["queryset"])


def test_each_filter_form_gets_fields_of_its_own_as_django_copies_them(db, refund):
    """The filter form's fields are copied for every form without Django's
    generic copy machinery: each copy must still be what ``Field.__deepcopy__``
    gives (its own widget with its own attributes, its own error messages and
    validators, a fresh clone of a choice field's queryset, everything else
    the declared field's), the choices alone shared."""
    import copy

    from django.forms.widgets import ChoiceWidget

    declared = type(TicketFilter({}).form).base_fields
    copied = copy.deepcopy(declared)
    assert copied.keys() == declared.keys()
    own = ("widget", "error_messages", "validators", "_queryset")
    for name, field in declared.items():
        ours, djangos = copied[name], copy.deepcopy(field)
        assert type(ours) is type(field) and ours is not field, name
        assert vars(ours).keys() == vars(djangos).keys(), name
        for attribute, value in vars(field).items():
            if attribute in own:
                assert getattr(ours, attribute) is not value, (name, attribute)
            elif attribute == "_choices":
                assert ours._choices is value, name
            else:
                assert getattr(ours, attribute) is value, (name, attribute)
        assert ours.error_messages == field.error_messages, name
        assert ours.validators == field.validators, name
        widget = ours.widget
        assert type(widget) is type(field.widget), name
        assert vars(widget).keys() == vars(djangos.widget).keys(), name
        assert widget.attrs == field.widget.attrs and widget.attrs is not field.widget.attrs
        if isinstance(widget, ChoiceWidget):
            assert list(widget.choices) == list(djangos.widget.choices), name
        if hasattr(field, "_queryset"):
            assert str(ours.queryset.query) == str(field.queryset.query), name
            assert widget.choices.field is ours, name
    # Changing one form's field changes nothing in the next form's.
    copied["number"].widget.attrs["class"] = "changed"
    copied["number"].error_messages["required"] = "changed"
    assert "class" not in copy.deepcopy(declared)["number"].widget.attrs
    assert copy.deepcopy(declared)["number"].error_messages["required"] != "changed"
