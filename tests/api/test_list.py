"""GET /api/v1/tickets/: the pages' filters and scope, cursor pages with
``next``, and ``updated_after`` (every transition moves ``updated_at``)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.factories import ServiceTypeFactory
from tickets import lifecycle
from tickets.models import Ticket
from tickets.sweep import sweep_deadlines


def _numbers(response):
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["results"]]


def _cursor(response):
    return parse_qs(urlsplit(response.json()["next"]).query)["cursor"][0]


def test_every_transition_moves_updated_at(make_ticket, merchant, agent, time_machine):
    start = timezone.now()
    time_machine.move_to(start, tick=False)
    ticket = make_ticket()
    assert ticket.updated_at == start
    steps = [
        lambda t: lifecycle.reply(t, actor=merchant, body="好"),
        lambda t: lifecycle.reject(t, actor=agent, reason_code="other", reason="不行"),
        lambda t: lifecycle.reply(t, actor=merchant, body="再来"),
        lambda t: lifecycle.approve(t, actor=agent),
    ]
    for minutes, step in enumerate(steps, start=1):
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        step(ticket)
        assert Ticket.objects.get(pk=ticket.pk).updated_at == timezone.now()
    other = make_ticket()
    time_machine.move_to(start + timedelta(minutes=9), tick=False)
    lifecycle.close_as_agreed(other, actor=agent)
    assert Ticket.objects.get(pk=other.pk).updated_at == timezone.now()


def test_the_sweep_moves_updated_at(make_ticket, time_machine):
    ticket = make_ticket(now=timezone.now() - timedelta(days=30))
    sweep_deadlines(now=timezone.now())
    ticket.refresh_from_db()
    assert ticket.status == "closed" and ticket.updated_at > ticket.created_at + timedelta(days=1)


def test_updated_after_oldest_change_first_across_pages(merchant_api, make_ticket, merchant,
                                                        time_machine):
    start = timezone.now() - timedelta(hours=1)
    made = []
    for minute in range(5):
        time_machine.move_to(start + timedelta(minutes=minute), tick=False)
        made.append(make_ticket())
    # The first ticket changes last: it comes last.
    time_machine.move_to(start + timedelta(minutes=10), tick=False)
    lifecycle.reply(made[0], actor=merchant, body="好")
    time_machine.move_to(start + timedelta(minutes=11), tick=False)
    since = (start + timedelta(minutes=1)).isoformat()
    first = merchant_api.get("/api/v1/tickets/", {"updated_after": since, "page_size": 2})
    assert _numbers(first) == [made[1].number, made[2].number]
    second = merchant_api.get(first.json()["next"])
    assert _numbers(second) == [made[3].number, made[4].number]
    third = merchant_api.get(second.json()["next"])
    assert _numbers(third) == [made[0].number]
    assert third.json()["next"] is None


def test_without_updated_after_newest_first_and_filters_apply(merchant_api, make_ticket,
                                                              shop_a, time_machine):
    other_type = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    base = timezone.now() - timedelta(hours=1)
    time_machine.move_to(base, tick=False)
    older = make_ticket()
    time_machine.move_to(base + timedelta(minutes=1), tick=False)
    newer = make_ticket(service_type_=other_type)
    assert _numbers(merchant_api.get("/api/v1/tickets/")) == [newer.number, older.number]
    assert _numbers(merchant_api.get("/api/v1/tickets/", {"service_type": "invoice"})) == \
        [newer.number]
    assert _numbers(merchant_api.get("/api/v1/tickets/", {"number": older.number})) == \
        [older.number]
    assert _numbers(merchant_api.get("/api/v1/tickets/",
                                     {"order_number": newer.order.number})) == [newer.number]
    assert _numbers(merchant_api.get("/api/v1/tickets/", {"status": "closed"})) == []
    # Pending: the soonest deadline first, as on the page.
    assert _numbers(merchant_api.get("/api/v1/tickets/", {"status": "pending"})) == \
        [older.number, newer.number]


@pytest.mark.parametrize("params", [{}, {"updated_after": "2000-01-01T00:00:00Z"},
                                    {"status": "pending"}])
def test_query_count_does_not_grow_with_depth(ops_api, make_ticket, params, settings):
    settings.API_TOKEN_REUSE_SECONDS = 0  # the token read on every request
    for _ in range(7):
        # Older than the settle window, so updated_after returns them.
        make_ticket(now=timezone.now() - timedelta(minutes=5))

    def count(url, query):
        with CaptureQueriesContext(connection) as queries:
            response = ops_api.get(url, query)
        assert response.status_code == 200
        return len(queries), response

    # Once before measuring: the token's first use writes its "last used" time.
    ops_api.get("/api/v1/service-types/")
    first_count, first = count("/api/v1/tickets/", {**params, "page_size": 2})
    cursor = _cursor(first)
    deep_count, deep = count("/api/v1/tickets/", {**params, "page_size": 2, "cursor": cursor})
    deeper_count, _ = count("/api/v1/tickets/", {**params, "page_size": 2,
                                                  "cursor": _cursor(deep)})
    # The token with its user, role and shop, then the page: the same two
    # queries on every page.
    assert first_count == deep_count == deeper_count == 2


def test_a_merchant_token_costs_one_query_for_token_user_role_and_shop(merchant_api,
                                                                         make_ticket, settings):
    settings.API_TOKEN_REUSE_SECONDS = 0
    make_ticket()
    merchant_api.get("/api/v1/service-types/")  # the token's "last used" write
    with CaptureQueriesContext(connection) as queries:
        response = merchant_api.get("/api/v1/tickets/")
    assert len(_numbers(response)) == 1
    assert len(queries) == 2, [q["sql"] for q in queries]


def test_a_token_checked_moments_ago_is_not_read_again(merchant_api, make_ticket):
    make_ticket()
    merchant_api.get("/api/v1/service-types/")  # read, and its "last used" written
    with CaptureQueriesContext(connection) as queries:
        response = merchant_api.get("/api/v1/tickets/")
    assert len(_numbers(response)) == 1
    # Only the page: the token, its user, role and shop as checked just before.
    assert len(queries) == 1, [q["sql"] for q in queries]


def test_detail_shape(merchant_api, under_review_ticket, merchant):
    body = merchant_api.get(f"/api/v1/tickets/{under_review_ticket.number}/").json()
    assert body["order"]["number"] == under_review_ticket.order.number
    assert body["deadline"] is None and body["seconds_left"] is None
    assert [e["kind"] for e in body["events"]] == ["created", "replied"]
    assert body["events"][1]["actor"] == merchant.username
    assert body["actions"] == []
    assert body["reject_count"] == 0 and body["resolution"] == ""


def test_a_created_date_at_the_calendars_edge_is_a_field_error_not_a_500(merchant_api,
                                                                          pending_ticket):
    # Was a 500 (OverflowError: the day after 9999-12-31) on the API and the page;
    # the one FilterSet now takes dates from 2000 to 2999 only.
    response = merchant_api.get("/api/v1/tickets/", {"created_before": "9999-12-31"})
    assert response.status_code == 400
    assert response["Content-Type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "validation_error"
    assert "created_before" in body["errors"]


def test_the_list_rows_read_like_the_tickets_themselves(rf, ops, make_ticket, merchant, agent,
                                                       time_machine):
    """The list serializes plain rows of columns; a ticket must read the same
    there as its model instance does (the detail's fields)."""
    from rest_framework.request import Request

    from api import serializers as out

    time_machine.move_to("2026-11-30T16:00:00Z", tick=False)
    tickets = [make_ticket(), make_ticket()]
    lifecycle.reply(tickets[1], actor=merchant, body="好")
    lifecycle.approve(tickets[1], actor=agent)
    Ticket.objects.filter(pk=tickets[0].pk).update(handler=merchant)  # one with a handler
    instances = list(Ticket.objects.visible_to(ops).order_by("id"))
    rows = list(Ticket.objects.visible_to(ops).order_by("id").values(*out.SUMMARY_COLUMNS))
    request = Request(rf.get("/api/v1/tickets/"))
    context = out.context_for(request)
    expected = out._TicketFields(instances, many=True, context=context).data
    listed = out.TicketSummarySerializer(rows, many=True, context=context).data
    assert [dict(row) for row in listed] == [dict(row) for row in expected]
    assert expected[0]["handler"] == merchant.username and expected[1]["handler"] is None
    assert expected[0]["deadline"] is not None and expected[1]["deadline"] is None


def test_row_serializers_write_what_drfs_own_path_writes(settings):
    """``RowSerializer`` applies its fields to rows by a plan made once; each
    row must come out as DRF's ``Serializer.to_representation`` writes it:
    None kept, datetimes in the current zone (UTC as Z), a missing key
    through the field's default, a dotted source through DRF's walk."""
    import datetime as dt

    from django.utils import timezone
    from rest_framework import serializers

    from api import serializers as out

    class Rows(out.RowSerializer):
        at = out.ZonedDateTimeField(allow_null=True)
        name = serializers.CharField(source="shop__name")
        count = serializers.IntegerField()
        handler = serializers.CharField(source="handler__username", allow_null=True,
                                        default=None)
        twice = serializers.SerializerMethodField()

        def get_twice(self, row) -> int:
            return row["count"] * 2

    class Plain(serializers.Serializer):
        at = serializers.DateTimeField(allow_null=True)
        name = serializers.CharField(source="shop__name")
        count = serializers.IntegerField()
        handler = serializers.CharField(source="handler__username", allow_null=True,
                                        default=None)
        twice = serializers.SerializerMethodField()

        def get_twice(self, row) -> int:
            return row["count"] * 2

    moment = dt.datetime(2026, 11, 30, 16, 0, 0, 123456, tzinfo=dt.UTC)
    rows = [
        {"at": moment, "shop__name": "店", "count": 3, "handler__username": "m1"},
        {"at": None, "shop__name": "店", "count": 0, "handler__username": None},
        {"at": moment, "shop__name": "店", "count": 1},  # no handler key: the default
    ]
    for zone in ("Asia/Shanghai", "UTC"):
        with timezone.override(zone):
            written = [dict(row) for row in Rows(rows, many=True).data]
            assert written == [dict(row) for row in Plain(rows, many=True).data]
    assert written[0]["at"] == "2026-11-30T16:00:00.123456Z"
    assert written[1]["at"] is None and written[2]["handler"] is None

    class Nested(out.RowSerializer):
        name = serializers.CharField(source="shop.name")

    assert Nested([{"shop": {"name": "店"}}], many=True).data == [{"name": "店"}]


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "UTC", "America/New_York",
                                  "Asia/Kolkata", "Pacific/Chatham", "America/St_Johns"])
