"""How tickets, events, jobs and notifications look in the API. Output only:
input is checked by the pages' own forms and FilterSet (``api.views``)."""

from datetime import datetime
from urllib.parse import quote

from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from drf_spectacular.utils import extend_schema_field
from rest_framework import ISO_8601, serializers
from rest_framework.settings import api_settings

from notifications.messages import describe
from servicedesk.shallow_copy import shallow_copy
from tickets import roles
from tickets.transitions import TRANSITIONS


class ServiceTypeSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    name_zh = serializers.CharField()
    name_en = serializers.CharField()
    handling_hours = serializers.IntegerField()
    evidence_required = serializers.BooleanField()


class OrderSerializer(serializers.Serializer):
    number = serializers.CharField()
    product_title = serializers.CharField()
    sku = serializers.CharField()
    quantity = serializers.IntegerField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    buyer = serializers.SerializerMethodField()
    paid_at = serializers.DateTimeField()
    shipping_status = serializers.CharField()
    tracking_number = serializers.CharField()

    def get_buyer(self, order) -> str:
        # As the pages show it: merchants see the buyer's nickname masked.
        user = self.context["request"].user
        return order.buyer_masked if roles.is_merchant(user) else order.buyer_nickname


def _seconds_left(deadline, now) -> int | None:
    if deadline is None:
        return None
    return max(0, int((deadline - now).total_seconds()))


class _TimeLeft(serializers.Serializer):
    deadline = serializers.DateTimeField(allow_null=True)
    seconds_left = serializers.SerializerMethodField()

    def get_seconds_left(self, ticket) -> int | None:
        """Seconds until the deadline (0 once passed); null when not pending."""
        return _seconds_left(ticket.deadline, self.context["now"])


# A ticket model instance as the list shows it (``TicketSummarySerializer``
# reads the same fields from plain rows); the detail adds to these. Comments,
# not docstrings, on serializers: drf-spectacular publishes docstrings.
class _TicketFields(_TimeLeft):
    number = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.CharField()
    shop = serializers.CharField(source="shop.name")
    service_type = serializers.CharField(source="service_type.code")
    order_number = serializers.CharField(source="order.number")
    reject_count = serializers.IntegerField()
    # The username of the shop's merchant who handles it; null: nobody (anyone of the shop).
    handler = serializers.CharField(source="handler.username", allow_null=True, default=None)
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()
    url = serializers.SerializerMethodField()

    def get_url(self, ticket) -> str:
        return self.context["request"].build_absolute_uri(
            reverse("api:ticket", args=[ticket.number]))


class ZonedDateTimeField(serializers.DateTimeField):
    """DRF's DateTimeField, with the current time zone looked up when the field
    is bound (once per serializer, so once a request) rather than for every
    value: three datetimes a row, a hundred rows a sync page. An aware
    datetime in ISO 8601 (the API's format) is written directly, as DRF's
    ``to_representation`` would after its format, string and awareness checks."""

    def bind(self, field_name, parent):
        super().bind(field_name, parent)
        self.timezone = timezone.get_current_timezone()
        output_format = getattr(self, "format", api_settings.DATETIME_FORMAT)
        self._iso = (self.timezone is not None and isinstance(output_format, str)
                     and output_format.lower() == ISO_8601)

    def to_representation(self, value):
        if self._iso and isinstance(value, datetime) and value.tzinfo is not None:
            try:
                text = value.astimezone(self.timezone).isoformat()
            except OverflowError:
                return super().to_representation(value)
            return text[:-6] + "Z" if text.endswith("+00:00") else text
        return super().to_representation(value)

    def row_representation(self):
        """``to_representation`` for ``RowSerializer``'s plan: the same, with the
        field's settings held in the closure rather than looked up on the field
        for every value (three a row)."""
        if not self._iso:
            return self.to_representation
        zone, fallback = self.timezone, self.to_representation
        # isoformat() writes every part through printf, and the UTC offset
        # through its own formatting call: a third of writing a sync page's rows.
        # Here the date and time are joined from two-digit strings, and each
        # offset's suffix ("+08:00", "Z") is the one isoformat() wrote for the
        # first value with that offset. Years before 1000 (which isoformat()
        # pads) are left to isoformat().
        suffixes = {}
        two = _TWO_DIGITS

        def represent(value):
            if type(value) is datetime and value.tzinfo is not None:
                try:
                    local = value.astimezone(zone)
                except OverflowError:
                    return fallback(value)
                suffix = suffixes.get(local.utcoffset())
                if suffix is None or local.year < 1000:
                    text = local.isoformat()
                    if local.year >= 1000:
                        suffix = text[26 if local.microsecond else 19:]
                        suffixes[local.utcoffset()] = "Z" if suffix == "+00:00" else suffix
                    return text[:-6] + "Z" if text.endswith("+00:00") else text
                micro = local.microsecond
                # Six digits, zero-padded, without a format spec to parse.
                micro = "." + str(1_000_000 + micro)[1:] if micro else ""
                return (f"{local.year}-{two[local.month]}-{two[local.day]}"
                        f"T{two[local.hour]}:{two[local.minute]}:{two[local.second]}"
                        f"{micro}{suffix}")
            return fallback(value)

        return represent


