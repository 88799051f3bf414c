"""OpenAPI additions: every operation may answer with a problem+json error,
documented once here instead of on each view; and the bearer token scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "code": {"type": "string", "enum": [
            "validation_error", "not_authenticated", "not_permitted", "not_found",
            "method_not_allowed", "not_acceptable", "unsupported_media_type", "wrong_state",
            "already_replied", "deadline_passed", "export_too_large", "export_cooldown",
            "export_expired", "request_too_large", "rate_limited", "idempotency_conflict",
            "unavailable", "server_error"]},
        "errors": {"type": "object",
                   "additionalProperties": {"type": "array", "items": {"type": "string"}}},
        "count": {"type": "integer"},
        "cap": {"type": "integer"},
        "retry_after": {"type": "integer"},
    },
}

ERROR_STATUSES = {
    "400": "Invalid input (validation_error)",
    "401": "Not authenticated",
    "403": "Not permitted (wrong role, read-only token)",
    "404": "Not found (or another shop's)",
    "405": "Method not allowed",
    "406": "Not acceptable",
    "409": "Wrong state, already replied, deadline passed",
    "410": "Export expired",
    "413": "Request too large",
    "415": "Unsupported media type",
    "422": "Idempotency conflict",
    "429": "Rate limited or export cooldown (Retry-After)",
    "503": "Temporarily unavailable",
}


def add_problem_responses(result, generator, request, public):
    result.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM
    ref = {"$ref": "#/components/schemas/Problem"}
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {
                    "description": description,
                    "content": {"application/problem+json": {"schema": ref}},
                })
    return result


class BearerTokenScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer",
                "description": "A personal API token from /settings/tokens/."}
