"""GET /api/v1/scorecard/: exactly the scorecard's fields, for the shops the
caller may read (a merchant only their own: another shop is 404), the ranking
for agents and ops, and 400 problem+json for bad parameters."""

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from scorecard.refresh import refresh
from tests.api.conftest import problem
from tickets import lifecycle
from tickets.sweep import sweep_deadlines

FIELDS = {"shop", "shop_name", "time_zone", "days", "service_type", "period_start", "as_of",
          "received", "closed", "approved", "agreed", "timed_out", "on_time_rate", "replies",
          "rejections", "reject_rate", "first_reply_median_seconds", "first_reply_p90_seconds",
          "review_wait_median_seconds", "open_pending", "open_under_review", "due_soon"}


@pytest.fixture
def history(make_ticket, merchant, agent, shop_a, shop_b):
    """Shop A: one ticket approved after a 90.7 s reply, one timed out, one
    pending; shop B: one ticket timed out."""
    start = timezone.now() - dt.timedelta(days=3)
    with time_machine.travel(start, tick=False):
        approved = make_ticket()
        late = make_ticket()
        other = make_ticket(shop=shop_b)
    with time_machine.travel(start + dt.timedelta(seconds=90, microseconds=700_000),
                             tick=False):
        lifecycle.reply(approved, actor=merchant, body="已发货")
    with time_machine.travel(start + dt.timedelta(minutes=10), tick=False):
        lifecycle.approve(approved, actor=agent)
    with time_machine.travel(start + dt.timedelta(days=2), tick=False):
        sweep_deadlines()
    make_ticket()
    refresh()
    return {"late": late, "other": other}


def test_merchant_gets_their_shop_with_every_field(merchant_api, history, shop_a):
    body = merchant_api.get("/api/v1/scorecard/", {"days": 7}).json()
    assert set(body) == FIELDS | {"daily"}
    assert body["shop"] == shop_a.id and body["days"] == 7
    assert (body["received"], body["closed"], body["approved"], body["timed_out"]) == (3, 2, 1, 1)
    assert body["on_time_rate"] == 0.5
    assert body["first_reply_median_seconds"] == 90  # whole seconds, truncated
    assert body["review_wait_median_seconds"] == 509
    assert body["open_pending"] == 1
    assert len(body["daily"]) == 7 and sum(day["received"] for day in body["daily"]) == 3
    assert body["as_of"] is not None


def test_merchant_asking_for_another_shop_gets_404(merchant_api, history, shop_a, shop_b):
    assert merchant_api.get("/api/v1/scorecard/", {"shop": shop_a.id}).status_code == 200
    problem(merchant_api.get("/api/v1/scorecard/", {"shop": shop_b.id}), 404, "not_found")
    problem(merchant_api.get("/api/v1/scorecard/", {"shop": 999999}), 404, "not_found")


@pytest.mark.parametrize("client", ["agent_api", "ops_api"])
def test_agents_and_ops_get_the_ranking_worst_first(request, client, history, shop_a, shop_b):
    rows = request.getfixturevalue(client).get("/api/v1/scorecard/", {"days": 30}).json()
    assert [row["shop"] for row in rows] == [shop_b.id, shop_a.id]
    assert [row["on_time_rate"] for row in rows] == [0.0, 0.5]
    assert set(rows[0]) == FIELDS
    one = request.getfixturevalue(client).get("/api/v1/scorecard/", {"shop": shop_b.id}).json()
    assert one["shop"] == shop_b.id and one["timed_out"] == 1


def test_service_type_narrows_the_figures(agent_api, history, shop_a, service_type):
    body = agent_api.get("/api/v1/scorecard/", {"shop": shop_a.id,
                                                "service_type": service_type.code}).json()
    assert body["service_type"] == service_type.code and body["received"] == 3
    from tests.factories import ServiceTypeFactory

    other = ServiceTypeFactory(code="invoice")
    body = agent_api.get("/api/v1/scorecard/", {"shop": shop_a.id,
                                                "service_type": other.code}).json()
    assert body["received"] == 0 and body["on_time_rate"] is None


@pytest.mark.parametrize("params,field", [
    ({"days": "14"}, "days"),
    ({"days": "seven"}, "days"),
    ({"shop": "abc"}, "shop"),
    ({"shop": "-1"}, "shop"),
    ({"shop": "99999999999999999999"}, "shop"),
    ({"service_type": "no-such-type"}, "service_type"),
])
def test_bad_parameters_are_400(agent_api, merchant_api, params, field):
    for client in (agent_api, merchant_api):
        body = problem(client.get("/api/v1/scorecard/", params), 400, "validation_error")
        assert field in body["errors"]


def test_the_schema_documents_the_endpoint_and_its_precision(agent_api):
    schema = agent_api.get("/api/v1/schema/", {"format": "json"}).json()
    operation = schema["paths"]["/api/v1/scorecard/"]["get"]
    assert {p["name"] for p in operation["parameters"]} >= {"shop", "days", "service_type"}
    properties = schema["components"]["schemas"]["Scorecard"]["properties"]
    assert set(properties) >= FIELDS
    assert "Whole seconds" in properties["first_reply_median_seconds"]["description"]
