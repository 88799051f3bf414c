"""Delivery throughput: N webhook events sent by a Celery worker of concurrency
C to a local receiver, against the floor of the same N signed POSTs (the same
bodies) sent by a bare loop of the same HTTP client with C threads, in the same
run. Target: at most 2x the floor.

Needs WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true (the receiver is on 127.0.0.1; ``make
bench-webhooks`` sets it) and a broker the worker shares (Redis, or the embedded
filesystem broker, which polls once a second). Uses the configured database
(PostgreSQL when DATABASE_URL says so) and removes what it created."""

import logging
import os
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from tickets.benchmarking import write_target
from tickets.models import Order, ServiceType, Shop, Ticket, TicketStatus
from tickets.roles import Role
from webhooks import outbox
from webhooks.endpoints import create_endpoint
from webhooks.models import Delivery, DeliveryStatus, Endpoint, WebhookEvent
from webhooks.signing import signature

TARGET = 2.0
PREFIX = "97"  # bench ticket numbers: 97 followed by 14 digits


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--events", type=int, default=10_000)
        parser.add_argument("--concurrency", type=int, default=4)
        parser.add_argument("--timeout", type=float, default=1800,
                            help="seconds to wait for the worker to deliver everything")

    def handle(self, *args, events, concurrency, timeout, **options):
        # One log line per request of the bare loop would be most of the output.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if not settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES:
            raise CommandError("Set WEBHOOK_ALLOW_PRIVATE_ADDRESSES=true: the receiver is local.")
        if settings.CELERY_TASK_ALWAYS_EAGER:
            raise CommandError("Celery runs eagerly here; the benchmark needs a real worker.")
        server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
        url = f"http://127.0.0.1:{server.server_address[1]}/hook"
        user, shop, tickets = self._seed(events)
        endpoint = create_endpoint(user, url=url, events=[WebhookEvent.CREATED])
        try:
            worker_seconds = self._through_worker(endpoint, tickets, concurrency, timeout)
            bodies = list(Delivery.objects.filter(endpoint=endpoint)
                          .values_list("payload", flat=True))
            floor_seconds = self._bare_loop(url, endpoint.secret, bodies, concurrency)
        finally:
            server.shutdown()
            self._clean_up(user, shop)
        ratio = worker_seconds / floor_seconds
        self.stdout.write(f"| events | concurrency | worker s | bare httpx loop s | ratio |\n"
                          f"|---|---|---|---|---|\n"
                          f"| {events} | {concurrency} | {worker_seconds:.2f} | "
                          f"{floor_seconds:.2f} | {ratio:.2f}x |")
        self.stdout.write(f"load average {os.getloadavg()[0]:.1f}")
        write_target(self.stdout, f"webhooks {events} events vs bare httpx loop", ratio,
                     TARGET, unit="x")

    def _seed(self, events):
        user = get_user_model().objects.create_user(f"bench_webhooks_{os.getpid()}")
        user.groups.add(Group.objects.get_or_create(name=Role.AGENT)[0])
        shop = Shop.objects.create(name=f"bench webhooks {os.getpid()}")
        service_type = ServiceType.objects.first() or ServiceType.objects.create(
            code="bench", name_zh="压测", name_en="Bench", handling_hours=24)
        order = Order.objects.create(shop=shop, number=f"BW{os.getpid()}{int(time.time())}",
                                     product_title="bench", sku="bench", quantity=1,
                                     amount=1, buyer_nickname="bench",
                                     paid_at=timezone.now())
        now = timezone.now()
        tickets = Ticket.objects.bulk_create(
            Ticket(number=f"{PREFIX}{os.getpid() % 10**6:06d}{i:08d}", shop=shop, order=order,
                   service_type=service_type, status=TicketStatus.PENDING, content="bench",
                   deadline=now + timedelta(hours=24), created_at=now, updated_at=now)
            for i in range(events))
        return user, shop, tickets

    def _through_worker(self, endpoint, tickets, concurrency, timeout) -> float:
        log = Path(tempfile.mkstemp(prefix="bench-webhooks-worker-", suffix=".log")[1])
        env = {**os.environ, "WEBHOOK_ALLOW_PRIVATE_ADDRESSES": "true"}
        with open(log, "ab") as out:
            worker = subprocess.Popen(
                [sys.executable, "-m", "celery", "-A", "servicedesk", "worker", "--pool",
                 "prefork", "--concurrency", str(concurrency), "--loglevel", "INFO",
                 "--without-gossip", "--without-mingle", "--without-heartbeat"],
                cwd=settings.BASE_DIR, env=env, stdout=out, stderr=out,
                start_new_session=True)
        try:
            # Start-up is not measured: wait for the worker to say it is ready.
            ready_by = time.monotonic() + 60
            while " ready." not in log.read_text(errors="replace"):
                if worker.poll() is not None or time.monotonic() > ready_by:
                    raise CommandError(f"the worker did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.1)
            started = time.perf_counter()
            with transaction.atomic():
                outbox.record(WebhookEvent.CREATED, tickets, now=timezone.now())
            # Counted by endpoint (its own index), a few times a second: a
            # poll naming every ticket, every 50 ms, took CPU from the worker
            # in proportion to the number of events.
            delivered = Delivery.objects.filter(endpoint=endpoint,
                                                status=DeliveryStatus.DELIVERED)
            deadline = time.monotonic() + timeout
            while delivered.count() < len(tickets):
                if time.monotonic() > deadline:
                    raise CommandError(f"not delivered within {timeout}s:\n"
                                       f"{log.read_text()[-3000:]}")
                time.sleep(0.25)
            return time.perf_counter() - started
        finally:
            worker.terminate()
            worker.wait(30)
            log.unlink(missing_ok=True)

    def _bare_loop(self, url, secret, bodies, concurrency) -> float:
        local = threading.local()

        def post(body: str):
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = httpx.Client(timeout=5)
            data = body.encode()
            response = client.post(url, content=data, headers={
                "Content-Type": "application/json",
                "X-Desk-Signature": signature(secret, data, int(time.time()))})
            response.raise_for_status()

        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(post, bodies))
        return time.perf_counter() - started

    def _clean_up(self, user, shop):
        # The deliveries first, through their endpoint (indexed): deleting a
        # ticket makes PostgreSQL look for deliveries naming it, and
        # delivery.ticket_id has no index, so with the deliveries still there
        # each of the tickets would cost a scan of the table.
        Endpoint.objects.filter(owner=user).delete()
        Ticket.objects.filter(shop=shop).delete()
        Order.objects.filter(shop=shop).delete()
        shop.delete()
        user.delete()
