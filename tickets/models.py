"""The ticket domain: shops, their orders, service types and service tickets.

Nothing outside ``tickets.lifecycle`` writes ``Ticket.status`` (or the fields that
move with it); the database constraints below catch anyone who tries anyway.
"""

import secrets
import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from .evidence import FORMAT_FOR_CONTENT_TYPE
from .querysets import TicketQuerySet


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("Unknown time zone."), code="invalid")


class Shop(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    # The shop's calendar: its scorecard days and periods start at its midnight.
    # After changing it, `manage.py refresh_scorecard --full` re-cuts the days.
    time_zone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai",
                                 validators=[validate_time_zone])

    class Meta:
        verbose_name = _("shop")
        verbose_name_plural = _("shops")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ShopMembership(models.Model):
    """A merchant user belongs to exactly one shop."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="shop_membership"
    )
    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    # A manager assigns the shop's pending tickets to its merchants and sets the
    # automatic assignment; every merchant replies.
    manager = models.BooleanField(_("manager"), default=False)

    class Meta:
        verbose_name = _("shop membership")
        verbose_name_plural = _("shop memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.shop}"


class ServiceType(models.Model):
    """Admin-editable catalogue; the handling-time page is rendered from it."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_zh = models.CharField(_("Chinese name"), max_length=60)
    name_en = models.CharField(_("English name"), max_length=60)
    handling_hours = models.PositiveIntegerField(_("handling time (hours)"))
    evidence_required = models.BooleanField(_("evidence required"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("service type")
        verbose_name_plural = _("service types")
        ordering = ["sort_order", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(handling_hours__gt=0), name="servicetype_handling_hours_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        """The name in the active language (Chinese unless English is active)."""
        return self.name_en if (get_language() or "").startswith("en") else self.name_zh


class RejectReason(models.Model):
    """The catalogue of coded rejection reasons (admin-editable). A reason with
    no service types applies to every type; an inactive one is kept for the
    rejections that used it but cannot be chosen any more."""

    # The code the seeded reasons have and the form for "other" (text required).
    OTHER = "other"

    code = models.SlugField(_("code"), max_length=40, unique=True)
    label_zh = models.CharField(_("Chinese label"), max_length=60)
    label_en = models.CharField(_("English label"), max_length=60)
    service_types = models.ManyToManyField(
        ServiceType, blank=True, related_name="+", verbose_name=_("service types"),
        help_text=_("Empty: applies to every service type."))
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(_("sort order"), default=0)

    class Meta:
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")
        ordering = ["sort_order", "id"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        """The label in the active language (Chinese unless English is active)."""
        return self.label_en if (get_language() or "").startswith("en") else self.label_zh

    @property
    def needs_text(self) -> bool:
        return self.code == self.OTHER


class ShippingStatus(models.TextChoices):
    NOT_SHIPPED = "not_shipped", _("Not shipped")
    SHIPPED = "shipped", _("Shipped")
    DELIVERED = "delivered", _("Delivered")
    RETURNED = "returned", _("Returned")


class Order(models.Model):
    number = models.CharField(_("order number"), max_length=32, unique=True)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="orders")
    product_title = models.CharField(_("product"), max_length=200)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    buyer_nickname = models.CharField(_("buyer nickname"), max_length=64)
    paid_at = models.DateTimeField(_("paid at"))
    shipping_status = models.CharField(
        _("shipping status"),
        max_length=20,
        choices=ShippingStatus.choices,
        default=ShippingStatus.NOT_SHIPPED,
    )
    tracking_number = models.CharField(_("tracking number"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")

    def __str__(self) -> str:
        return self.number

    @property
    def buyer_masked(self) -> str:
        """Merchants see the buyer's nickname masked, as the platform shows it."""
        name = self.buyer_nickname
        if len(name) <= 1:
            return "*"
        if len(name) == 2:
            return name[0] + "*"
        return name[0] + "*" * min(len(name) - 2, 4) + name[-1]


class TicketStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    UNDER_REVIEW = "under_review", _("Under review")
    CLOSED = "closed", _("Closed")


class Resolution(models.TextChoices):
    APPROVED = "approved", _("Approved")
    TIMED_OUT = "timed_out", _("Timed out")
    AGREED = "agreed", _("Agreement reached")


def new_ticket_number(now=None) -> str:
    """A 16-digit number people can read out on the phone: the creation date
    (yymmdd, Shanghai) then 10 random digits, the first never 0 (numbers made by
    ``seed_demo --tickets`` start their random part with 0, so they never clash)."""
    local = timezone.localtime(now or timezone.now())
    random_part = str(secrets.randbelow(9 * 10**9) + 10**9)
    return local.strftime("%y%m%d") + random_part


class Ticket(models.Model):
    number = models.CharField(_("ticket number"), max_length=20)
    shop = models.ForeignKey(Shop, on_delete=models.PROTECT, related_name="tickets")
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets")
    service_type = models.ForeignKey(
        ServiceType, on_delete=models.PROTECT, related_name="tickets"
    )
    status = models.CharField(
        _("status"), max_length=20, choices=TicketStatus.choices, default=TicketStatus.PENDING
    )
    resolution = models.CharField(
        _("resolution"), max_length=20, choices=Resolution.choices, blank=True, default=""
    )
    content = models.TextField(_("content"))
    # Set on entering pending (create, reject); cleared on leaving it.
    deadline = models.DateTimeField(_("handling deadline"), null=True, blank=True)
    # The deadline a "due soon" reminder was sent for: one reminder per pending
    # period, and a reject (new deadline) makes the next one possible again.
    due_soon_sent_for = models.DateTimeField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    first_replied_at = models.DateTimeField(_("first reply at"), null=True, blank=True)
    last_replied_at = models.DateTimeField(_("last reply at"), null=True, blank=True)
    reject_count = models.PositiveIntegerField(_("reject count"), default=0)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    # Moved by every transition (with the status): API clients pull what changed
    # since their last sync by it.
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    # The merchant of the shop who answers this ticket (tickets.assignment is its
    # only writer). Not a status: anyone of the shop may still reply, and an
    # unassigned ticket is everybody's.
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="handled_tickets",
        verbose_name=_("handler"),
    )

    # The agent reviewing the reply now, until ``claim_expires_at`` (tickets.claims
    # is the only writer). Not a status: an expired claim is simply no claim, so
    # nothing has to clean it up.
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("claimed by"),
    )
    claim_expires_at = models.DateTimeField(_("claim expires at"), null=True, blank=True)
    # The reason of the latest rejection, copied by the lifecycle's reject (the
    # export's column reads it without going through the thread).
    last_reject_reason = models.ForeignKey(
        "RejectReason",
        to_field="code",
        db_column="last_reject_reason_code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last rejection reason"),
    )

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("service ticket")
        verbose_name_plural = _("service tickets")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="ticket_number_unique"),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid"
            ),
            # A resolution and a close time exactly when closed.
            models.CheckConstraint(
                condition=(
                    Q(status=TicketStatus.CLOSED,
                      resolution__in=Resolution.values,
                      closed_at__isnull=False)
                    | (~Q(status=TicketStatus.CLOSED) & Q(resolution="", closed_at__isnull=True))
                ),
                name="ticket_resolution_only_when_closed",
            ),
            # A running deadline exactly when pending.
            models.CheckConstraint(
                condition=(
                    Q(status=TicketStatus.PENDING, deadline__isnull=False)
                    | (~Q(status=TicketStatus.PENDING) & Q(deadline__isnull=True))
                ),
                name="ticket_deadline_only_when_pending",
            ),
        ]
        indexes = [
            # Merchant list tabs, newest first (keyset on created_at, id):
            # WHERE shop_id = ? AND status = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["shop", "status", "-created_at", "-id"],
                         name="ticket_shop_status_created"),
            # Merchant "all" tab: WHERE shop_id = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["shop", "-created_at", "-id"], name="ticket_shop_created"),
            # Merchant pending tab, soonest deadline first:
            # WHERE shop_id = ? AND deadline IS NOT NULL ORDER BY deadline, id
            # (carrying the creation time and service type like the next one, for
            # the shop's due-soon count under a date or type filter)
            models.Index(fields=["shop", "deadline", "id"], name="ticket_shop_deadline",
                         condition=Q(deadline__isnull=False),
                         include=["created_at", "service_type"]),
            # Timeout sweep and the platform-wide pending tab:
            # WHERE status = 'pending' AND deadline <= now ORDER BY deadline, id
            # (status leads the columns although the condition fixes it: without
            # statistics SQLite otherwise prefers ticket_status_created and sorts
            # every pending ticket; with it the equality picks this index.)
            # It carries the creation time and service type too (INCLUDE, on
            # PostgreSQL), for the due-soon count across shops under a date or
            # type filter: that count is below the cap, never remembered, and
            # read this way it is a few thousand index entries (5 ms at
            # 1,000,000) where ANDing two bitmaps read the heap as well (43 ms).
            # SQLite has no INCLUDE and builds both without it.
            models.Index(fields=["status", "deadline", "id"], name="ticket_pending_deadline",
                         condition=Q(status=TicketStatus.PENDING),
                         include=["created_at", "service_type"]),
            # Agent/ops tabs across shops and the review queue:
            # WHERE status = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["status", "-created_at", "-id"], name="ticket_status_created"),
            # Agent/ops "all" tab and created_after/created_before across shops.
            models.Index(fields=["-created_at", "-id"], name="ticket_created"),
            # Review queue, oldest reply first:
            # WHERE status = 'under_review' ORDER BY last_replied_at, id
            models.Index(fields=["last_replied_at", "id"], name="ticket_review_queue",
                         condition=Q(status=TicketStatus.UNDER_REVIEW)),
            # Filter by service type within a shop: WHERE shop_id = ? AND service_type_id = ?
            models.Index(fields=["shop", "service_type", "-created_at", "-id"],
                         name="ticket_shop_type_created"),
            # Tab counts and tab pages under a service-type filter (the list counts
            # every status tab for the filter on screen): without status in the
            # index, a count capped at 10,000 reads ten times as many rows.
            # WHERE shop_id = ? AND service_type_id = ? AND status = ?
            #   [ORDER BY created_at DESC, id DESC]
            models.Index(fields=["shop", "service_type", "status", "-created_at", "-id"],
                         name="ticket_shop_type_status"),
            # The same across shops (agents, ops).
            # WHERE service_type_id = ? AND status = ? [ORDER BY created_at DESC, id DESC]
            models.Index(fields=["service_type", "status", "-created_at", "-id"],
                         name="ticket_type_status_created"),
            # Agents/ops "all" tab filtered by service type:
            # WHERE service_type_id = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["service_type", "-created_at", "-id"],
                         name="ticket_type_created"),
            # API incremental sync, oldest change first (keyset on updated_at, id):
            # [WHERE shop_id = ?] AND updated_at >= ? ORDER BY updated_at, id
            models.Index(fields=["shop", "updated_at", "id"], name="ticket_shop_updated"),
            models.Index(fields=["updated_at", "id"], name="ticket_updated"),
            # The "assigned to me" tab, soonest deadline first:
            # WHERE handler_id = ? AND status = 'pending' AND deadline IS NOT NULL
            #   ORDER BY deadline, id
            models.Index(fields=["handler", "deadline", "id"], name="ticket_handler_deadline",
                         condition=Q(deadline__isnull=False, handler__isnull=False)),
            # assigned=me on the other tabs (newest first):
            # WHERE handler_id = ? [AND status = ?] ORDER BY created_at DESC, id DESC
            models.Index(fields=["handler", "status", "-created_at", "-id"],
                         name="ticket_handler_status_created",
                         condition=Q(handler__isnull=False)),
            # The scorecard's live counts: due soon, one range per shop and type,
            # WHERE shop_id IN (...) AND service_type_id IN (...)
            #   AND status = 'pending' AND deadline > ? AND deadline <= ?
            # and, where the database does not keep the open ones counted
            # (SQLite; scorecard.open_counts), open and under review too:
            # WHERE shop_id IN (...) [AND service_type_id = ?]
            #   AND status IN ('pending', 'under_review') GROUP BY shop_id
            # Every column they read is here, so an index-only scan over the open
            # tickets alone (closed ones, most of the table, are outside the
            # condition and cost no index write once closed).
            models.Index(fields=["shop", "service_type", "status", "deadline"],
                         name="ticket_open",
                         condition=Q(status__in=["pending", "under_review"])),
        ]
        # The order_number filter joins Order.number (unique index) and then uses
        # the automatic index on ticket.order_id.

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        from django.urls import reverse

        return reverse("tickets:detail", args=[self.number])

    @property
    def is_pending(self) -> bool:
        return self.status == TicketStatus.PENDING

    def is_overdue(self, now=None) -> bool:
        return self.is_pending and self.deadline <= (now or timezone.now())

    def claim_holder(self, now):
        """Who holds a live claim on the ticket at ``now``, or None."""
        if self.claimed_by_id is None or self.claim_expires_at is None:
            return None
        return self.claimed_by if self.claim_expires_at > now else None


