"""POST /exports/: who may export, the row cap, the cooldown, and a broker that is
down. Requests go through the real view; the task itself is not run here (its
on_commit callback is never executed inside a test transaction) unless a test
says so."""

import datetime as dt

import pytest
from django.test import override_settings
from kombu.exceptions import OperationalError

from exports.models import ExportCooldown, ExportJob, ExportStatus
from exports.tasks import build_export

T0 = dt.datetime(2026, 11, 26, 2, 0, tzinfo=dt.UTC)


@pytest.fixture
def clock(time_machine):
    time_machine.move_to(T0, tick=False)
    return time_machine


# --- who may export ------------------------------------------------------------

@pytest.mark.django_db
def test_agent_gets_403_on_every_export_endpoint(client, agent, merchant, pending_ticket):
    job = ExportJob.objects.create(requester=merchant, language="zh-hans", matched_count=1)
    client.force_login(agent)
    assert client.post("/exports/", {}).status_code == 403
    assert client.get("/exports/").status_code == 403
    assert client.get(f"/exports/{job.pk}/row/").status_code == 403
    assert client.get(f"/exports/{job.pk}/download/").status_code == 403
    assert not ExportJob.objects.filter(requester=agent).exists()


@pytest.mark.django_db
def test_anonymous_is_sent_to_login(client):
    response = client.post("/exports/", {})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_merchant_request_creates_a_queued_job_with_the_filter_as_submitted(
        post_export, merchant, shop_a, make_ticket):
    make_ticket()
    make_ticket()
    response = post_export(merchant, status="pending", order_number="", page="3")
    assert response.status_code == 302 and response["Location"] == "/exports/"
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.QUEUED
    assert job.requester == merchant and job.shop == shop_a
    assert job.filter_params == {"status": "pending"}  # blanks and non-filter keys dropped
    assert job.matched_count == 2 and job.language == "zh-hans"


def test_ops_export_is_across_shops(post_export, ops, make_ticket, shop_b):
    make_ticket()
    make_ticket(shop=shop_b)
    assert post_export(ops).status_code == 302
    job = ExportJob.objects.get()
    assert job.shop is None and job.matched_count == 2


def test_invalid_filter_is_400_with_the_field_error_and_starts_no_cooldown(post_export, merchant):
    response = post_export(merchant, created_after="not-a-date", language="en")
    assert response.status_code == 400
    assert "Enter a date" in response.content.decode()
    assert not ExportJob.objects.exists()
    assert not ExportCooldown.objects.filter(last_accepted_at__isnull=False).exists()


# --- the cap -------------------------------------------------------------------

@override_settings(EXPORT_MAX_ROWS=5)
def test_exactly_the_cap_is_accepted(post_export, merchant, shop_a, bulk_tickets):
    bulk_tickets(5, shop=shop_a)
    assert post_export(merchant).status_code == 302
    assert ExportJob.objects.get().matched_count == 5


@override_settings(EXPORT_MAX_ROWS=5)
def test_one_row_over_the_cap_is_refused_with_count_cap_and_advice(
        post_export, merchant, shop_a, bulk_tickets):
    bulk_tickets(6, shop=shop_a)
    response = post_export(merchant, language="en")
    assert response.status_code == 400
    text = response.content.decode()
    assert "6 tickets match this filter" in text
    assert "at most 5 rows" in text
    assert "Narrow the created-time range" in text
    assert not ExportJob.objects.exists()


def test_cap_at_the_real_default_of_50000(post_export, merchant, outsider, shop_a, bulk_tickets,
                                          settings):
    assert settings.EXPORT_MAX_ROWS == 50_000  # the default, not overridden
    bulk_tickets(50_000, shop=shop_a)
    assert post_export(merchant, language="en").status_code == 302
    assert ExportJob.objects.get().matched_count == 50_000

    bulk_tickets(1, shop=shop_a)
    ExportCooldown.objects.update(last_accepted_at=None)  # only the cap is under test here
    response = post_export(merchant, language="en")
    assert response.status_code == 400
    assert "50,001 tickets match this filter" in response.content.decode()
    assert ExportJob.objects.count() == 1


@override_settings(EXPORT_MAX_ROWS=5)
def test_refusal_over_the_cap_does_not_start_the_cooldown(
        clock, post_export, merchant, shop_a, bulk_tickets):
    bulk_tickets(6, shop=shop_a)
    assert post_export(merchant, status="pending").status_code == 400
    # Narrowed right away (same second): accepted, no cooldown from the refusal.
    assert post_export(merchant, status="closed").status_code == 302


# --- the cooldown --------------------------------------------------------------

def test_second_request_within_the_cooldown_is_429_with_remaining_seconds(
        clock, post_export, merchant, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    clock.shift(dt.timedelta(seconds=15))
    response = post_export(merchant, language="en")
    assert response.status_code == 429
    assert response["Retry-After"] == "45"
    assert "Try again in 45 seconds" in response.content.decode()
    assert ExportJob.objects.count() == 1


def test_remaining_seconds_are_rounded_up(clock, post_export, merchant, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    clock.shift(dt.timedelta(seconds=59, milliseconds=500))
    response = post_export(merchant, language="en")
    assert response.status_code == 429
    assert response["Retry-After"] == "1"
    assert "Try again in 1 second." in response.content.decode()


def test_request_61_seconds_later_is_accepted(clock, post_export, merchant, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    clock.shift(dt.timedelta(seconds=61))
    assert post_export(merchant).status_code == 302
    assert ExportJob.objects.count() == 2


def test_cooldown_is_per_user(clock, post_export, merchant, ops, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    assert post_export(ops).status_code == 302


@override_settings(EXPORT_COOLDOWN_SECONDS=300)
def test_cooldown_length_comes_from_the_setting(clock, post_export, merchant, make_ticket):
    make_ticket()
    assert post_export(merchant).status_code == 302
    clock.shift(dt.timedelta(seconds=61))
    response = post_export(merchant)
    assert response.status_code == 429 and response["Retry-After"] == "239"


# --- broker down ---------------------------------------------------------------

@pytest.fixture
def broker_down(monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(build_export, "apply_async", refuse)


@pytest.mark.django_db(transaction=True)  # on_commit must really run inside the request
def test_broker_down_is_503_job_failed_and_no_cooldown(
        broker_down, post_export, merchant, make_ticket):
    make_ticket()
    response = post_export(merchant, language="en")
    assert response.status_code == 503
    assert "temporarily unavailable" in response.content.decode()
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.FAILED and job.error
    assert not ExportCooldown.objects.filter(last_accepted_at__isnull=False).exists()


@pytest.mark.django_db(transaction=True)
def test_after_the_broker_recovers_the_user_can_export_at_once(
        monkeypatch, post_export, merchant, make_ticket):
    make_ticket()
    sent = []
    monkeypatch.setattr(build_export, "apply_async",
                        lambda *a, **kw: (_ for _ in ()).throw(OperationalError("down")))
    assert post_export(merchant).status_code == 503
    monkeypatch.setattr(build_export, "apply_async", lambda args, **kw: sent.append(args))
    assert post_export(merchant).status_code == 302
    job = ExportJob.objects.get(status=ExportStatus.QUEUED)
    assert sent == [(job.pk,)]
