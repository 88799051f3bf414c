"""schemathesis (CLI, in a subprocess) against a live server on the test
database, every operation, as a merchant token, an agent token and a
read-only token: no 5xx, and every response matches the schema (status code,
content type, body). The path parameters are mostly real tickets, evidence,
exports and notifications of the caller's scope (``schemathesis_hooks``), so
the writes on existing tickets get real answers. Bounded: a few examples per
operation and phase."""

import collections
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from exports.models import ExportJob
from notifications.models import Notification
from tests.evidence.images import png_of
from tests.factories import OrderFactory
from tickets import lifecycle
from tickets.models import Evidence, Ticket

ST = Path(sys.executable).with_name("st")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHECKS = ("not_a_server_error,response_schema_conformance,status_code_conformance,"
          "content_type_conformance")


HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
WRITES = ("reply", "approve", "reject", "close")


def _real_objects(user) -> dict:
    """What the hooks put into path parameters: the user's own objects."""
    scope = Ticket.objects.visible_to(user)
    return {
        "number": list(scope.values_list("number", flat=True)),
        "evidence": [[e.event.ticket.number, e.pk] for e in
                     Evidence.objects.filter(event__ticket__in=scope).select_related(
                         "event__ticket")],
        "notification": list(Notification.objects.filter(recipient=user)
                             .values_list("pk", flat=True)),
        "export": list(ExportJob.objects.filter(requester=user).values_list("pk", flat=True)),
    }


def _run(base: str, token: str, phases: str, examples: int, cwd, user) -> list:
    """The calls schemathesis made: [method, the operation's method, path
    template, status], in order."""
    log = Path(cwd) / "calls.jsonl"
    log.unlink(missing_ok=True)
    env = {**os.environ, "SCHEMATHESIS_HOOKS": str(HOOKS), "SD_SCHEMATHESIS_LOG": str(log),
           "SD_SCHEMATHESIS_REAL": json.dumps(_real_objects(user))}
    # In a temporary folder: schemathesis keeps a cache of examples where it runs.
    result = subprocess.run(
        [str(ST), "run", f"{base}/api/v1/schema/?format=json", "--url", base,
         "-H", f"Authorization: Bearer {token}", "--checks", CHECKS,
         "-n", str(examples), "--seed", "1", "--phases", phases, "--no-color",
         "--request-timeout", "20"],
        capture_output=True, text=True, timeout=300, cwd=cwd, env=env)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-6000:]
    generated = re.search(r"(\d+) generated", output)
    assert generated, output[-3000:]
    calls = [json.loads(line) for line in log.read_text().splitlines()]
    assert len(calls) >= int(generated.group(1)) // 2, (len(calls), generated.group(0))
    return calls


def _kind(method: str, documented: str, path: str) -> str:
    """An operation's short name: "GET tickets/{number}", "POST approve"..."""
    if method != documented:
        return "undocumented methods (405)"
    tail = path.removeprefix("/api/v1/").strip("/")
    last = tail.rsplit("/", 1)[-1]
    return f"{method} {last if method == 'POST' and last in WRITES else tail}"


def _statuses(calls, kind) -> collections.Counter:
    return collections.Counter(call[-1] for call in calls if _kind(*call[:3]) == kind)


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_server_error_and_no_schema_mismatch(
        require_postgres, live_server, settings, merchant, agent, shop_a, service_type,
        token_for, tmp_path):
    settings.API_RATE_LIMIT = "1000000/min"
    # Celery runs inline here, so a transition sends its webhook deliveries inside
    # the request: an endpoint schemathesis registers at an address that never
    # answers must not hold the request up to its timeout.
    settings.WEBHOOK_TIMEOUT_SECONDS = 0.5
    made = [lifecycle.create_ticket(actor=agent, order=OrderFactory(shop=shop_a),
                                    service_type=service_type, content="催发货")
            for _ in range(6)]
    for ticket in made[:3]:
        lifecycle.reply(ticket, actor=merchant, body="已处理", evidence=[
            SimpleUploadedFile("a.png", png_of((12, 8)), content_type="image/png")])
    lifecycle.reject(made[2], actor=agent, reason_code="other", reason="请补充单号")
    calls = {
        "merchant": _run(live_server.url, token_for(merchant), "coverage,fuzzing", 5,
                         tmp_path, merchant),
        "agent": _run(live_server.url, token_for(agent), "fuzzing", 10, tmp_path, agent),
        "read-only": _run(live_server.url, token_for(merchant, read_only=True), "fuzzing", 10,
                          tmp_path, merchant),
    }
    per_kind = {who: dict(sorted(collections.Counter(
        _kind(*call[:3]) for call in made_calls).items()))
        for who, made_calls in calls.items()}
    summary = (f"schemathesis requests: {({who: len(c) for who, c in calls.items()})}, "
               f"total {sum(len(c) for c in calls.values())}\n"
               + "".join(f"{who}: {kinds}\n" for who, kinds in per_kind.items())
               + "".join(f"{who}, statuses of the writes on tickets: "
                         f"{ {w: dict(_statuses(c, f'POST {w}')) for w in WRITES} }\n"
                         for who, c in calls.items()))
    print(summary)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis.txt").write_text(summary)
    assert all(len(made_calls) > 14 for made_calls in calls.values()), summary

    # The writes on existing tickets reached the lifecycle, not only 404.
    def reached(who, kind):
        return {s for s in _statuses(calls[who], kind) if s != 404}

    assert reached("merchant", "POST reply") & {200, 400, 409}, _statuses(
        calls["merchant"], "POST reply")
    # A merchant may never approve, an agent never reply: 403 on real tickets.
    assert 403 in reached("merchant", "POST approve") and 200 not in reached(
        "merchant", "POST approve")
    for kind in ("POST approve", "POST reject", "POST close"):
        assert reached("agent", kind) & {200, 400, 409}, (kind, _statuses(calls["agent"], kind))
    assert 403 in reached("agent", "POST reply") and 200 not in reached("agent", "POST reply")
    for kind in ("POST reply", "POST approve", "POST reject", "POST close"):
        assert reached("read-only", kind) == {403}, (kind, _statuses(calls["read-only"], kind))
    assert 200 in _statuses(calls["agent"], "GET tickets/{number}/evidence/{evidence_id}")
    assert 200 in _statuses(calls["merchant"], "GET tickets/{number}")
