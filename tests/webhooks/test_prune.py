"""Retention of the delivery log, and rows whose endpoint is gone.

Pruning finds old rows through each endpoint's log index (there is no index on
created_at alone). ``Delivery.endpoint`` has no constraint in the database, so
an endpoint deleted while a transaction was writing deliveries for it can leave
rows behind: the retry pass must not hand them out (nobody can send them) and
pruning must delete them."""

from datetime import timedelta

import pytest
from django.utils import timezone

from webhooks import delivery, tasks
from webhooks.models import Delivery, DeliveryStatus, Endpoint

pytestmark = pytest.mark.django_db


def _rows(endpoint, ticket, count, *, days_old, status=DeliveryStatus.DELIVERED):
    at = timezone.now() - timedelta(days=days_old)
    rows = Delivery.objects.bulk_create(
        Delivery(endpoint=endpoint, ticket=ticket, event_id=f"{i:032x}",
                 type="ticket.created", status=status, created_at=at,
                 next_attempt_at=at if status == DeliveryStatus.PENDING else None)
        for i in range(count))
    return {row.pk for row in rows}


def test_pruning_deletes_every_endpoints_old_finished_rows_in_batches_and_keeps_the_rest(
        endpoint_for, merchant, ops, pending_ticket, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 14
    mine, platform = endpoint_for(merchant), endpoint_for(ops)
    Delivery.objects.all().delete()
    old = (_rows(mine, pending_ticket, 5, days_old=15)
           | _rows(platform, pending_ticket, 3, days_old=30)
           | _rows(platform, pending_ticket, 2, days_old=15, status=DeliveryStatus.FAILED))
    kept = (_rows(mine, pending_ticket, 2, days_old=13)
            | _rows(platform, pending_ticket, 2, days_old=1)
            # Still being retried: kept whatever its age.
            | _rows(mine, pending_ticket, 1, days_old=15, status=DeliveryStatus.PENDING))
    assert delivery.prune(batch_size=2) == len(old)
    assert set(Delivery.objects.values_list("pk", flat=True)) == kept
    assert delivery.prune() == 0


def test_rows_whose_endpoint_is_gone_are_not_handed_out_and_are_pruned(
        endpoint_for, merchant, ops, pending_ticket):
    mine, platform = endpoint_for(merchant), endpoint_for(ops)
    Delivery.objects.all().delete()
    orphans = _rows(mine, pending_ticket, 3, days_old=0, status=DeliveryStatus.PENDING)
    due = _rows(platform, pending_ticket, 2, days_old=0, status=DeliveryStatus.PENDING)
    # Gone without the ORM's cascade, as when the endpoint's deletion ran
    # alongside the transaction that wrote these rows.
    Endpoint.objects.filter(pk=mine.pk)._raw_delete("default")
    assert set(Delivery.objects.values_list("pk", flat=True)) == orphans | due
    now = timezone.now()
    assert set(delivery.due_ids(now=now, limit=10)) == due
    assert delivery.prune(now=now) == len(orphans)
    assert set(Delivery.objects.values_list("pk", flat=True)) == due
    assert set(delivery.due_ids(now=now, limit=10)) == due


def test_prune_task_runs_the_pruning(endpoint_for, merchant, pending_ticket, settings):
    settings.WEBHOOK_LOG_RETENTION_DAYS = 14
    mine = endpoint_for(merchant)
    Delivery.objects.all().delete()
    old = _rows(mine, pending_ticket, 2, days_old=20)
    assert tasks.prune_deliveries() == len(old)
    assert not Delivery.objects.exists()
