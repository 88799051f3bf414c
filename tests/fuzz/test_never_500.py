"""Never a 500: every URL in the URL table, as every role, with hostile values
in its path parameters, in every query parameter the pages read and in every
field of every form, must answer below 500.

Two passes per role. A sweep sends each parameter of each page the role can
use every hostile value of its kind alone, in an otherwise valid request (the
needles: a date that parses but overflows, a ``next`` Django would reverse).
Then hypothesis sends a fixed number of derandomized examples to every URL
pattern (methods, encodings, repeated keys, files for text, several bad values
at once). The URLs come from Django's resolver and the parameter names from
the FilterSet and the forms, so a URL, filter or field added later is fuzzed
too. Runs on PostgreSQL, which refuses NUL bytes and out-of-range values that
SQLite takes. Each request runs in a savepoint that is rolled back, so every
request meets the same data and CI sends the same requests every time."""

import itertools
import time
import traceback

import pytest
from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.db import transaction
from hypothesis import HealthCheck, Phase, given
from hypothesis import settings as hypothesis_settings

from notifications.forms import MarkAllReadForm
from tickets.filters import TicketFilter
from tickets.forms import (
    AssignForm,
    BatchReplyForm,
    BulkAssignForm,
    CloseForm,
    RejectForm,
    ReplyForm,
    ReplyTemplateForm,
    TicketCreateForm,
)
from webhooks.forms import EndpointForm

from . import hostile
from .conftest import ROLES, admin_model_for, admin_object_ids
from .routes import url_table
from .strategies import FuzzRequest, fuzz_request

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]

# Examples per URL pattern and role. The admin is Django's own code and most of
# the URL table; a few examples each (only the superuser gets past its login)
# keep the whole run under a minute and a half on a shared 2-core machine.
EXAMPLES = 4
ADMIN_EXAMPLES = 2
ADMIN_EXAMPLES_NOT_STAFF = 1
# Admin pages anybody can reach, fuzzed like the site's own.
ADMIN_PUBLIC = {"admin:login"}

ROUTES = url_table()

FILTER_PARAMETERS = list(TicketFilter.base_filters)
# Read from request.GET by views directly rather than through a form.
VIEW_PARAMETERS = ["status", "assigned", "after", "before", "page", "next", "up_to",
                   "order_number", "tab", "days", "sort"]
# What each page reads from the query string; the hostile value goes there
# more often (every route still gets every parameter now and then).
READS = {
    "tickets:list": FILTER_PARAMETERS + ["status", "assigned", "after", "before", "page"],
    "tickets:review": FILTER_PARAMETERS + ["after", "before"],
    "tickets:review_ticket": FILTER_PARAMETERS,
    "tickets:create": ["order_number"],
    "notifications:list": ["page"],
    "exports:list": FILTER_PARAMETERS + ["page"],
    "scorecard:index": ["days", "service_type", "shop", "sort"],
    "scorecard:shop": ["days", "service_type"],
    "scorecard:chart": ["days", "service_type"],
    "login": ["next"],
    "logout": ["next"],
    "set_language": ["next"],
    # The admin's busiest pages stand in for the rest (same ModelAdmin code).
    "admin:tickets_ticket_changelist": ["q", "o", "p", "_to_field", "status__exact",
                                        "created_at__year"],
    "admin:tickets_ticket_change": ["_to_field", "_changelist_filters"],
}
# Django's admin: search, ordering, page, popups, the autocomplete view.
ADMIN_PARAMETERS = ["q", "o", "p", "e", "all", "_to_field", "_popup", "_changelist_filters",
                    "term", "app_label", "model_name", "field_name"]
ADMIN_FORM_FIELDS = ["action", "_selected_action", "index", "select_across", "post", "_save",
                     "_continue", "_addanother", "form-TOTAL_FORMS", "form-INITIAL_FORMS"]


def _fields(*forms) -> list[str]:
    return list(dict.fromkeys(name for form in forms for name in form.base_fields))


FORM_FIELDS = {
    "tickets:create": _fields(TicketCreateForm),
    "tickets:reply": _fields(ReplyForm),
    "tickets:reject": _fields(RejectForm),
    "tickets:review_reject": _fields(RejectForm),
    "tickets:review_close": _fields(CloseForm),
    "tickets:close": _fields(CloseForm),
    "tickets:batch_reply": _fields(BatchReplyForm),
    "tickets:assign": _fields(AssignForm),
    "tickets:assign_many": _fields(BulkAssignForm),
    "tickets:templates": _fields(ReplyTemplateForm),
    "webhooks:list": _fields(EndpointForm),
    "notifications:read_all": _fields(MarkAllReadForm),
    "exports:list": FILTER_PARAMETERS,
    "exports:scorecard": ["days", "service_type"],
    "login": _fields(AuthenticationForm),
    "set_language": ["language"],
    "admin:login": _fields(AuthenticationForm),
    "admin:password_change": _fields(PasswordChangeForm),
}
# A route nobody listed above gets every field any form here has.
EVERY_FIELD = list(dict.fromkeys(name for names in FORM_FIELDS.values() for name in names))