class EventKind(models.TextChoices):
    CREATED = "created", _("Created")
    REPLIED = "replied", _("Replied")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")
    AGREED = "agreed", _("Closed: agreement reached")
    TIMED_OUT = "timed_out", _("Timed out")
    # Not a transition (status stays): a manager gave the ticket a handler, or
    # took it away; ``text`` holds the handler's username, empty for nobody.
    ASSIGNED = "assigned", _("Assigned")
    # Not a transition either: an agent took over another agent's live claim
    # on the reply (tickets.claims); ``text`` holds the previous holder's username.
    TAKEN_OVER = "taken_over", _("Review taken over")


class TicketEvent(models.Model):
    """Append-only audit trail: one row per transition. Stores codes, never
    translated labels; pages translate at display time."""

    # No index of its own on ticket_id: event_thread starts with it, and serves the
    # cascade and the foreign-key checks too; a second one only costs every insert.
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events",
                               db_index=False)
    # Indexed only where set (event_actor): see Meta.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
        db_index=False,
    )  # None: the platform itself (timeout sweep)
    kind = models.CharField(_("kind"), max_length=20, choices=EventKind.choices)
    from_status = models.CharField(
        _("from status"), max_length=20, choices=TicketStatus.choices, blank=True
    )
    to_status = models.CharField(_("to status"), max_length=20, choices=TicketStatus.choices)
    text = models.TextField(_("text"), blank=True)
    # A rejection's coded reason (``text`` is the agent's optional words); the
    # column holds the code itself, as audit rows store codes.
    reason = models.ForeignKey(
        "RejectReason",
        to_field="code",
        db_column="reason_code",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("rejection reason"),
        db_index=False,
    )
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        verbose_name = _("ticket event")
        verbose_name_plural = _("ticket events")
        # The detail page's thread: WHERE ticket_id = ? ORDER BY created_at, id
        indexes = [
            models.Index(fields=["ticket", "created_at", "id"], name="event_thread"),
            # The scorecard's refresh: the days that changed since it last ran, and
            # one day's events by kind: WHERE created_at >= ? [AND created_at < ?]
            models.Index(fields=["created_at", "kind"], name="event_created"),
            # Only for the foreign keys: deleting a user or a reason looks for
            # events that name it (PROTECT), "actor_id = ?", which never matches
            # a null. The platform's events (every timeout: thousands per sweep
            # batch) name neither, so a partial index costs them no insert, where
            # the full ones cost each event three index entries (the reason's
            # code had a second, LIKE-pattern copy nothing queries).
            models.Index(fields=["actor"], name="event_actor",
                         condition=Q(actor__isnull=False)),
            models.Index(fields=["reason"], name="event_reason",
                         condition=Q(reason__isnull=False)),
        ]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.kind}"


