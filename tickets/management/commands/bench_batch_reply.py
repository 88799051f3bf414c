"""A batch reply against the same replies one by one, in the same run (the
target: one POST /tickets/batch-reply/ for 100 tickets takes at most 0.8 x the
time of 100 POST /tickets/<number>/reply/, each one lifecycle transition).

Both paths make exactly the same transitions (one durable ``lifecycle.reply``
per ticket); what the batch saves is everything around them: the session and
user lookups, the form, the per-ticket lookup (one query for all) and the
response (one page instead of a redirect each). For reference it also times
the bare lifecycle calls (no HTTP at all), the floor under both.

Runs against the configured database (use a copy with the million tickets for
figures at scale): it creates its tickets on fresh orders of merchant1's shop
and leaves them under review.
"""

import statistics
import time

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.test import Client
from django.utils import timezone

from tickets import demo, lifecycle
from tickets.benchmarking import write_target
from tickets.models import Order, ServiceType, Ticket

RATIO_LIMIT = 0.8


class Command(BaseCommand):
    help = "Time a batch reply of N tickets against N single replies through the page."

    def add_arguments(self, parser):
        parser.add_argument("--size", type=int, default=100, help="tickets per batch (<= 100)")
        parser.add_argument("--rounds", type=int, default=3,
                            help="measured rounds; the median of each path is compared")

    def handle(self, *args, size: int, rounds: int, **options):
        settings.DEBUG = False
        demo.seed_cast_and_story()
        merchant = User.objects.get(username="merchant1")
        agent = User.objects.get(username="agent1")
        client = Client(HTTP_HOST="localhost")
        client.force_login(merchant)
        body = "订单 {order_number} 已发货，单号 {tracking_number}。"
        one_by_one, batch, bare = [], [], []
        for round_ in range(rounds + 1):  # the first round warms up
            tickets = self.fresh_tickets(3 * size, merchant, agent)
            singles, batched, direct = tickets[:size], tickets[size:2 * size], tickets[2 * size:]

            started = time.perf_counter()
            for ticket in singles:
                response = client.post(f"/tickets/{ticket.number}/reply/",
                                       {"body": f"订单 {ticket.order.number} 已发货"})
                assert response.status_code == 303, response.status_code
            single_s = time.perf_counter() - started

            started = time.perf_counter()
            response = client.post("/tickets/batch-reply/",
                                   {"numbers": [t.number for t in batched], "body": body})
            batch_s = time.perf_counter() - started
            # Every ticket replied: the result page has no "refused" section.
            assert response.status_code == 200 and b'id="batch-refused"' not in response.content

            started = time.perf_counter()
            for ticket in direct:
                lifecycle.reply(ticket.pk, actor=merchant, body="已发货")
            bare_s = time.perf_counter() - started
            if round_:
                one_by_one.append(single_s)
                batch.append(batch_s)
                bare.append(bare_s)
            self.stdout.write(f"round {round_}{' (warm-up)' if not round_ else ''}: "
                              f"{size} single replies {single_s * 1000:.0f} ms, "
                              f"one batch {batch_s * 1000:.0f} ms, "
                              f"bare lifecycle calls {bare_s * 1000:.0f} ms")
        # Each round's two paths ran back to back, so their ratio survives a
        # machine whose load changes between rounds better than medians of each.
        single_ms, batch_ms, bare_ms = (statistics.median(v) * 1000
                                        for v in (one_by_one, batch, bare))
        ratio = statistics.median(b / s for b, s in zip(batch, one_by_one, strict=True))
        self.stdout.write(f"\nmedian of {rounds} rounds, {size} tickets: one by one through the "
                          f"page {single_ms:.0f} ms, batch {batch_ms:.0f} ms, bare lifecycle "
                          f"{bare_ms:.0f} ms (batch / bare {batch_ms / bare_ms:.2f})\n")
        write_target(self.stdout, f"batch reply / {size} single replies (median of the rounds' "
                     f"ratios)", ratio, RATIO_LIMIT)

    def fresh_tickets(self, count: int, merchant, agent) -> list[Ticket]:
        """``count`` pending tickets of merchant1's shop on orders of their own."""
        shop = merchant.shop_membership.shop
        shipping = ServiceType.objects.get(code="shipping_urge")
        now = timezone.now()
        stamp = time.time_ns()
        orders = Order.objects.bulk_create(
            Order(number=f"B{stamp}{i:04d}"[-32:], shop=shop, product_title="批量回复测试",
                  amount="10.00", buyer_nickname="买家", paid_at=now,
                  tracking_number=f"SF{i:08d}")
            for i in range(count))
        return [lifecycle.create_ticket(actor=agent, order=order, service_type=shipping,
                                        content="买家催发货", now=now) for order in orders]