def _admin_lookups(model_admin) -> list[str]:
    """The changelist's filter parameters: list_filter and date_hierarchy lookups."""
    if model_admin is None:
        return []
    names = []
    for entry in model_admin.list_filter:
        name = entry[0] if isinstance(entry, tuple) else entry
        if not isinstance(name, str):
            continue
        field = model_admin.model._meta.get_field(name)
        names += [f"{name}__id__exact" if field.is_relation else f"{name}__exact",
                  f"{name}__isnull"]
    if model_admin.date_hierarchy:
        names += [f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day")]
    return names


def names_for(route) -> tuple[list[str], list[str]]:
    """(query parameters, form fields) to fuzz on this route."""
    if route.is_admin:
        model_admin = admin_model_for(route)
        fields = [f.name for f in model_admin.model._meta.concrete_fields] if model_admin else []
        form_names = FORM_FIELDS.get(route.name, []) + fields + ADMIN_FORM_FIELDS
        return ADMIN_PARAMETERS + _admin_lookups(model_admin), form_names
    query_names = FILTER_PARAMETERS + [n for n in VIEW_PARAMETERS if n not in FILTER_PARAMETERS]
    return query_names, FORM_FIELDS.get(route.name, EVERY_FIELD) + ["next"]


def path_values_for(route, world, role) -> list[dict]:
    """Combinations of path values that make sense together for this role."""
    pools = world.path_pools[role]
    if route.params in pools:
        return pools[route.params]
    per_param = []
    for param in route.params:
        if param == "object_id":
            per_param.append(admin_object_ids(admin_model_for(route)))
        else:
            per_param.append(pools.get((route.namespace, param)) or pools.get(param) or ["1"])
    return [dict(zip(route.params, combination, strict=True))
            for combination in itertools.product(*per_param)][:12]


def examples_for(route, role) -> int:
    if not route.is_admin or route.name in ADMIN_PUBLIC:
        return EXAMPLES
    return ADMIN_EXAMPLES if role == "admin" else ADMIN_EXAMPLES_NOT_STAFF


def send(client_box, world, role, request, stats):
    """One request, rolled back afterwards; returns the response."""
    client = client_box[0]
    savepoint = transaction.savepoint()
    try:
        response = request.send(client)
    finally:
        transaction.savepoint_rollback(savepoint)
        # A failed statement inside the request may have marked the test's
        # transaction for rollback; the savepoint has undone it.
        transaction.set_rollback(False)
    stats.requests += 1
    stats.by_role[role] += 1
    stats.statuses[response.status_code] += 1
    if settings.SESSION_COOKIE_NAME in response.cookies:
        # Logged out, logged in or the session rotated: its database row was
        # rolled back, so start again from a fresh login.
        client_box[0] = world.client_for(role)
    return response


# Who sends each page's parameters one hostile value at a time (a role that
# gets past its login and role checks), and with which methods.
SWEEPS = {
    "tickets:list": ("merchant", ["GET"]),
    "tickets:detail": ("merchant", ["GET"]),
    "tickets:evidence": ("merchant", ["GET"]),
    "tickets:reply": ("merchant", ["POST"]),
    "tickets:create": ("agent", ["GET", "POST"]),
    "tickets:approve": ("agent", ["POST"]),
    "tickets:reject": ("agent", ["POST"]),
    "tickets:close": ("agent", ["POST"]),
    "tickets:review": ("agent", ["GET"]),
    "tickets:review_ticket": ("agent", ["GET"]),
    "tickets:review_approve": ("agent", ["POST"]),
    "tickets:review_reject": ("agent", ["POST"]),
    "tickets:review_close": ("agent", ["POST"]),
    "tickets:review_take_over": ("agent", ["POST"]),
    "tickets:review_claim": ("agent", ["POST"]),
    "tickets:batch_reply": ("merchant", ["POST"]),
    "tickets:assign": ("merchant", ["POST"]),
    "tickets:assign_many": ("merchant", ["POST"]),
    "tickets:presence": ("merchant", ["POST"]),
    "tickets:templates": ("merchant", ["GET", "POST"]),
    "tickets:template_delete": ("merchant", ["POST"]),
    "tickets:assignment_rules": ("merchant", ["GET", "POST"]),
    "notifications:list": ("merchant", ["GET"]),
    "notifications:open": ("merchant", ["GET"]),
    "notifications:read": ("merchant", ["POST"]),
    "notifications:read_all": ("merchant", ["POST"]),
    "exports:list": ("merchant", ["GET", "POST"]),
    "exports:row": ("merchant", ["GET"]),
    "exports:download": ("merchant", ["GET"]),
    "login": ("anonymous", ["POST"]),
    "logout": ("merchant", ["POST"]),
    "set_language": ("anonymous", ["POST"]),
    "admin:tickets_ticket_changelist": ("admin", ["GET"]),
    "admin:tickets_ticket_change": ("admin", ["GET"]),
}
# Views that honour a next parameter in their form.
READS_NEXT = {"notifications:read", "notifications:read_all", "login", "logout",
              "set_language"}


def sweep_requests(route, world, role, method):
    """The route's valid request, then each of its parameters replaced by each
    hostile value of its kind, alone: every value meets the code behind every
    other check at least once, which a few random examples cannot promise."""
    valid = world.pools[role]
    path = path_values_for(route, world, role)[0]
    form_names = FORM_FIELDS.get(route.name, []) + (["next"] if route.name in READS_NEXT
                                                      else [])
    form = {name: valid[name][0] for name in form_names if method == "POST"}
    yield FuzzRequest(method, route.path(path), form=dict(form))
    for name in route.params:
        for value in hostile.sweep_values_for(name):
            yield FuzzRequest(method, route.path({**path, name: value}), form=dict(form))
    for name in READS.get(route.name, []):
        for value in hostile.sweep_values_for(name):
            yield FuzzRequest(method, route.path(path), query={name: value}, form=dict(form))
    for name in form:
        for value in hostile.sweep_values_for(name):
            yield FuzzRequest(method, route.path(path), form={**form, name: value})
    if "evidence" in form:
        for junk in hostile.JUNK_FILES:
            yield FuzzRequest(method, route.path(path), form={**form, "evidence": junk})


def got_through(response) -> bool:
    """A success or a redirect anywhere but to a login page."""
    if response.status_code < 300:
        return True
    return response.status_code < 400 and not response["Location"].startswith(
        ("/accounts/login/", "/admin/login/"))


@pytest.mark.parametrize("role", ROLES)
def test_no_url_answers_500(require_postgres, role, world, fuzz_stats, quiet_client_errors):
    started = time.monotonic()
    client_box = [world.client_for(role)]
    failures = []
    reached = set()
    for route in ROUTES:
        owner, methods = SWEEPS.get(route.name, (None, []))
        if owner != role:
            continue
        for method in methods:
            for request in sweep_requests(route, world, role, method):
                try:
                    response = send(client_box, world, role, request, fuzz_stats)
                except Exception as error:  # every failure is reported, then the test fails
                    failures.append(f"--- {route.name} as {role}: {type(error).__name__}: "
                                    f"{str(error)[:300]} for {request!r}")
                    continue
                if response.status_code >= 500:
                    failures.append(f"--- {route.name} as {role}: {response.status_code} "
                                    f"for {request!r}")
                if got_through(response):
                    reached.add(route.name)
    for route in ROUTES:
        query_names, form_names = names_for(route)

        @hypothesis_settings(max_examples=examples_for(route, role), derandomize=True,
                             database=None, deadline=None,
                             phases=[Phase.generate, Phase.shrink],
                             suppress_health_check=list(HealthCheck))
        @given(fuzz_request(route, path_values=path_values_for(route, world, role),
                            query_names=query_names, form_names=form_names,
                            valid=world.pools[role],
                            reads=None if route.is_admin else set(READS.get(route.name, ()))))
        def answers_below_500(request):
            response = send(client_box, world, role, request, fuzz_stats)
            assert response.status_code < 500, f"{response.status_code} for {request!r}"
            if got_through(response):
                reached.add(route.name)

        try:
            answers_below_500()
        except Exception as error:  # every failure is reported, then the test fails
            failures.append(f"--- {route.name} as {role}:\n"
                            + "".join(traceback.format_exception(error))[-4000:])
    fuzz_stats.seconds += time.monotonic() - started
    assert not failures, "\n".join(failures)
    # The valid values are real: the fuzz got past the login and the 404s.
    assert reached >= EXPECTED_REACHABLE[role], EXPECTED_REACHABLE[role] - reached


EXPECTED_REACHABLE = {
    "anonymous": {"login", "healthz"},
    "merchant": {"tickets:list", "tickets:detail", "tickets:evidence", "tickets:reply",
                 "notifications:list", "notifications:open", "notifications:read",
                 "notifications:read_all", "exports:list", "exports:download"},
    "outsider": {"tickets:list", "tickets:detail", "tickets:evidence", "exports:download"},
    "agent": {"tickets:list", "tickets:detail", "tickets:create", "tickets:close",
              "tickets:review"},
    "ops": {"tickets:list", "tickets:detail", "exports:list", "exports:download"},
    "admin": {"admin:index", "admin:tickets_ticket_changelist", "admin:tickets_ticket_change",
              "tickets:list"},
    "nobody": {"tickets:list", "tickets:handling_times", "notifications:list"},
}