def evidence_upload_to(instance: "Evidence", filename: str) -> str:
    """A random name with the extension of the format we stored; nothing of the
    client's file name reaches the storage."""
    return f"evidence/{timezone.now():%Y/%m}/{secrets.token_hex(12)}.{instance.extension}"


def evidence_thumbnail_upload_to(instance: "Evidence", filename: str) -> str:
    return (f"evidence/{timezone.now():%Y/%m}/thumbnails/"
            f"{secrets.token_hex(12)}.{instance.extension}")


class Evidence(models.Model):
    """An image attached to a reply (at most four per reply).

    The file is not what the merchant sent: it was re-encoded by
    ``tickets.evidence`` into ``content_type``; ``sha256`` and ``size`` are
    those of the original upload. A row with an empty ``content_type`` was
    stored before re-encoding existed and is not served until
    ``manage.py normalize_evidence`` has converted it."""

    event = models.ForeignKey(TicketEvent, on_delete=models.CASCADE, related_name="evidence")
    image = models.ImageField(_("image"), upload_to=evidence_upload_to)
    thumbnail = models.ImageField(_("thumbnail"), upload_to=evidence_thumbnail_upload_to,
                                  blank=True)
    original_name = models.CharField(_("file name"), max_length=200, blank=True)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256 of the upload"), max_length=64, blank=True)
    content_type = models.CharField(_("stored type"), max_length=32, blank=True)
    width = models.PositiveIntegerField(_("width"), null=True, blank=True)
    height = models.PositiveIntegerField(_("height"), null=True, blank=True)

    class Meta:
        verbose_name = _("evidence image")
        verbose_name_plural = _("evidence images")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.original_name or self.image.name

    @property
    def extension(self) -> str:
        return FORMAT_FOR_CONTENT_TYPE[self.content_type].extension

    @property
    def is_servable(self) -> bool:
        return bool(self.content_type)


