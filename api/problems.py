"""Every API error as RFC 9457 ``application/problem+json`` with a stable ``code``.

One exception handler turns the domain's errors (``tickets.errors``,
``exports.errors``), DRF's own (validation, authentication, permission,
throttling, parsing), Django's ``Http404`` / ``PermissionDenied`` and anything
unexpected into the same shape, with ``detail`` in the request's language."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, JsonResponse
from django.utils.translation import gettext as _
from rest_framework import exceptions as drf
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from exports.errors import (
    ExportCooldownActive,
    ExportTooLarge,
    ExportUnavailable,
    InvalidExportFilter,
)
from tickets.errors import (
    AlreadyReplied,
    Claimed,
    DeadlinePassed,
    InvalidInput,
    NotPermitted,
    TicketError,
    TransitionNotAllowed,
)

logger = logging.getLogger(__name__)

CONTENT_TYPE = "application/problem+json"


class ApiProblem(drf.APIException):
    """An API-only refusal with its code, e.g. ``idempotency_conflict``."""

    def __init__(self, *, status: int, code: str, detail, **extra):
        self.status_code = status
        self.problem_code = code
        self.extra = extra
        super().__init__(detail=detail, code=code)


def titles() -> dict[str, str]:
    return {
        "validation_error": _("Invalid input"),
        "not_authenticated": _("Not signed in"),
        "not_permitted": _("Not permitted"),
        "not_found": _("Not found"),
        "method_not_allowed": _("Method not allowed"),
        "not_acceptable": _("Not acceptable"),
        "unsupported_media_type": _("Unsupported media type"),
        "wrong_state": _("Wrong state"),
        "already_replied": _("Already replied"),
        "deadline_passed": _("Deadline passed"),
        "claimed": _("Claimed by another agent"),
        "export_too_large": _("Export too large"),
        "export_cooldown": _("Export cooldown"),
        "export_expired": _("Export expired"),
        "request_too_large": _("Request too large"),
        "rate_limited": _("Too many requests"),
        "idempotency_conflict": _("Idempotency conflict"),
        "unavailable": _("Temporarily unavailable"),
        "server_error": _("Server error"),
    }


def problem_body(status: int, code: str, detail, **extra) -> dict:
    return {"type": f"urn:servicedesk:problem:{code}", "title": titles()[code],
            "status": status, "detail": str(detail), "code": code, **extra}


def problem_response(status: int, code: str, detail, *, headers=None, **extra) -> Response:
    return Response(problem_body(status, code, detail, **extra), status=status,
                    headers=headers, content_type=CONTENT_TYPE)


def plain_problem(status: int, code: str, detail) -> JsonResponse:
    """The same body outside DRF (the request-size middleware)."""
    return JsonResponse(problem_body(status, code, detail), status=status,
                        content_type=CONTENT_TYPE, json_dumps_params={"ensure_ascii": False})


def field_errors(detail) -> dict[str, list[str]]:
    """DRF's error detail (dict, list or string) as ``{field: [message, ...]}``."""
    if isinstance(detail, dict):
        return {str(name): [str(m) for m in (msgs if isinstance(msgs, list) else [msgs])]
                for name, msgs in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": [str(m) for m in detail]}
    return {"non_field_errors": [str(detail)]}


def form_errors(form_errors_dict) -> dict[str, list[str]]:
    """A Django form's or FilterSet's errors in the same shape."""
    return {name: [str(e["message"]) for e in errors]
            for name, errors in form_errors_dict.get_json_data().items()}


# Most specific first: AlreadyReplied is a TransitionNotAllowed.
DOMAIN_CODES = (
    (AlreadyReplied, "already_replied"),
    (TransitionNotAllowed, "wrong_state"),
    (DeadlinePassed, "deadline_passed"),
    (Claimed, "claimed"),
    (NotPermitted, "not_permitted"),
    (InvalidExportFilter, "validation_error"),
    (InvalidInput, "validation_error"),
    (ExportTooLarge, "export_too_large"),
    (ExportCooldownActive, "export_cooldown"),
    (ExportUnavailable, "unavailable"),
    (TicketError, "wrong_state"),
)

DRF_CODES = (
    (drf.ValidationError, "validation_error"),
    (drf.ParseError, "validation_error"),
    (drf.NotAuthenticated, "not_authenticated"),
    (drf.AuthenticationFailed, "not_authenticated"),
    (drf.PermissionDenied, "not_permitted"),
    (drf.NotFound, "not_found"),
    (drf.MethodNotAllowed, "method_not_allowed"),
    (drf.NotAcceptable, "not_acceptable"),
    (drf.UnsupportedMediaType, "unsupported_media_type"),
    (drf.Throttled, "rate_limited"),
)


def _domain_problem(exc: TicketError) -> Response:
    code = next(c for cls, c in DOMAIN_CODES if isinstance(exc, cls))
    extra, headers = {}, {}
    if isinstance(exc, InvalidExportFilter):
        extra["errors"] = form_errors(exc.errors) if hasattr(exc.errors, "get_json_data") \
            else field_errors(exc.errors)
    elif code == "validation_error":
        extra["errors"] = {"non_field_errors": [str(exc.message)]}
    if isinstance(exc, ExportTooLarge):
        extra.update(count=exc.count, cap=exc.cap)
    if isinstance(exc, ExportCooldownActive):
        headers["Retry-After"] = str(exc.retry_after)
        extra["retry_after"] = exc.retry_after
    return problem_response(exc.status_code, code, exc.message, headers=headers, **extra)


def exception_handler(exc, context):
    if isinstance(exc, TicketError):
        set_rollback()
        return _domain_problem(exc)
    if isinstance(exc, RequestDataTooBig):
        return problem_response(413, "request_too_large",
                                _("The request is too large."))
    if isinstance(exc, ApiProblem):
        set_rollback()
        return problem_response(exc.status_code, exc.problem_code, exc.detail, **exc.extra)
    if isinstance(exc, Http404):
        exc = drf.NotFound(_("Not found."))
    elif isinstance(exc, PermissionDenied):
        exc = drf.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        logger.exception("unexpected error in the API", exc_info=exc)
        set_rollback()
        return problem_response(500, "server_error",
                                _("Something went wrong on our side. Please try again."))
    code = next((c for cls, c in DRF_CODES if isinstance(exc, cls)), "validation_error")
    if isinstance(exc, drf.ValidationError):
        body = problem_body(response.status_code, code, _("The submitted data is not valid."),
                            errors=field_errors(exc.detail))
    elif isinstance(exc, drf.ParseError):
        body = problem_body(400, code, exc.detail, errors={"non_field_errors": [str(exc.detail)]})
    else:
        extra = {"retry_after": int(exc.wait)} if isinstance(exc, drf.Throttled) and exc.wait \
            else {}
        body = problem_body(response.status_code, code, exc.detail, **extra)
    response.data = body
    response.content_type = CONTENT_TYPE
    return response
