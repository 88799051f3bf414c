"""Old read notifications are pruned by the periodic task; unread ones stay."""

import datetime as dt

import pytest
import time_machine
from django.conf import settings
from django.utils import timezone

from notifications import services, tasks
from notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def aged(merchant, make_ticket):
    """aged(days_old, read) -> a notification created that many days ago."""
    ticket = make_ticket()
    Notification.objects.all().delete()

    def make(days_old: float, *, read: bool):
        created = timezone.now() - dt.timedelta(days=days_old)
        return Notification.objects.create(
            recipient=merchant, kind="new_ticket", ticket=ticket, created_at=created,
            read_at=created + dt.timedelta(hours=1) if read else None)

    return make


def test_the_task_is_registered_under_the_scheduled_name():
    scheduled = settings.CELERY_BEAT_SCHEDULE["prune-read-notifications"]["task"]
    assert tasks.prune_read_notifications.name == scheduled


def test_prune_deletes_old_read_keeps_old_unread_and_recent_read(aged):
    days = settings.NOTIFICATION_RETENTION_DAYS
    old_read = [aged(days + 1, read=True), aged(days + 30, read=True)]
    kept = [aged(days + 30, read=False), aged(days - 1, read=True), aged(1, read=False)]
    assert tasks.prune_read_notifications.delay().get() == len(old_read)
    assert set(Notification.objects.values_list("pk", flat=True)) == {n.pk for n in kept}


def test_prune_works_in_batches_until_done(aged, django_assert_max_num_queries):
    for _ in range(5):
        aged(365, read=True)
    # Three batches of two (select ids + delete each) and the empty last look.
    with django_assert_max_num_queries(3 * 2 + 1):
        assert services.prune_read_notifications(batch_size=2) == 5
    assert not Notification.objects.exists()


def test_retention_follows_the_setting(aged, settings):
    settings.NOTIFICATION_RETENTION_DAYS = 7
    aged(8, read=True)
    assert services.prune_read_notifications() == 1


def test_prune_is_measured_from_now(aged):
    aged(settings.NOTIFICATION_RETENTION_DAYS - 1, read=True)
    assert services.prune_read_notifications() == 0
    with time_machine.travel(timezone.now() + dt.timedelta(days=2)):
        assert services.prune_read_notifications() == 1
