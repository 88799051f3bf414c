"""The API's endpoints: parse, call the same selectors, lifecycle and export
policy as the pages, represent. Errors leave as problem+json (``api.problems``)."""

import copy
from collections.abc import Mapping

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from exports.access import XLSX, ExportUnavailable, export_file_response, jobs_visible_to
from exports.requests import filter_params_from, request_export
from notifications import services as notifications
from notifications.models import Notification
from tickets import lifecycle, replies, roles, selectors
from tickets.forms import CloseForm, RejectForm, ReplyForm, ReplyTemplateForm, TicketCreateForm
from tickets.models import ReplyTemplate, ServiceType, Ticket, TicketStatus
from tickets.pagination import InvalidCursor, keyset_page
from tickets.serving import evidence_response
from tickets.transitions import Action
from tickets.writes import settled_before

from . import serializers as out
from .idempotency import idempotent
from .problems import ApiProblem, form_errors

MAX_PAGE_SIZE = 100


def _invalid(errors: dict) -> ApiProblem:
    return ApiProblem(status=400, code="validation_error",
                      detail=_("The submitted data is not valid."), errors=errors)


def _form_data(request) -> Mapping:
    """The request's fields; a JSON body must be an object."""
    if not isinstance(request.data, Mapping):
        raise _invalid({"non_field_errors": [_("Send the fields as a JSON object or a form.")]})
    return request.data


def _valid(form):
    if not form.is_valid():
        raise _invalid(form_errors(form.errors))
    return form.cleaned_data


class PageParams(serializers.Serializer):
    cursor = serializers.CharField(required=False, max_length=100)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=MAX_PAGE_SIZE,
                                         default=selectors.PAGE_SIZE)


class ListParams(PageParams):
    updated_after = serializers.DateTimeField(required=False)


