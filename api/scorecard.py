"""``GET /api/v1/scorecard/``: the shop scorecard as JSON, read through the
same access rules, parameters and figures as the ``/scorecard/`` pages."""

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from scorecard import access, figures
from scorecard.params import ScorecardParams

from .problems import ApiProblem, form_errors

SECONDS = ("Whole seconds: each duration is truncated to whole seconds before the median "
           "or percentile is taken, which is then exact over those values.")


class DaySerializer(serializers.Serializer):
    day = serializers.DateField(help_text="A calendar day in the shop's time zone.")
    received = serializers.IntegerField()
    timed_out = serializers.IntegerField()
    on_time_rate = serializers.FloatField(allow_null=True)


class ScorecardSerializer(serializers.Serializer):
    shop = serializers.IntegerField(source="shop.id")
    shop_name = serializers.CharField(source="shop.name")
    time_zone = serializers.CharField(source="shop.time_zone")
    days = serializers.IntegerField()
    service_type = serializers.CharField(source="service_type.code", allow_null=True,
                                         default=None)
    period_start = serializers.DateTimeField(
        source="start", help_text="The period's first midnight in the shop's time zone; "
                                  "it ends now.")
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the daily figures were last brought up to date; "
                                   "open_pending, open_under_review and due_soon are live.")
    received = serializers.IntegerField(help_text="Tickets created in the period.")
    closed = serializers.IntegerField(help_text="Tickets closed in the period.")
    approved = serializers.IntegerField()
    agreed = serializers.IntegerField()
    timed_out = serializers.IntegerField()
    on_time_rate = serializers.FloatField(
        allow_null=True, help_text="(closed - timed_out) / closed; null when nothing closed.")
    replies = serializers.IntegerField(help_text="Reply events in the period.")
    rejections = serializers.IntegerField(help_text="Reject events in the period.")
    reject_rate = serializers.FloatField(allow_null=True, help_text="rejections / replies.")
    first_reply_median_seconds = serializers.FloatField(
        allow_null=True, help_text="Over tickets first replied in the period, "
                                   "first_replied_at - created_at. " + SECONDS)
    first_reply_p90_seconds = serializers.IntegerField(
        allow_null=True, help_text="Nearest-rank 90th percentile of the same. " + SECONDS)
    review_wait_median_seconds = serializers.FloatField(
        allow_null=True, help_text="Over approve and reject events in the period, the time "
                                   "since the reply each decided. " + SECONDS)
    open_pending = serializers.IntegerField()
    open_under_review = serializers.IntegerField()
    due_soon = serializers.IntegerField(
        help_text="Pending with less than TICKET_DUE_SOON_HOURS left, now.")
    daily = DaySerializer(many=True, required=False)


class RankingRowSerializer(ScorecardSerializer):
    daily = None


PARAMETERS = [
    OpenApiParameter("shop", int, description="A shop's id. Merchants: only their own "
                     "(another shop is 404); without it, merchants get their shop and "
                     "agents and ops the ranking of every shop, worst on-time rate first."),
    OpenApiParameter("days", int, enum=list(figures.PERIODS),
                     description="The period: the shop's last 7, 30 or 90 calendar days, "
                                 "today included (30 when absent)."),
    OpenApiParameter("service_type", str, description="A service type's code."),
]


class ScorecardSchema(AutoSchema):
    """One shop's figures (an object) or the ranking (a list of rows): a oneOf
    that drf-spectacular's response declarations cannot spell themselves."""

    def _get_response_for_code(self, serializer, status_code, media_types=None,
                               direction="response"):
        if status_code != "200":
            return super()._get_response_for_code(serializer, status_code, media_types,
                                                  direction)
        one = self.resolve_serializer(ScorecardSerializer(), direction).ref
        row = self.resolve_serializer(RankingRowSerializer(), direction).ref
        return {
            "description": "One shop's figures with its daily series; without `shop`, for "
                           "agents and ops, a list of every shop's figures (no series), "
                           "the worst on-time rate first.",
            "content": {"application/json": {"schema": {
                "oneOf": [one, {"type": "array", "items": row}]}}},
        }


class ScorecardView(APIView):
    schema = ScorecardSchema()

    @extend_schema(operation_id="scorecard_retrieve", parameters=PARAMETERS,
                   responses={200: ScorecardSerializer})
    def get(self, request):
        params = ScorecardParams(request.query_params)
        if not params.is_valid():
            raise ApiProblem(status=400, code="validation_error",
                             detail=_("The submitted data is not valid."),
                             errors=form_errors(params.errors))
        days = params.cleaned_data["days"]
        service_type = params.cleaned_data["service_type"]
        shop_id = params.cleaned_data["shop"]
        if shop_id is None and access.sees_ranking(request.user):
            rows = figures.ranking(days=days, service_type=service_type)
            return Response(RankingRowSerializer(rows, many=True).data)
        if shop_id is None:
            shop = access.own_shop(request.user)
            if shop is None:
                raise ApiProblem(status=403, code="not_permitted",
                                 detail=_("You are not allowed to do this."))
        else:
            shop = access.visible_shop(request.user, shop_id)
        row = figures.shop_figures(shop, days=days, service_type=service_type)
        return Response(ScorecardSerializer(row).data)
