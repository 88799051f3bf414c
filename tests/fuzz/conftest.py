"""The world the fuzz test attacks: two shops with tickets in every state,
evidence, notifications and export jobs, the standard cast plus a superuser
and a user without a role, and for each role the values that make sense to it
(a ticket it can see and one it cannot, its own notification and someone
else's, ...). Also the session-wide request counter the run reports."""

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field

import pytest
import time_machine
from django.apps import apps
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from exports.models import ExportJob, ExportStatus
from notifications.models import Notification
from tests.factories import OrderFactory, ServiceTypeFactory, UserFactory
from tickets import lifecycle
from tickets.models import Evidence, ReplyTemplate, ShopMembership, Ticket, TicketStatus
from tickets.pagination import Cursor
from webhooks.endpoints import create_endpoint
from webhooks.models import Delivery

from . import hostile

# Every run sees the same clock, so the same requests meet the same deadlines.
FROZEN_AT = dt.datetime(2026, 11, 26, 2, 30, tzinfo=dt.UTC)
PASSWORD = "pw-test-123"
ROLES = ["anonymous", "merchant", "outsider", "agent", "ops", "admin", "nobody"]


@dataclass
class FuzzStats:
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    by_role: Counter = field(default_factory=Counter)
    seconds: float = 0.0  # spent in the fuzz tests, data set-up excluded


_stats = FuzzStats()


@pytest.fixture
def fuzz_stats():
    return _stats


def pytest_terminal_summary(terminalreporter):
    if not _stats.requests:
        return
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(_stats.statuses.items()))
    roles = ", ".join(f"{role} {n}" for role, n in _stats.by_role.items())
    terminalreporter.write_sep("-", "never a 500")
    terminalreporter.write_line(
        f"fuzz: {_stats.requests} requests in {_stats.seconds:.1f} s ({roles}); "
        f"statuses {statuses}")


