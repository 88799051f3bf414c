"""The one FilterSet for tickets: the list page, the export and the API read
the same query parameters through it, on top of
``Ticket.objects.visible_to(user)``. Invalid values become form errors (400)."""

import copy
import datetime as dt
import functools
import re

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.forms.widgets import ChoiceWidget
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from servicedesk.shallow_copy import copies_plainly, shallow_copy

from .choices import CatalogueChoiceFilter
from .models import EventKind, Resolution, ServiceType, Shop, Ticket, TicketEvent, TicketStatus
from .widget_html import QUICK_RENDERER

ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _shows_in_a_date_picker(value: str) -> bool:
    """<input type=date> shows exactly a real YYYY-MM-DD date, anything else as empty."""
    try:
        return bool(ISO_DATE.fullmatch(value)) and bool(dt.date.fromisoformat(value))
    except ValueError:
        return False


class DateOrDateTimeInput(forms.TextInput):
    """A date picker, unless the value is something else (a date and time typed
    into the URL, e.g. ``2026-11-26T08:30``, or a typo): a date picker shows
    those as empty, and the person could not see what is being filtered or
    what the error message is about."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": pgettext_lazy("date placeholder", "YYYY-MM-DD"),
                                **(attrs or {})})

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        if value and not _shows_in_a_date_picker(str(value)):
            context["widget"]["type"] = "text"
        return context


class DateOrDateTimeField(forms.Field):
    """Accepts an ISO date (``2026-11-26``) or datetime (``2026-11-26T08:30``).
    Naive values are in the shop's time zone. Returns ``(value, is_date)``.

    Only dates from ``min_date`` to ``max_date``: at the calendar's edges the
    filter's arithmetic overflows (the day after 9999-12-31, or 0001-01-01 in
    Shanghai converted to UTC), and no ticket was or will be created outside
    this range anyway, so a year typed wrong is told rather than matching nothing."""

    widget = DateOrDateTimeInput
    min_date = dt.date(2000, 1, 1)
    max_date = dt.date(2999, 12, 31)
    default_error_messages = {
        "invalid": _("Enter a date (YYYY-MM-DD) or a date and time (YYYY-MM-DDTHH:MM)."),
        "out_of_range": _("Enter a date between %(min)s and %(max)s."),
    }

    def to_python(self, value):
        if value in self.empty_values:
            return None
        value = str(value).strip()
        try:
            parsed_dt = parse_datetime(value.replace(" ", "T")) if "T" in value or " " in value \
                else None
            parsed_date = parse_date(value) if parsed_dt is None else None
        except ValueError:
            parsed_dt = parsed_date = None
        if parsed_dt is None and parsed_date is None:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        # Checked as written, before any time zone arithmetic can overflow.
        day = parsed_date or parsed_dt.date()
        if not self.min_date <= day <= self.max_date:
            raise forms.ValidationError(
                self.error_messages["out_of_range"], code="out_of_range",
                params={"min": self.min_date.isoformat(), "max": self.max_date.isoformat()})
        if parsed_date is not None:
            return parsed_date, True
        if timezone.is_naive(parsed_dt):
            return timezone.make_aware(parsed_dt), False
        # In the shop's zone: PostgreSQL refuses offsets beyond ±15:59, which
        # Python (and so the parser) takes up to ±23:59.
        return timezone.localtime(parsed_dt), False


def _start_of_day(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class TimeBoundFilter(django_filters.Filter):
    """``<field>_after`` includes its whole day; ``<field>_before`` a date
    includes that whole day too (people mean "up to and including 30 Nov")."""

    field_class = DateOrDateTimeField

    def __init__(self, *args, upper: bool, field_name: str = "created_at", **kwargs):
        self.upper = upper
        super().__init__(*args, field_name=field_name, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        moment, is_date = value
        if not self.upper:
            bound = _start_of_day(moment) if is_date else moment
            return qs.filter(**{f"{self.field_name}__gte": bound})
        if is_date:
            return qs.filter(**{f"{self.field_name}__lt":
                                _start_of_day(moment + dt.timedelta(days=1))})
        return qs.filter(**{f"{self.field_name}__lte": moment})


class EventAfterFilter(TimeBoundFilter):
    """Tickets with an event of ``kinds`` at or after the bound (the scorecard's
    replies, rejections and review decisions of a period)."""

    def __init__(self, *args, kinds: tuple[str, ...], **kwargs):
        self.kinds = kinds
        super().__init__(*args, upper=False, **kwargs)

    def filter(self, qs, value):
        if not value:
            return qs
        moment, is_date = value
        bound = _start_of_day(moment) if is_date else moment
        return qs.filter(Exists(TicketEvent.objects.filter(
            ticket_id=OuterRef("pk"), kind__in=self.kinds, created_at__gte=bound)))


# Numbers are pasted, not remembered: the browser's autofill only gets in the way.
NUMBER_INPUT = forms.TextInput(attrs={"autocomplete": "off"})


# The choice filters' querysets as functions (django-filter calls them when it
# builds the form field): every FilterSet deep-copies its filters, and a
# queryset held by a filter was deep-copied with them, query tree and all, on
# every list request, export and API call.
def _service_types(request):
    return ServiceType.objects.all()


def _shops(request):
    return Shop.objects.all()


class _CopiedPerFilterSet(dict):
    """Declared filters whose deep copy (``FilterSet.__init__`` takes one for
    every FilterSet, so every list page, export and API call) copies each
    filter shallowly. A FilterSet only sets attributes of its own copies
    (``model``, ``parent``, a lazily built field and label) and writes into
    their ``extra`` (the choice filters' querysets), which each copy gets its
    own of; a filter with a ``method`` gets its own proxy, which finds the
    method on the copy's parent. Deep-copying every label, choice and widget
    besides was half of validating the filter."""

    def __deepcopy__(self, memo):
        return {name: _filter_copy(declared) for name, declared in self.items()}


def _filter_copy(declared: django_filters.Filter) -> django_filters.Filter:
    copied = shallow_copy(declared)
    copied.extra = declared.extra.copy()
    if declared.method is not None:
        copied.method = declared.method  # a FilterMethod of the copy, not of the declared
    return copied


class _FieldsSharingChoices(dict):
    """A form's fields whose deep copy (every form takes one) shares each
    choice field's choices instead of copying them: nothing here changes a
    field's choices once declared, and copying the choice lists with their
    lazy labels was half the time of copying the fields."""

    def __deepcopy__(self, memo):
        for field in self.values():
            choices = getattr(field, "_choices", None)
            if choices is not None:
                memo[id(choices)] = choices
        return {name: _field_copy(field, memo) for name, field in self.items()}


def _copied_plainly(cls, deepcopy) -> bool:
    """Whether ``cls`` deep-copies with ``deepcopy`` (Django's own, not an override)."""
    return cls.__deepcopy__ is deepcopy and copies_plainly(cls)


@functools.cache
def _copy_plan(field_class, widget_class) -> tuple[str, bool] | None:
    """How ``_field_copy`` copies a field of this class with a widget of that
    class: the field's kind and whether its widget has choices; None: the
    usual deep copy."""
    kind = next((kind for kind, deepcopy in (("plain", forms.Field.__deepcopy__),
                                             ("choice", forms.ChoiceField.__deepcopy__),
                                             ("model", forms.ModelChoiceField.__deepcopy__))
                 if _copied_plainly(field_class, deepcopy)), None)
    choice_widget = _copied_plainly(widget_class, ChoiceWidget.__deepcopy__)
    if kind is None or not (choice_widget
                            or _copied_plainly(widget_class, forms.Widget.__deepcopy__)):
        return None
    return kind, choice_widget


def _field_copy(field, memo):
    """``copy.deepcopy(field, memo)`` for the form fields and widgets Django
    defines: what their ``__deepcopy__`` does (``Field``, ``ChoiceField``,
    ``ModelChoiceField``; ``Widget``, ``ChoiceWidget``), with ``shallow_copy`` for
    ``copy.copy``, and a model choice field's queryset cloned once rather than
    twice (its ``__deepcopy__`` clones it, its setter again). Anything else is
    deep-copied as usual. Every form copies every field, every request."""
    widget = field.widget
    plan = _copy_plan(type(field), type(widget))
    if plan is None:
        return copy.deepcopy(field, memo)
    kind, choice_widget = plan
    result = shallow_copy(field)
    memo[id(field)] = result
    model_queryset = field.queryset if kind == "model" else None
    if id(widget) in memo:  # a widget shared between fields stays shared
        result.widget = memo[id(widget)]
    else:
        result.widget = memo[id(widget)] = shallow_copy(widget)
        result.widget.attrs = widget.attrs.copy()
        if choice_widget and model_queryset is None:  # else set from the queryset below
            result.widget.choices = shallow_copy(widget.choices)
    result.error_messages = field.error_messages.copy()
    result.validators = field.validators[:]
    if kind == "choice":
        result._choices = copy.deepcopy(field._choices, memo)
    elif model_queryset is not None:
        result._queryset = model_queryset.all()
        result.widget.choices = result.choices
    return result


# One form class per FilterSet class (see ``TicketFilter.get_form_class``).
_FORM_CLASSES: dict[type, type] = {}


class TicketFilterForm(forms.Form):
    # Shown on every list page: its widgets are written without templates
    # (tickets.widget_html): the same HTML for a fraction of the time.
    default_renderer = QUICK_RENDERER


class TicketFilter(django_filters.FilterSet):
    """The widgets and empty labels here are the filter form's whole presentation:
    the list page and the export page render this form through one template
    (tickets/_filter_fields.html), so they cannot drift apart."""

    status = django_filters.ChoiceFilter(label=_("Status"), choices=TicketStatus.choices,
                                         empty_label=_("Any"))
    order_number = django_filters.CharFilter(
        label=_("Order number"), field_name="order__number", lookup_expr="exact", max_length=32,
        widget=NUMBER_INPUT,
    )
    number = django_filters.CharFilter(
        label=_("Ticket number"), field_name="number", lookup_expr="exact", max_length=20,
        widget=NUMBER_INPUT,
    )
    service_type = CatalogueChoiceFilter(
        label=_("Service type"),
        queryset=_service_types,
        to_field_name="code",
        field_name="service_type",
        empty_label=_("Any"),
    )
    created_after = TimeBoundFilter(label=_("Created from"), upper=False)
    created_before = TimeBoundFilter(label=_("Created to"), upper=True)
    # For agents and ops (a merchant's scope is one shop already; the pages do
    # not show them the field). By id: shop names may change.
    shop = CatalogueChoiceFilter(
        label=_("Shop"), queryset=_shops, field_name="shop", empty_label=_("Any"),
    )

    # "Rejected before": yes = rejected at least once, no = never; empty = any.
    # A choice, not a BooleanFilter: that one reads any other value as "any",
    # and the export would store it as it came.
    rejected_before = django_filters.ChoiceFilter(
        label=_("Rejected before"), method="filter_rejected_before",
        choices=[("true", _("Yes")), ("false", _("No"))], empty_label=_("Any"),
    )

    # What the scorecard's figures link to: the tickets each one counts. Shown
    # in the filter bar only when set (they arrive through such a link).
    resolution = django_filters.ChoiceFilter(label=_("Resolution"), choices=Resolution.choices,
                                             empty_label=_("Any"))
    closed_after = TimeBoundFilter(label=_("Closed from"), upper=False, field_name="closed_at")
    closed_before = TimeBoundFilter(label=_("Closed to"), upper=True, field_name="closed_at")
    first_replied_after = TimeBoundFilter(label=_("First reply from"), upper=False,
                                          field_name="first_replied_at")
    replied_after = EventAfterFilter(label=_("Replied from"), kinds=(EventKind.REPLIED,))
    rejected_after = EventAfterFilter(label=_("Rejected from"), kinds=(EventKind.REJECTED,))
    decided_after = EventAfterFilter(label=_("Reviewed from"),
                                     kinds=(EventKind.APPROVED, EventKind.REJECTED))

    ADVANCED = ("resolution", "closed_after", "closed_before", "first_replied_after",
                "replied_after", "rejected_after", "decided_after")

    class Meta:
        model = Ticket
        form = TicketFilterForm
        fields = ["status", "order_number", "number", "service_type", "created_after",
                  "created_before", "shop", "rejected_before", "resolution", "closed_after",
                  "closed_before", "first_replied_after", "replied_after", "rejected_after",
                  "decided_after"]

    @classmethod
    def get_filters(cls):
        return _CopiedPerFilterSet(super().get_filters())

    def get_form_class(self):
        # django-filter builds a new form class, and a form field per filter,
        # for every FilterSet. They depend on the declared filters alone (labels
        # are lazy, querysets are re-read by each form's copy of its fields), so
        # one class per process serves every request; each form still gets its
        # own deep copy of the fields, as Django's forms always do.
        form_class = _FORM_CLASSES.get(type(self))
        if form_class is None:
            form_class = _FORM_CLASSES[type(self)] = super().get_form_class()
            form_class.base_fields = _FieldsSharingChoices(form_class.base_fields)
        return form_class

    @property
    def form(self):
        form = super().form
        form.advanced_fields = self.ADVANCED
        return form

    def filter_rejected_before(self, queryset, name, value):
        if value == "true":
            return queryset.filter(reject_count__gt=0)
        return queryset.filter(reject_count=0)

    def filter_queryset(self, queryset):
        # Typed-in numbers often carry spaces from copy and paste.
        for name in ("order_number", "number"):
            if self.form.cleaned_data.get(name):
                self.form.cleaned_data[name] = self.form.cleaned_data[name].strip()
        return super().filter_queryset(queryset)