def _next_url(request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    # A shallow copy: a QueryDict's own (mutable, with lists of its own) without
    # ``copy()``'s deep copy of every key and value, strings all.
    query = copy.copy(request.query_params)
    query["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def _detail(request, ticket: Ticket, *, status: int = 200) -> Response:
    # Re-read through the scope: the lifecycle returns the row it locked, the
    # representation wants its relations and the fresh thread.
    ticket = Ticket.objects.visible_to(request.user).get(pk=ticket.pk)
    return Response(out.TicketDetailSerializer(ticket, context=out.context_for(request)).data,
                    status=status)


def _visible(request, number: str) -> Ticket:
    """404 for a ticket the caller may not see, whatever the role."""
    return get_object_or_404(Ticket.objects.visible_to(request.user), number=number)


def _ticket_for(request, number: str, action: Action) -> Ticket:
    """As the pages: first 404 (another shop's ticket is never revealed), then
    403 for a role that may never do ``action``; its state is the lifecycle's (409)."""
    ticket = _visible(request, number)
    if not roles.may(request.user, action):
        raise ApiProblem(status=403, code="not_permitted",
                         detail=_("You are not allowed to do this."))
    return ticket


STATUS_PARAMS = [
    OpenApiParameter("status", str, enum=[*TicketStatus.values, selectors.DUE_SOON,
                                          selectors.ALL]),
    OpenApiParameter("assigned", str, enum=[selectors.ASSIGNED_TO_ME],
                     description="`me`: the caller's pending tickets, soonest deadline first."),
    OpenApiParameter("shop", int, description="A shop id (agents and ops)."),
    OpenApiParameter("order_number", str),
    OpenApiParameter("number", str),
    OpenApiParameter("service_type", str, description="A service type code."),
    OpenApiParameter("created_after", str, description="YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    OpenApiParameter("created_before", str, description="YYYY-MM-DD or YYYY-MM-DDTHH:MM"),
    OpenApiParameter("rejected_before", str, enum=["true", "false"],
                     description="`true`: rejected at least once; `false`: never rejected."),
    OpenApiParameter("updated_after", OpenApiTypes.DATETIME,
                     description="Only tickets changed at or after this time, oldest change "
                                 "first (incremental sync). Changes appear once they are "
                                 "API_SYNC_SETTLE_SECONDS old (30 s by default): from then "
                                 "on no earlier change can still appear, so a client that "
                                 "asks again from the last `updated_at` it read misses "
                                 "nothing."),
    OpenApiParameter("cursor", str, description="The `next` link's cursor."),
    OpenApiParameter("page_size", int, description="1 to 100 (default 20)."),
]

CREATE_INPUT = inline_serializer("TicketCreate", {
    "order_number": serializers.CharField(max_length=32),
    "service_type": serializers.CharField(),
    "content": serializers.CharField(max_length=2000),
})


class TicketListView(APIView):
    @extend_schema(operation_id="tickets_list", parameters=STATUS_PARAMS,
                   responses={200: out.TicketPageSerializer})
    def get(self, request):
        params = ListParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        tab = selectors.requested_tab(request.query_params, selectors.ALL)
        ticket_filter = selectors.list_filter(request.query_params)
        filter_valid = ticket_filter.is_valid()
        if not (selectors.check_tab(ticket_filter, tab) and filter_valid):
            raise _invalid(form_errors(ticket_filter.errors))
        context = out.context_for(request)
        try:
            page = selectors.ticket_page(
                user=request.user, ticket_filter=ticket_filter, tab=tab,
                after=params.validated_data.get("cursor"),
                size=params.validated_data["page_size"],
                updated_after=params.validated_data.get("updated_after"),
                settled_before=settled_before(context["now"]),
                columns=out.SUMMARY_COLUMNS)
        except InvalidCursor:
            raise _invalid({"cursor": [_("This cursor is not valid.")]}) from None
        return Response({
            "results": out.TicketSummarySerializer(page.rows, many=True, context=context).data,
            "next": _next_url(request, page.next_cursor),
        })

    @extend_schema(operation_id="tickets_create", request=CREATE_INPUT,
                   responses={201: out.TicketDetailSerializer})
    @idempotent
    def post(self, request):
        if not roles.can_create_tickets(request.user):
            raise ApiProblem(status=403, code="not_permitted",
                             detail=_("You are not allowed to do this."))
        data = _valid(TicketCreateForm(_form_data(request)))
        ticket = lifecycle.create_ticket(actor=request.user, order=data["order"],
                                         service_type=data["service_type"],
                                         content=data["content"])
        return _detail(request, ticket, status=201)


class TicketDetailView(APIView):
    @extend_schema(operation_id="tickets_retrieve", responses={200: out.TicketDetailSerializer})
    def get(self, request, number):
        return _detail(request, _visible(request, number))


REPLY_INPUT = inline_serializer("Reply", {
    "body": serializers.CharField(max_length=2000),
    "evidence": serializers.ListField(child=serializers.FileField(), required=False,
                                      max_length=4),
})


class ReplyView(APIView):
    @extend_schema(operation_id="tickets_reply", request={"multipart/form-data": REPLY_INPUT,
                                                          "application/json": REPLY_INPUT},
                   responses={200: out.TicketDetailSerializer})
    @idempotent
    def post(self, request, number):
        ticket = _ticket_for(request, number, Action.REPLY)
        data = _valid(ReplyForm(_form_data(request), request.FILES, ticket=ticket))
        ticket = lifecycle.reply(ticket, actor=request.user, body=data["body"],
                                 evidence=data["evidence"])
        return _detail(request, ticket)


class ApproveView(APIView):
    @extend_schema(operation_id="tickets_approve", request=None,
                   responses={200: out.TicketDetailSerializer})
    @idempotent
    def post(self, request, number):
        ticket = _ticket_for(request, number, Action.APPROVE)
        return _detail(request, lifecycle.approve(ticket, actor=request.user))


class RejectView(APIView):
    @extend_schema(operation_id="tickets_reject", request=inline_serializer(
        "Reject", {"reason_code": serializers.CharField(
            max_length=40, help_text="A code of the rejection reason catalogue "
                                     "(unclear_evidence, not_solved, mismatch, "
                                     "invalid_tracking, other) that applies to the "
                                     "ticket's service type."),
                   "reason": serializers.CharField(max_length=1000, required=False,
                                                   help_text="Required for `other`.")}),
        responses={200: out.TicketDetailSerializer})
    @idempotent
    def post(self, request, number):
        ticket = _ticket_for(request, number, Action.REJECT)
        data = _valid(RejectForm(_form_data(request)))
        return _detail(request, lifecycle.reject(ticket, actor=request.user,
                                                 reason_code=data["reason_code"],
                                                 reason=data["reason"]))


class CloseView(APIView):
    @extend_schema(operation_id="tickets_close", request=inline_serializer(
        "Close", {"note": serializers.CharField(max_length=1000, required=False)}),
        responses={200: out.TicketDetailSerializer})
    @idempotent
    def post(self, request, number):
        ticket = _ticket_for(request, number, Action.CLOSE_AS_AGREED)
        data = _valid(CloseForm(_form_data(request)))
        return _detail(request, lifecycle.close_as_agreed(ticket, actor=request.user,
                                                          note=data["note"]))


class EvidenceView(APIView):
    @extend_schema(operation_id="tickets_evidence",
                   responses={(200, "image/*"): OpenApiTypes.BINARY})
    def get(self, request, number, evidence_id):
        return evidence_response(request.user, number, evidence_id, "image")


class ServiceTypeListView(APIView):
    @extend_schema(operation_id="service_types_list",
                   responses={200: out.ServiceTypeSerializer(many=True)})
    def get(self, request):
        return Response(out.ServiceTypeSerializer(
            ServiceType.objects.filter(is_active=True), many=True).data)


def _template_user(request):
    if not roles.is_merchant(request.user):
        raise ApiProblem(status=403, code="not_permitted",
                         detail=_("Only the shop's merchants manage reply templates."))


TEMPLATE_INPUT = inline_serializer("ReplyTemplateCreate", {
    "title": serializers.CharField(max_length=60),
    "body": serializers.CharField(max_length=2000),
    "service_type": serializers.CharField(required=False, help_text="A service type code."),
})


class ReplyTemplateListView(APIView):
    """The shop's reply templates and the platform's (merchants only)."""

    @extend_schema(operation_id="reply_templates_list",
                   responses={200: out.ReplyTemplateSerializer(many=True)})
    def get(self, request):
        _template_user(request)
        return Response(out.ReplyTemplateSerializer(replies.templates_for(request.user),
                                                    many=True).data)

    @extend_schema(operation_id="reply_templates_create", request=TEMPLATE_INPUT,
                   responses={201: out.ReplyTemplateSerializer})
    @idempotent
    def post(self, request):
        _template_user(request)
        data = _valid(ReplyTemplateForm(_form_data(request)))
        template = replies.create_template(request.user, **data)
        return Response(out.ReplyTemplateSerializer(template).data, status=201)


class ReplyTemplateDetailView(APIView):
    @extend_schema(operation_id="reply_templates_delete", responses={204: None})
    def delete(self, request, pk):
        _template_user(request)
        try:
            replies.delete_template(request.user, pk)
        except ReplyTemplate.DoesNotExist:
            raise ApiProblem(status=404, code="not_found",
                             detail=_("Not found.")) from None
        return Response(status=204)


def _exporter(request):
    if not roles.can_export(request.user):
        raise ApiProblem(status=403, code="not_permitted", detail=_(
            "Only merchants and operations staff can export tickets."))


EXPORT_INPUT = inline_serializer("ExportRequest", {
    name: serializers.CharField(required=False)
    for name in ("status", "order_number", "number", "service_type", "created_after",
                 "created_before")
})


class ExportCreateView(APIView):
    @extend_schema(operation_id="exports_create", request=EXPORT_INPUT,
                   responses={202: out.ExportJobSerializer})
    @idempotent
    def post(self, request):
        _exporter(request)
        job = request_export(user=request.user, params=filter_params_from(_form_data(request)),
                             language=get_language())
        response = Response(out.ExportJobSerializer(job, context={"request": request}).data,
                            status=202)
        response["Location"] = reverse("api:export", args=[job.pk])
        return response


class ExportDetailView(APIView):
    @extend_schema(operation_id="exports_retrieve", responses={200: out.ExportJobSerializer})
    def get(self, request, pk):
        _exporter(request)
        job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
        return Response(out.ExportJobSerializer(job, context={"request": request}).data)



class ExportDownloadView(APIView):
    @extend_schema(operation_id="exports_download", responses={(200, XLSX): OpenApiTypes.BINARY})
    def get(self, request, pk):
        _exporter(request)
        job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
        try:
            return export_file_response(job)
        except ExportUnavailable as unavailable:
            code = "export_expired" if unavailable.status == 410 else "wrong_state"
            raise ApiProblem(status=unavailable.status, code=code,
                             detail=unavailable.message) from None


class NotificationListView(APIView):
    @extend_schema(operation_id="notifications_list", parameters=[
        OpenApiParameter("cursor", str), OpenApiParameter("page_size", int)],
        responses={200: out.NotificationPageSerializer})
    def get(self, request):
        params = PageParams(data=request.query_params)
        params.is_valid(raise_exception=True)
        mine = Notification.objects.for_user(request.user).select_related(
            "ticket", "ticket__service_type")
        try:
            page = keyset_page(mine, key="created_at", descending=True,
                               after=params.validated_data.get("cursor"),
                               size=params.validated_data["page_size"])
        except InvalidCursor:
            raise _invalid({"cursor": [_("This cursor is not valid.")]}) from None
        return Response({
            "results": out.NotificationSerializer(page.rows, many=True).data,
            "next": _next_url(request, page.next_cursor),
        })


class NotificationReadView(APIView):
    @extend_schema(operation_id="notifications_read", request=None,
                   responses={200: out.NotificationSerializer})
    @idempotent
    def post(self, request, pk):
        try:
            notification = notifications.mark_read(request.user, pk)
        except Notification.DoesNotExist:
            raise ApiProblem(status=404, code="not_found", detail=_("Not found.")) from None
        return Response(out.NotificationSerializer(notification).data)


class NotFoundView(APIView):
    """Any other path under the API: a problem+json 404, not the site's HTML page."""

    permission_classes = []
    throttle_classes = []
    schema = None

    def dispatch(self, request, *args, **kwargs):
        # Whatever the method: no 405 for a path that does not exist.
        self.http_method_names = [request.method.lower()]
        setattr(self, request.method.lower(), self._missing)
        return super().dispatch(request, *args, **kwargs)

    def _missing(self, request, *args, **kwargs):
        raise ApiProblem(status=404, code="not_found", detail=_("Not found."))