@pytest.fixture
def quiet_client_errors():
    """Thousands of 4xx are the point here; only errors (a 500 is one) get logged."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.ERROR)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@dataclass
class World:
    users: dict
    pools: dict  # role -> {name: [valid values]}
    # role -> {param or (namespace, param): [values]}, {(params...): [combinations]}
    path_pools: dict

    def client_for(self, role: str) -> Client:
        client = Client()
        if self.users.get(role) is not None:
            client.force_login(self.users[role])
        return client


def _done_job(user, shop=None, status=ExportStatus.DONE) -> ExportJob:
    job = ExportJob.objects.create(requester=user, shop=shop, language="zh-hans",
                                   matched_count=3, rows_written=3, status=status)
    if status == ExportStatus.DONE:
        job.file.save("服务单导出_A店_20261126-100000.xlsx", ContentFile(b"PK-xlsx"), save=True)
    return job


def _ids(queryset) -> list[str]:
    return [str(pk) for pk in queryset.order_by("pk").values_list("pk", flat=True)[:4]]


@pytest.fixture
def world(db, shop_a, shop_b, merchant, outsider, agent, ops, service_type, evidence_type):
    # The requests too run at this moment: the tickets' deadlines are ahead of them.
    with time_machine.travel(FROZEN_AT, tick=False):
        yield _build_world(shop_a, shop_b, merchant, outsider, agent, ops, service_type,
                           evidence_type)


def _build_world(shop_a, shop_b, merchant, outsider, agent, ops, service_type,
                 evidence_type) -> "World":
    superuser = UserFactory(username="root", is_staff=True, is_superuser=True)
    nobody = UserFactory(username="nobody")
    # The merchant manages shop A: the assignment pages get past their role check.
    ShopMembership.objects.filter(user=merchant).update(manager=True)
    template = ReplyTemplate.objects.create(shop=shop_a, title="已发货", body="{order_number}")
    foreign_template = ReplyTemplate.objects.create(shop=shop_b, title="别人的", body="x")
    users = {"anonymous": None, "merchant": merchant, "outsider": outsider, "agent": agent,
             "ops": ops, "admin": superuser, "nobody": nobody}

    # Webhook endpoints before the tickets, so their logs have rows (never sent:
    # the test's transaction never commits).
    hooks = {role: create_endpoint(users[role], url="http://127.0.0.1:9/hook",
                                   events=["ticket.created", "ticket.replied"])
             for role in ("merchant", "outsider", "agent")}

    def ticket(shop, stype=service_type):
        return lifecycle.create_ticket(actor=agent, order=OrderFactory(shop=shop),
                                       service_type=stype, content="买家询问什么时候发货")

    def png():
        return SimpleUploadedFile(*hostile.GOOD_FILE)

    pending_a = ticket(shop_a)
    review_a = lifecycle.reply(ticket(shop_a, evidence_type), actor=merchant,
                               body="今天下午发出", evidence=[png()])
    closed_a = lifecycle.approve(lifecycle.reply(ticket(shop_a), actor=merchant, body="已发"),
                                 actor=agent)
    rejected_a = lifecycle.reject(lifecycle.reply(ticket(shop_a), actor=merchant, body="好"),
                                  actor=agent, reason_code="other", reason="物流单号无效")
    pending_b = ticket(shop_b)
    review_b = lifecycle.reply(ticket(shop_b, evidence_type), actor=outsider,
                               body="已补发", evidence=[png()])
    spare_order_a = OrderFactory(shop=shop_a)

    jobs = {
        "merchant": [_done_job(merchant, shop_a), _done_job(merchant, shop_a, "queued"),
                     _done_job(merchant, shop_a, "failed"),
                     _done_job(merchant, shop_a, "expired")],
        "outsider": [_done_job(outsider, shop_b)],
        "ops": [_done_job(ops)],
    }
    ServiceTypeFactory(code="retired", name_zh="停用", name_en="Retired", is_active=False)

    tickets_a = [pending_a, review_a, closed_a, rejected_a]
    tickets_b = [pending_b, review_b]
    evidence = {t.pk: _ids(Evidence.objects.filter(event__ticket=t))
                for t in tickets_a + tickets_b}
    cursor = Cursor.of(pending_a, "created_at").encode()
    deadline_cursor = Cursor(pending_a.deadline, pending_a.pk).encode()

    pools, path_pools = {}, {}
    for role, user in users.items():
        own, other = (tickets_b, tickets_a) if role == "outsider" else (tickets_a, tickets_b)
        numbers = [t.number for t in own] + [other[0].number]
        own_notes = _ids(Notification.objects.filter(recipient=user)) if user else []
        other_notes = _ids(Notification.objects.exclude(recipient=user)) if user else \
            _ids(Notification.objects.all())
        own_jobs = [str(j.pk) for j in jobs.get(role, [])]
        other_jobs = [str(j.pk) for name, js in jobs.items() if name != role for j in js][:2]
        pools[role] = {
            "status": [*TicketStatus.values, "all", "due_soon"],
            "assigned": ["me"],
            "shop": [str(shop_a.pk), str(shop_b.pk)],
            "numbers": [numbers[:2], numbers[-1:]],
            "handler": [merchant.username, ""],
            "title": ["已发货"],
            "order_number": [own[0].order.number, other[0].order.number, spare_order_a.number],
            "number": numbers,
            "service_type": ["shipping_urge", "return_refund", "retired"],
            "created_after": ["2026-11-01", "2026-11-26T08:30"],
            "created_before": ["2026-11-30", "2026-11-26T08:30"],
            "resolution": ["approved", "timed_out", "agreed"],
            "closed_after": ["2026-11-01", "2026-11-26T08:30+08:00"],
            "closed_before": ["2026-11-30", "2026-11-26T23:59:59.999999+08:00"],
            "first_replied_after": ["2026-11-01"],
            "replied_after": ["2026-11-01", "2026-11-26T08:30"],
            "rejected_after": ["2026-11-01"],
            "decided_after": ["2026-11-01T00:00:00+08:00"],
            "after": [cursor, deadline_cursor],
            "before": [cursor, deadline_cursor],
            "page": ["1", "2"],
            "days": ["7", "30", "90"],
            "sort": ["on_time_rate", "-received", "shop"],
            "next": ["/tickets/", "/notifications/?page=2"],
            "up_to": own_notes[-1:] + other_notes[:1],
            "body": ["今天下午发出，单号稍后更新"],
            "content": ["买家询问什么时候发货"],
            "reason": ["物流单号无效"],
            "reason_code": ["invalid_tracking", "other"],
            "rejected_before": ["true", "false"],
            "note": ["协商一致"],
            "evidence": [hostile.GOOD_FILE, [hostile.GOOD_FILE, hostile.GOOD_FILE]],
            "username": [user.username if user else "merchant_a"],
            "password": [PASSWORD],
            "old_password": [PASSWORD],
            "new_password1": ["a-New-pass-2026"],
            "new_password2": ["a-New-pass-2026"],
            "language": ["en", "zh-hans"],
            "q": [pending_a.number, "店"],
            "o": ["1", "-2.1"],
            "p": ["0", "1"],
            "term": ["merchant"],
            "app_label": ["tickets"],
            "model_name": ["shopmembership"],
            "field_name": ["user"],
            "action": ["delete_selected"],
            "_selected_action": _ids(Ticket.objects.all()),
            "url": ["http://127.0.0.1:9/hook"],
            "events": [["ticket.created"], "ticket.replied"],
            "description": ["ERP"],
        }
        path_pools[role] = {
            "number": numbers,
            # A ticket with its own evidence, another shop's, and a mismatch.
            ("number", "evidence_id"): [
                {"number": own[1].number, "evidence_id": evidence[own[1].pk][0]},
                {"number": other[1].number, "evidence_id": evidence[other[1].pk][0]},
                {"number": own[1].number, "evidence_id": evidence[other[1].pk][0]},
            ],
            ("notifications", "pk"): own_notes[:2] + other_notes[:1],
            ("exports", "pk"): own_jobs + other_jobs,
            "template_id": [str(template.pk), str(foreign_template.pk)],
            "shop_id": [str(shop_a.pk), str(shop_b.pk)],
            ("shop_id", "name"): [{"shop_id": str(shop_a.pk), "name": "volume"},
                                  {"shop_id": str(shop_b.pk), "name": "on_time"}],
            "id": [str(u.pk) for u in users.values() if u][:3],
            "content_type_id": [str(ContentType.objects.get_for_model(Ticket).pk)],
            "app_label": ["tickets", "auth", "notifications", "exports"],
            "url": ["", "tickets/", "nope/"],
            ("webhooks", "pk"): [str(h.pk) for name, h in hooks.items() if name == role]
            + [str(hooks["outsider" if role == "merchant" else "merchant"].pk)],
            "delivery_id": _ids(Delivery.objects.filter(endpoint__in=hooks.values()))[:3],
        }
    return World(users=users, pools=pools, path_pools=path_pools)


def admin_model_for(route):
    """The ModelAdmin behind an admin route like admin/tickets/ticket/..., or None."""
    segments = route.segments()
    if len(segments) < 3 or segments[0] != "admin":
        return None
    try:
        model = apps.get_model(segments[1], segments[2])
    except (LookupError, ValueError):
        return None
    return admin.site._registry.get(model)


def admin_object_ids(model_admin) -> list[str]:
    # A model with no rows yet (django-axes' access attempts in a fresh database)
    # still has its object pages fuzzed, with an id that matches nothing.
    return (_ids(model_admin.model.objects.all()) if model_admin else []) or ["1"]

