"""Celery adapters for notifications: periodic work is "do it, return how much"."""

from celery import shared_task

from . import services


@shared_task(name="notifications.tasks.prune_read_notifications")
def prune_read_notifications() -> int:
    return services.prune_read_notifications()
