"""In-site notifications: one row per recipient and transition (or reminder).

A row stores what happened as codes and parameters (kind, the ticket, e.g. the
rejection reason), never a sentence: ``notifications.messages`` writes the text when
it is shown, in the reader's language, so switching language translates old
notifications too.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# The kinds are decided by the ticket lifecycle's transition table.
from tickets.transitions import NotificationKind

__all__ = ["Notification", "NotificationKind", "NotificationQuerySet"]


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user) -> "NotificationQuerySet":
        """A person only ever sees and touches their own notifications."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(recipient_id=user.pk)

    def unread(self) -> "NotificationQuerySet":
        return self.filter(read_at__isnull=True)


class Notification(models.Model):
    # No separate index on recipient_id: every index below starts with it.
    # No foreign-key constraint in the database either (``db_constraint``), for
    # the recipient nor the ticket: the rows are derived (the sweep writes them
    # by INSERT ... SELECT from the very users and tickets they name) and pruned,
    # and PostgreSQL checks a constraint with one SELECT ... FOR KEY SHARE per
    # inserted row. bench_sweep (PostgreSQL, 20,000 timeouts, two merchants a
    # shop): those two checks per notification were 0.3 s of the sweep's 1.7 s
    # of CPU time (2.3x the bare UPDATE without them, 2.1x with). Deleting a
    # user or a ticket still deletes its notifications: Django cascades
    # (``on_delete``) itself, in Python, constraint or not. A user deleted
    # while a sweep batch is writing may be left notifications nobody can open
    # (``for_user`` is by recipient id) where the constraint would have failed
    # the batch; the audit record (``TicketEvent``) keeps its constraint.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notifications",
        db_index=False,
        db_constraint=False,
        verbose_name=_("recipient"),
    )
    kind = models.CharField(_("kind"), max_length=20, choices=NotificationKind.choices)
    # No index on ticket_id: no page or task looks notifications up by ticket
    # (the list joins from the notification to its ticket), and each index costs
    # every insert: bench_sweep put this one at about 0.2-0.3x the bare UPDATE.
    # The price is paid by deleting a ticket, which then reads the whole table
    # (Django's cascade; there is no database constraint to check as well, see
    # ``recipient``); tickets are an audit record and the admin does not delete them.
    # Null for a notification about no ticket (the weekly scorecard): it leads
    # elsewhere (``messages.link``).
    ticket = models.ForeignKey(
        "tickets.Ticket",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="notifications",
        db_index=False,
        # Not enforced by the database: see ``recipient``.
        db_constraint=False,
        verbose_name=_("ticket"),
    )
    # Parameters of the text, e.g. {"reason": ...} for "rejected",
    # {"status": ..., "resolution": ...} for "status_changed".
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The header badge on every page, and the unread-first view:
            # WHERE recipient_id = ? AND read_at IS NULL [ORDER BY created_at DESC, id DESC]
            # Partial, so the count reads only this user's unread rows however
            # many read ones pile up (an index-only scan on PostgreSQL).
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_unread",
                         condition=Q(read_at__isnull=True)),
            # The list page: WHERE recipient_id = ? ORDER BY created_at DESC, id DESC
            models.Index(fields=["recipient", "-created_at", "-id"], name="notification_inbox"),
            # The retention sweep: WHERE read_at IS NOT NULL AND created_at < ?
            # (Free on insert: a new notification is unread, outside the condition.)
            models.Index(fields=["created_at"], name="notification_prune",
                         condition=Q(read_at__isnull=False)),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id} {self.kind} {self.ticket_id}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def text(self) -> str:
        """The sentence in the active language (rendered now, not when stored)."""
        from .messages import describe

        return describe(self)

    @property
    def url(self) -> str:
        """Where opening it leads: its ticket, or the page it is about."""
        from .messages import link

        return link(self)
