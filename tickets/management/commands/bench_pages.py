"""Median server time of the ticket pages at scale (the target: every
figure <= 20 ms at 1,000,000 tickets on PostgreSQL).

Seeds the database once (``tickets.demo.bulk_seed_tickets``, which ends with
VACUUM ANALYZE; skipped when it already holds that many tickets), then
requests each figure's pages in-process through ``django.test.Client`` for
merchant1 (the largest shop, about 30 % of all tickets) and ops1 (every
shop), and agent1 for the review workbench's fragment (the bulk seeding
leaves a tenth of the tickets under review: 100,000 of 1,000,000), and prints the
median, the 90th percentile and the number of queries. Each figure cycles
through different URLs (cursors and filter values drawn from the data), and
the command fails if a figure's requests, or a list's
first and deep pages, cost different numbers of queries. Use a database of its
own (``make bench-pages`` does): a million tickets in the demo database would
drown the demo.

To add a figure, add a ``(label, username, urls)`` entry to ``FIGURES``:
``urls`` takes the user's ``Samples`` and returns the URLs to cycle through.
"""

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand, CommandError
from django.db.models import F
from django.db.models.functions import Mod

from tickets import demo
from tickets.benchmarking import (
    for_users,
    measure,
    same_query_counts,
    seed_once,
    session_client,
    setup_line,
    write_target,
    write_timing_table,
)
from tickets.models import Ticket, TicketStatus

TARGET_MS = 20
# The merchant's own tabs (due soon, assigned to me) have a target of their own.
TAB_TARGET_MS = 30
USERS = ("merchant1", "ops1")


def _both(label, urls):
    return for_users(USERS, label, urls)


FIGURES = [
    *_both("tab pending (first page)", lambda s: ["/tickets/?status=pending"]),
    *_both("tab due soon", lambda s: ["/tickets/?status=due_soon"]),
    ("tab assigned to me", "merchant1", lambda s: ["/tickets/?assigned=me"]),
    ("deep page, assigned to me", "merchant1", lambda s: [
        f"/tickets/?assigned=me&after={c}" for c in s.deep_assigned]),
    *_both("tab under review", lambda s: ["/tickets/?status=under_review"]),
    *_both("tab closed", lambda s: ["/tickets/?status=closed"]),
    *_both("tab all", lambda s: ["/tickets/?status=all"]),
    *_both("filter order number", lambda s: [
        f"/tickets/?status=all&order_number={t.order.number}" for t in s.tickets]),
    *_both("filter ticket number", lambda s: [
        f"/tickets/?status=all&number={t.number}" for t in s.tickets]),
    *_both("filter service type", lambda s: [
        f"/tickets/?status=all&service_type={code}" for code in s.service_types]),
    *_both("filter created from (7-120 days)", lambda s: [
        f"/tickets/?status=all&created_after={day}" for day in s.dates]),
    *_both("filter created to (7-120 days ago)", lambda s: [
        f"/tickets/?status=all&created_before={day}" for day in s.dates]),
    *_both("filter type + days, closed", lambda s: [
        f"/tickets/?status=closed&service_type={code}&created_after={day}"
        for code in s.service_types for day in s.dates[:2]]),
    *_both("deep page, all", lambda s: [f"/tickets/?status=all&after={c}" for c in s.deep]),
    *_both("deep page, pending", lambda s: [
        f"/tickets/?status=pending&after={c}" for c in s.deep_pending]),
    *_both("detail page", lambda s: [f"/tickets/{t.number}/" for t in s.tickets]),
    *_both("handling times", lambda s: ["/handling-times/"]),
    # What loads after each decision in the review workbench: one reply's
    # fragment (agent1's client sends HX-Request), claiming it as it opens.
    ("workbench fragment", "agent1", lambda s: [f"/review/{t.number}/"
                                                for t in s.under_review]),
]

# Figures that must cost the same number of queries as each other: a list's
# first page, its deep pages and its filters by value.
SAME_QUERIES = [
    ("tab under review", "tab closed", "tab all",
     "filter order number", "filter ticket number", "filter created from (7-120 days)",
     "filter created to (7-120 days ago)", "deep page, all"),
    # The tabs of pending tickets also read the shop's reply templates (the
    # batch reply form).
    ("tab pending (first page)", "tab due soon", "deep page, pending"),
    ("tab assigned to me", "deep page, assigned to me"),
]


class Command(BaseCommand):
    help = "Seed a large database once, then print median server time of the ticket pages."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000)
        parser.add_argument("--repeat", type=int, default=30,
                            help="measured requests per figure (after 3 warm-ups)")

    def handle(self, *args, tickets: int, repeat: int, **options):
        # Measure as production runs: no query log, no debug templates.
        settings.DEBUG = False
        seed_once(self.stdout, tickets)
        if self.assign_share(User.objects.get(username="merchant1")):
            demo.refresh_statistics()
        total = Ticket.objects.count()
        self.stdout.write(setup_line(total, repeat))
        rows = measure(FIGURES, repeat, self._client)
        write_timing_table(self.stdout, what="page", who="user", rows=rows,
                           target_ms=TARGET_MS)
        failures = same_query_counts(rows, SAME_QUERIES)
        worst = max(rows, key=lambda row: row[2])
        for failure in failures:
            self.stdout.write(f"query counts differ: {failure}")
        self.stdout.write(f"slowest figure: {worst[0]} ({worst[1]})")
        write_target(self.stdout, "pages_query_count_mismatches", len(failures), 0)
        write_target(self.stdout, "pages_slowest_median", worst[2], TARGET_MS, unit=" ms")
        by_label = {(label, user): median for label, user, median, _p90, _queries in rows}
        for label, name in (("tab due soon", "pages_due_soon_median"),
                            ("tab assigned to me", "pages_assigned_to_me_median")):
            write_target(self.stdout, name, by_label[(label, "merchant1")], TAB_TARGET_MS,
                         unit=" ms")
        write_target(self.stdout, "pages_workbench_fragment_median",
                     by_label[("workbench fragment", "agent1")], TARGET_MS, unit=" ms")
        if failures:
            raise CommandError("query counts differ between pages that must cost the same: "
                               + "; ".join(failures))

    def _client(self, user):
        # The agent's figure is the workbench's htmx fragment, not the full page.
        client = session_client(user)
        if user.username == "agent1":
            client.defaults["HTTP_HX_REQUEST"] = "true"
        return client

    def assign_share(self, merchant) -> int:
        """A third of merchant1's shop's pending tickets get merchant1 as their
        handler (once, one UPDATE), as a shop of three staff splitting the work."""
        shop_pending = Ticket.objects.filter(shop_id=merchant.shop_membership.shop_id,
                                             status=TicketStatus.PENDING)
        if shop_pending.filter(handler=merchant).count() > 1:
            return 0
        assigned = (shop_pending.alias(third=Mod(F("id"), 3)).filter(third=0)
                    .update(handler=merchant))
        self.stdout.write(f"Assigned {assigned:,} pending tickets to {merchant.username}.")
        return assigned