def test_row_datetimes_are_written_as_drfs_datetime_field_writes_them(db, zone):
    """The row plan writes datetimes itself (the date and time from two-digit
    strings, the offset's suffix as isoformat() first wrote it): every value,
    in every zone, must come out as DRF's DateTimeField writes it, through
    daylight saving, local mean time offsets with seconds, half and
    three-quarter hour offsets, years before 1000, whole seconds, and a
    value that cannot be converted."""
    import datetime as dt
    import random

    from django.utils import timezone
    from rest_framework import serializers

    from api import serializers as out

    class Rows(out.RowSerializer):
        at = out.ZonedDateTimeField()

    class Plain(serializers.Serializer):
        at = serializers.DateTimeField()

    picks = random.Random(zone)
    moments = [dt.datetime(2, 1, 1, tzinfo=dt.UTC),
               dt.datetime(9999, 12, 30, 23, 59, 59, 999999, tzinfo=dt.UTC),
               dt.datetime(1900, 6, 1, 12, tzinfo=dt.UTC),
               dt.datetime(2026, 3, 8, 7, 0, tzinfo=dt.UTC),  # New York's spring forward
               dt.datetime(2026, 11, 1, 6, 30, tzinfo=dt.UTC),  # and its repeated hour
               dt.datetime(2026, 11, 30, 16, 0, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=3))),
               *(dt.datetime(2026, 1, 9, 8, 7, 6, micro, tzinfo=dt.UTC)
                 for micro in (1, 10, 100000, 999999))]
    for _ in range(3000):
        moment = dt.datetime(picks.choice([picks.randint(2, 1100), picks.randint(1850, 2100)]),
                             1, 1, tzinfo=dt.UTC) + dt.timedelta(
            seconds=picks.randint(0, 366 * 86400), microseconds=picks.choice(
                [0, picks.randint(0, 999999)]))
        moments.append(moment)
    rows = [{"at": moment} for moment in moments]
    with timezone.override(zone):
        written = [row["at"] for row in Rows(rows, many=True).data]
        assert written == [row["at"] for row in Plain(rows, many=True).data]
        # Beyond the calendar in this zone: DRF's own error, from both.
        edge = [{"at": dt.datetime(1, 1, 1, tzinfo=dt.UTC)},
                {"at": dt.datetime(9999, 12, 31, 23, 59, tzinfo=dt.UTC)}]
        for row in edge:
            try:
                expected = Plain(row).data
            except serializers.ValidationError as error:
                with pytest.raises(serializers.ValidationError) as ours:
                    Rows(row).data  # noqa: B018
                assert ours.value.detail == error.detail
            else:
                assert Rows(row).data == expected


def test_a_ticket_url_quotes_what_is_not_a_letter_or_digit(rf):
    from rest_framework.request import Request

    from api import serializers as out

    context = out.context_for(Request(rf.get("/api/v1/tickets/")))
    summary = out.TicketSummarySerializer(context=context)
    base = "http://testserver/api/v1/tickets/"
    assert summary.get_url({"number": "2611300000000001"}) == f"{base}2611300000000001/"
    assert summary.get_url({"number": "a/b c"}) == f"{base}a%2Fb%20c/"
    assert summary.get_url({"number": "２６"}) == f"{base}%EF%BC%92%EF%BC%96/"


def test_the_next_link_keeps_every_other_parameter_as_sent(db, rf):
    from rest_framework.request import Request

    from api.views import _next_url

    request = Request(rf.get("/api/v1/tickets/?status=pending&x=1&x=2&cursor=old&page_size=5"))
    assert _next_url(request, "new_1") == (
        "http://testserver/api/v1/tickets/?status=pending&x=1&x=2&cursor=new_1&page_size=5")
    assert _next_url(request, None) is None
    assert request.query_params.getlist("cursor") == ["old"]
    assert request.query_params.getlist("x") == ["1", "2"]
