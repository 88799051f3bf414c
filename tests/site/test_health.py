"""/livez: 200, asking nothing. /healthz: 200 when the database and the broker
answer, 503 with the failed check named otherwise, and the reason in the log."""

import logging

import pytest
from django.db import OperationalError, connection

from servicedesk.celery import app

pytestmark = pytest.mark.django_db


def test_healthy_site_answers_200(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": True, "broker": True}


def test_database_down_is_503_and_the_reason_is_logged(client, monkeypatch, caplog):
    def refuse(*args, **kwargs):
        raise OperationalError("connection to server at 127.0.0.1 refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    with caplog.at_level(logging.ERROR, logger="servicedesk.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["database"] is False
    assert response.json()["broker"] is True
    [record] = [r for r in caplog.records if r.name == "servicedesk.health"]
    assert "database" in record.getMessage()
    assert "refused" in str(record.exc_info[1])


def test_broker_down_is_503_and_the_reason_is_logged(client, monkeypatch, caplog):
    # A real kombu connection to a port nothing listens on.
    unreachable = app.connection_for_write(url="redis://127.0.0.1:1/0")
    monkeypatch.setattr(app, "connection_for_write", lambda *a, **kw: unreachable)
    with caplog.at_level(logging.ERROR, logger="servicedesk.health"):
        response = client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {"status": "degraded", "database": True, "broker": False}
    [record] = [r for r in caplog.records if r.name == "servicedesk.health"]
    assert "broker" in record.getMessage()
    assert record.exc_info is not None


def test_livez_answers_without_asking_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200 and response.content == b"ok"
    assert "no-cache" in response["Cache-Control"]
