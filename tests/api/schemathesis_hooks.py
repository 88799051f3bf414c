"""schemathesis hooks (loaded by the CLI through SCHEMATHESIS_HOOKS, see
test_schemathesis.py): path parameters are mostly real objects of the
caller's scope, so the write operations on existing tickets reach the
lifecycle (2xx, 403, 409, 400) instead of stopping at 404; and every call is
logged for the per-operation counts."""

import json
import os

import schemathesis
from hypothesis import strategies as st

REAL = json.loads(os.environ.get("SD_SCHEMATHESIS_REAL", "{}"))
LOG = os.environ.get("SD_SCHEMATHESIS_LOG")


@schemathesis.hook
def flatmap_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict):  # an operation without any
        return st.just(path_parameters)
    path = context.operation.path if context.operation else ""
    if "evidence_id" in path_parameters and REAL.get("evidence"):
        # A real (ticket, evidence) pair most of the time, the generated one else.
        pairs = [tuple(pair) for pair in REAL["evidence"]]
        pairs.append((path_parameters.get("number"), path_parameters["evidence_id"]))
        return st.sampled_from(pairs).map(
            lambda pair: {**path_parameters, "number": pair[0], "evidence_id": pair[1]})
    if "number" in path_parameters and REAL.get("number"):
        return st.sampled_from([*REAL["number"], path_parameters["number"]]).map(
            lambda number: {**path_parameters, "number": number})
    if "pk" in path_parameters:
        kind = "notification" if path.startswith("/api/v1/notifications/") else "export"
        if REAL.get(kind):
            return st.sampled_from([*REAL[kind], path_parameters["pk"]]).map(
                lambda pk: {**path_parameters, "pk": pk})
    return st.just(path_parameters)


@schemathesis.hook
def after_call(context, case, response):
    if LOG:
        with open(LOG, "a") as log:
            # The coverage phase also sends methods the operation does not
            # have (expecting 405): marked by the operation's own method.
            log.write(json.dumps([case.method.upper(), case.operation.method.upper(),
                                  case.operation.path, response.status_code]) + "\n")