# "00" to "99": the months, days, hours, minutes and seconds of ``represent``.
_TWO_DIGITS = [f"{number:02d}" for number in range(100)]


# The representations that are one builtin applied to the value (DRF's own
# CharField and IntegerField), called without the field in between.
_BUILTIN_REPRESENTATIONS = {
    serializers.CharField.to_representation: str,
    serializers.IntegerField.to_representation: int,
}


def _shallow(field: serializers.Field) -> serializers.Field:
    """``copy.copy(field)``, without copy's generic path (``servicedesk.shallow_copy``),
    on every request. DRF's ``Field.__new__`` keeps the field's arguments in its
    ``__dict__``, which the copy carries."""
    return shallow_copy(field, plain_new=serializers.Field.__new__)


# A serializer of plain rows (dicts of ``values()``) whose fields each read
# one key of the row, or the whole row (``source="*"``: method fields).
# DRF's ``Serializer.to_representation`` walks each field's source through
# ``get_attribute`` (the Mapping and callable checks, the missing-key
# fallbacks) and a generator of readable fields, for every value: for a sync
# page of 100 rows that machinery cost several times the fields' own
# conversions. Here what each field does is looked up once per serializer (its
# key; its ``to_representation``, or the builtin it amounts to, or a method
# field's method) and every row only indexes and converts, None staying None
# as DRF leaves it. A row missing a key, or a field with a dotted source, goes
# through DRF's own path (its default, null or error). Comments, not a
# docstring: drf-spectacular would publish it as every subclass's description.
class RowSerializer(serializers.Serializer):
    def get_fields(self):
        # Output only, and binding a field only sets attributes of its own
        # (name, parent, source), changing nothing it shares with the declared
        # field: a shallow copy of each is enough. DRF's deep copy re-runs
        # every field's __init__ (its validators and messages), once a page.
        # (Not for input: a validator's message, min_value's say, is formatted
        # once, in the language of the first request that needs it.)
        return {name: _shallow(field) for name, field in self._declared_fields.items()}

    @cached_property
    def _row_plan(self) -> list[tuple] | None:
        plan = []
        for field in self._readable_fields:
            represent = field.to_representation
            represent = _BUILTIN_REPRESENTATIONS.get(getattr(represent, "__func__", None),
                                                     represent)
            if isinstance(field, ZonedDateTimeField):
                represent = field.row_representation()
            if isinstance(field, serializers.SerializerMethodField) and (
                    type(field).to_representation
                    is serializers.SerializerMethodField.to_representation):
                represent = getattr(self, field.method_name)
            if field.source == "*":
                plan.append((field.field_name, None, represent))
            elif len(field.source_attrs) == 1:
                plan.append((field.field_name, field.source_attrs[0], represent))
            else:
                return None
        return plan

    def to_representation(self, row):
        plan = self._row_plan
        if plan is None or not isinstance(row, dict):
            return super().to_representation(row)
        ret = {}
        try:
            for name, key, represent in plan:
                if key is None:
                    ret[name] = represent(row)
                else:
                    value = row[key]
                    ret[name] = None if value is None else represent(value)
        except KeyError:
            return super().to_representation(row)
        return ret


# What the list reads per ticket (``tickets.selectors.ticket_page(columns=...)``):
# dicts of these columns rather than four model instances a row.
SUMMARY_COLUMNS = ("id", "number", "status", "resolution", "deadline", "reject_count",
                   "created_at", "updated_at", "shop__name", "service_type__code",
                   "order__number", "handler__username")


