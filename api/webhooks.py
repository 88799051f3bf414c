"""The webhook endpoints of the API: register, list, change, remove, ping.
Input is checked by the settings page's own form (``webhooks.forms``); the
secret is in the response to the POST that created the endpoint, never again."""

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from webhooks import delivery, endpoints
from webhooks.forms import SUBSCRIBABLE, EndpointForm
from webhooks.models import Endpoint

from .idempotency import idempotent
from .problems import ApiProblem
from .views import _form_data, _valid


class EndpointSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    url = serializers.URLField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE))
    description = serializers.CharField()
    active = serializers.BooleanField(source="is_active")
    # Failed attempts in a row; at WEBHOOK_DISABLE_AFTER_FAILURES it is switched off.
    consecutive_failures = serializers.IntegerField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class NewEndpointSerializer(EndpointSerializer):
    # Only here: shown once.
    secret = serializers.CharField()


class TestDeliverySerializer(serializers.Serializer):
    id = serializers.UUIDField(source="event_id")
    type = serializers.CharField()
    status = serializers.CharField()


ENDPOINT_INPUT = inline_serializer("WebhookEndpointInput", {
    "url": serializers.URLField(max_length=500),
    "events": serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE)),
    "description": serializers.CharField(max_length=200, required=False),
})
ENDPOINT_PATCH = inline_serializer("WebhookEndpointPatch", {
    "url": serializers.URLField(max_length=500, required=False),
    "events": serializers.ListField(child=serializers.ChoiceField(choices=SUBSCRIBABLE),
                                    required=False),
    "description": serializers.CharField(max_length=200, required=False),
    "active": serializers.BooleanField(required=False),
})


def _registrant(request):
    if not endpoints.may_register(request.user):
        raise ApiProblem(status=403, code="not_permitted",
                         detail=_("You are not allowed to do this."))


def _own(request, pk) -> Endpoint:
    """404 for anybody else's endpoint."""
    endpoint = Endpoint.objects.owned_by(request.user).filter(pk=pk).first()
    if endpoint is None:
        raise ApiProblem(status=404, code="not_found", detail=_("Not found."))
    return endpoint


def _form_input(data) -> dict:
    """The JSON (or form) fields as the page's form reads them: events is a list."""
    if hasattr(data, "getlist"):
        values = {name: data.get(name) for name in data}
        if "events" in data:
            values["events"] = data.getlist("events")
        return values
    return dict(data)


class WebhookListView(APIView):
    @extend_schema(operation_id="webhooks_list", responses={200: EndpointSerializer(many=True)})
    def get(self, request):
        return Response(EndpointSerializer(Endpoint.objects.owned_by(request.user),
                                           many=True).data)

    @extend_schema(operation_id="webhooks_create", request=ENDPOINT_INPUT,
                   responses={201: NewEndpointSerializer})
    @idempotent
    def post(self, request):
        _registrant(request)
        data = _valid(EndpointForm(_form_input(_form_data(request))))
        endpoint = endpoints.create_endpoint(request.user, **data)
        return Response(NewEndpointSerializer(endpoint).data, status=201)


class WebhookDetailView(APIView):
    @extend_schema(operation_id="webhooks_retrieve", responses={200: EndpointSerializer})
    def get(self, request, pk):
        return Response(EndpointSerializer(_own(request, pk)).data)

    @extend_schema(operation_id="webhooks_update", request=ENDPOINT_PATCH,
                   responses={200: EndpointSerializer})
    def patch(self, request, pk):
        endpoint = _own(request, pk)
        given = _form_input(_form_data(request))
        current = {"url": endpoint.url, "events": endpoint.events,
                   "description": endpoint.description}
        changed = {name: value for name, value in given.items() if name in current}
        data = _valid(EndpointForm({**current, **changed}))
        changes = {name: data[name] for name in changed}
        if "active" in given:
            active = serializers.BooleanField().run_validation
            try:
                changes["is_active"] = active(given["active"])
            except serializers.ValidationError as error:
                raise ApiProblem(status=400, code="validation_error",
                                 detail=_("The submitted data is not valid."),
                                 errors={"active": [str(m) for m in error.detail]}) from None
        return Response(EndpointSerializer(endpoints.update_endpoint(endpoint, **changes)).data)

    @extend_schema(operation_id="webhooks_delete", responses={204: None})
    def delete(self, request, pk):
        endpoints.delete_endpoint(_own(request, pk))
        return Response(status=204)


class WebhookPingView(APIView):
    @extend_schema(operation_id="webhooks_ping", request=None,
                   responses={202: TestDeliverySerializer})
    @idempotent
    def post(self, request, pk):
        sent = delivery.send_test_event(_own(request, pk))
        sent.refresh_from_db(fields=["status"])
        return Response(TestDeliverySerializer(sent).data, status=202)