class ReplyTemplate(models.Model):
    """A canned answer (快捷回复). With a shop: that shop's own, managed by its
    merchants; without: a platform default, managed in the admin and offered to
    every shop. Without a service type it fits every ticket. The body may hold
    the placeholders of ``tickets.replies.PLACEHOLDERS``."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="reply_templates", verbose_name=_("shop"),
                             help_text=_("Empty: a platform default offered to every shop."))
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE, null=True,
                                     blank=True, related_name="reply_templates",
                                     verbose_name=_("service type"),
                                     help_text=_("Empty: fits every service type."))
    title = models.CharField(_("title"), max_length=60)
    body = models.TextField(_("text"), max_length=2000)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("reply template")
        verbose_name_plural = _("reply templates")
        ordering = ["title", "id"]
        indexes = [
            # The reply form: WHERE (shop_id = ? OR shop_id IS NULL) [AND service_type ...]
            models.Index(fields=["shop", "service_type"], name="replytemplate_shop_type"),
        ]

    def __str__(self) -> str:
        return self.title


class AutoAssignRule(models.Model):
    """Round-robin assignment of a shop's new tickets of one service type among
    chosen merchants (``tickets.assignment.auto_handler``)."""

    shop = models.ForeignKey(Shop, on_delete=models.CASCADE, related_name="assign_rules")
    service_type = models.ForeignKey(ServiceType, on_delete=models.CASCADE,
                                     related_name="+", verbose_name=_("service type"))
    staff = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="+",
                                   verbose_name=_("handlers"))
    # How many tickets the rule has handed out: the next goes to staff[turns % n].
    turns = models.PositiveIntegerField(default=0, editable=False)

    class Meta:
        verbose_name = _("automatic assignment")
        verbose_name_plural = _("automatic assignments")
        constraints = [
            models.UniqueConstraint(fields=["shop", "service_type"],
                                    name="assignrule_one_per_shop_type"),
        ]

    def __str__(self) -> str:
        return f"{self.shop} / {self.service_type}"