# A ticket in the list, from a row of ``SUMMARY_COLUMNS``: the same fields as
# ``_TicketFields`` gives a model instance (a test holds the two equal), read
# from the row by explicit sources. A sync pulls pages of 100: plain columns and
# flat fields, no related instances to build or walk.
class TicketSummarySerializer(RowSerializer):
    deadline = ZonedDateTimeField(allow_null=True)
    seconds_left = serializers.SerializerMethodField()
    number = serializers.CharField()
    status = serializers.CharField()
    resolution = serializers.CharField()
    shop = serializers.CharField(source="shop__name")
    service_type = serializers.CharField(source="service_type__code")
    order_number = serializers.CharField(source="order__number")
    reject_count = serializers.IntegerField()
    # The username of the shop's merchant who handles it; null: nobody (anyone of the shop).
    handler = serializers.CharField(source="handler__username", allow_null=True, default=None)
    created_at = ZonedDateTimeField()
    updated_at = ZonedDateTimeField()
    url = serializers.SerializerMethodField()

    def get_seconds_left(self, row) -> int | None:
        """Seconds until the deadline (0 once passed); null when not pending."""
        return _seconds_left(row["deadline"], self._now)

    @cached_property
    def _now(self):
        # The request's time, read once per page: ``context`` walks up to the
        # root serializer on every read, a hundred rows a page.
        return self.context["now"]

    def get_url(self, row) -> str:
        number = row["number"]
        # Ticket numbers are digits, which quote() returns as they are; it is
        # only called for anything else.
        if not (number.isascii() and number.isalnum()):
            number = quote(number, safe="")
        return f"{self._tickets_url}{number}/"

    @cached_property
    def _tickets_url(self) -> str:
        # The list's URL, reversed once per page: a ticket's is the list's plus
        # its number (api.urls), and reverse() a row was a fifth of the rows' cost.
        return self.context["request"].build_absolute_uri(reverse("api:tickets"))


class EvidenceSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    content_type = serializers.CharField()
    width = serializers.IntegerField(allow_null=True)
    height = serializers.IntegerField(allow_null=True)
    url = serializers.SerializerMethodField()

    def get_url(self, evidence) -> str:
        return self.context["request"].build_absolute_uri(reverse(
            "api:evidence", args=[self.context["ticket"].number, evidence.pk]))


class EventSerializer(serializers.Serializer):
    kind = serializers.CharField()
    from_status = serializers.CharField()
    to_status = serializers.CharField()
    actor = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField()
    text = serializers.CharField()
    # A rejection's coded reason (the catalogue's code); null for other events.
    reason_code = serializers.CharField(source="reason_id", allow_null=True)
    evidence = serializers.SerializerMethodField()

    def get_actor(self, event) -> str | None:
        """The person's name; null for the platform itself (the timeout sweep)."""
        if event.actor is None:
            return None
        return event.actor.get_full_name() or event.actor.get_username()

    @extend_schema_field(EvidenceSerializer(many=True))
    def get_evidence(self, event):
        servable = [e for e in event.evidence.all() if e.is_servable]
        return EvidenceSerializer(servable, many=True, context=self.context).data


class TicketDetailSerializer(_TicketFields):
    content = serializers.CharField()
    order = OrderSerializer()
    closed_at = serializers.DateTimeField(allow_null=True)
    first_replied_at = serializers.DateTimeField(allow_null=True)
    last_replied_at = serializers.DateTimeField(allow_null=True)
    events = serializers.SerializerMethodField()
    actions = serializers.SerializerMethodField()

    @extend_schema_field(EventSerializer(many=True))
    def get_events(self, ticket):
        events = ticket.events.select_related("actor").prefetch_related("evidence")
        return EventSerializer(events, many=True,
                               context={**self.context, "ticket": ticket}).data

    def get_actions(self, ticket) -> list[str]:
        """What the caller may do now, read off the transition table."""
        allowed = roles.allowed_actions(self.context["request"].user, ticket,
                                        self.context["now"])
        return [str(action) for action in TRANSITIONS if action in allowed]


class TicketPageSerializer(serializers.Serializer):
    results = TicketSummarySerializer(many=True)
    next = serializers.URLField(allow_null=True)


class ExportJobSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    filter = serializers.DictField(source="filter_params", child=serializers.CharField())
    matched_count = serializers.IntegerField()
    rows_written = serializers.IntegerField()
    error = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, job) -> str | None:
        if job.status != "done":
            return None
        return self.context["request"].build_absolute_uri(
            reverse("api:export-download", args=[job.pk]))


class ReplyTemplateSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    title = serializers.CharField()
    body = serializers.CharField()
    service_type = serializers.CharField(source="service_type.code", allow_null=True,
                                         default=None)
    # False: a platform default (usable, not the shop's to delete).
    shop_owned = serializers.SerializerMethodField()

    def get_shop_owned(self, template) -> bool:
        return template.shop_id is not None


class NotificationSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    # Null for a notification about no ticket (the weekly scorecard).
    ticket = serializers.CharField(source="ticket.number", allow_null=True, default=None)
    text = serializers.SerializerMethodField()
    # The site path opening it leads to: the ticket's page, or the page it is about.
    url = serializers.CharField()
    created_at = serializers.DateTimeField()
    read_at = serializers.DateTimeField(allow_null=True)

    def get_text(self, notification) -> str:
        return describe(notification)


class NotificationPageSerializer(serializers.Serializer):
    results = NotificationSerializer(many=True)
    next = serializers.URLField(allow_null=True)


def context_for(request, **extra) -> dict:
    return {"request": request, "now": timezone.now(), **extra}
