"""Daily rollups of each shop's service, the scorecard's only source of figures.

``scorecard.refresh`` is the only writer. A row holds one shop's tickets of one
service type on one day of the shop's calendar (its ``time_zone``). Durations
are kept whole (sorted lists of whole seconds, truncated), so any period's
median and 90th percentile are computed exactly from the days it spans.
"""

import uuid

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tickets.models import ServiceType, Shop


class ShopDay(models.Model):
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, related_name="+")
    day = models.DateField(_("day"))
    received = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    approved = models.PositiveIntegerField(default=0)
    agreed = models.PositiveIntegerField(default=0)
    timed_out = models.PositiveIntegerField(default=0)
    replies = models.PositiveIntegerField(default=0)
    rejections = models.PositiveIntegerField(default=0)
    # For each ticket first replied that day: first_replied_at - created_at.
    first_reply_seconds = models.JSONField(default=list)
    # For each approve / reject that day: the time since the reply it decided.
    review_wait_seconds = models.JSONField(default=list)

    class Meta:
        verbose_name = _("scorecard day")
        verbose_name_plural = _("scorecard days")
        constraints = [
            models.UniqueConstraint(fields=["shop", "service_type", "day"],
                                    name="shopday_one_per_shop_type_day"),
        ]
        indexes = [
            # A shop's period and the ranking's, summed:
            # SELECT shop_id, SUM(received), ... WHERE day >= ? [AND shop_id = ?]
            # With the counters in it an index-only scan: the ranking's 90 days
            # are 16,000 rows, and their heap pages (which hold the durations'
            # lists too) were most of its time.
            models.Index(fields=["day", "shop", "service_type", "received", "closed", "approved",
                                 "agreed", "timed_out", "replies", "rejections"],
                         name="shopday_day_shop_counters"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.service_type_id}/{self.day}"


class RefreshState(models.Model):
    """One row: how far the rollups are up to date."""

    # Events stamped at or after this may not have been counted yet: the next
    # refresh rebuilds their days.
    covered_until = models.DateTimeField(null=True)
    # When the last refresh read the tickets: the figures are "as of" this.
    refreshed_at = models.DateTimeField(default=timezone.now)
    # New with every refresh (any refresh may rewrite rows): what is derived
    # from the rollups is cached under it (scorecard.durations).
    version = models.UUIDField(default=uuid.uuid4)

    class Meta:
        verbose_name = _("scorecard refresh")

    def __str__(self) -> str:
        return f"as of {self.refreshed_at.isoformat()}"


class WeeklySummary(models.Model):
    """A shop's week whose summary its merchants were sent (``scorecard.weekly``):
    the unique row makes sending it once per shop and week a fact of the
    database, however many workers run the task at once."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="+")
    # The week's Monday in the shop's calendar.
    week = models.DateField(_("week"))
    sent_at = models.DateTimeField(_("sent at"), default=timezone.now)

    class Meta:
        verbose_name = _("weekly scorecard summary")
        verbose_name_plural = _("weekly scorecard summaries")
        constraints = [
            models.UniqueConstraint(fields=["shop", "week"], name="weeklysummary_once_per_week"),
        ]

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.week}"


class OpenTicketChange(models.Model):
    """A change to the number of a shop's open tickets of one service type and
    status: their sum per (shop, service type, status) is the number open right
    now, which the scorecard shows without counting tickets (a large shop has
    tens of thousands open).

    Written by the database itself, on PostgreSQL: statement triggers on the
    ticket table (migration 0004) add a row per group of tickets a statement
    inserted, moved in or out of an open status, or deleted, whoever wrote
    them (the lifecycle, the sweep's batches, bulk loads), in the writer's own
    transaction; a reader sees exactly the tickets its snapshot sees. Rows are
    only ever added, so concurrent writers never wait on one another;
    ``scorecard.open_counts.compact`` folds them into one row per group from
    time to time. No foreign keys: a deleted ticket's row must be insertable
    while its shop is being deleted, and it cancels that shop's sum to zero."""

    shop = models.ForeignKey(Shop, on_delete=models.DO_NOTHING, db_constraint=False,
                             related_name="+")
    service_type = models.ForeignKey(ServiceType, on_delete=models.DO_NOTHING,
                                     db_constraint=False, related_name="+")
    status = models.CharField(max_length=20)
    change = models.IntegerField()

    class Meta:
        verbose_name = _("open ticket count change")
        verbose_name_plural = _("open ticket count changes")

    def __str__(self) -> str:
        return f"{self.shop_id}/{self.service_type_id}/{self.status}: {self.change:+d}"
