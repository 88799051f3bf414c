"""Requests per second and latency of the real server under many users.

Starts gunicorn with the repository's ``gunicorn.conf.py`` and DEBUG off
against the configured database (seeded once to ``--tickets`` like
``bench_pages``), then locust (``loadtest/locustfile.py``, from the load
tool's own virtualenv: it is not a dependency of the project) with one real
account per simulated person: merchants of every shop and one agent for every
four merchants, each logged in through the login page. For each level of
``--users`` it runs the floor (the liveness probe, a view that returns a short
response) and then the mix (list tab, order filter, detail, badge poll, unread
count, the API list with the person's token), ``--seconds`` each, on the same
server in the same run: the ratios mix/floor are what survive a busy machine.
Prints a table per level, the mix per endpoint, the load average after each
phase, and one verdict line per target.

Before the load, each endpoint of the mix is also timed alone, in-process, for
a merchant and an agent (``--serial-repeat`` requests after warm-up): the
median, the web process's CPU per request and the queries. Those are the
per-request costs the README's capacity model multiplies, and the badge target
compares the agent's badge poll with the merchant's there, where a queue of
other requests does not blur it.
"""

import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import Group, User
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client

from tickets import demo, roles
from tickets.benchmarking import time_get, write_target
from tickets.models import ShopMembership, Ticket

ROOT = Path(settings.BASE_DIR)
PASSWORD = "load-bench-pass-2026"
TOKEN_NAME = "load benchmark"
# Targets at MAIN_LEVEL users: mix requests/s against the floor's (at least),
# mix p95 against the floor's p95 (at most), and the agent's badge poll
# against the merchant's (the fastest of the serial requests, at most; a
# fifth for noise).
MAIN_LEVEL = 32
MIN_THROUGHPUT_RATIO = 0.4
MAX_P95_RATIO = 3.0
MAX_BADGE_RATIO = 1.25


def database_url() -> str:
    """The URL of the database this command uses, for the server processes."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        if db["NAME"] == ":memory:" or "mode=memory" in str(db["NAME"]):
            raise CommandError("bench_load needs a database other processes can open.")
        return f"sqlite:///{db['NAME']}"
    user = db.get("USER") or "postgres"
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    return (f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}")


def percentile(sorted_values, fraction: float) -> float:
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * fraction))]


class Command(BaseCommand):
    help = "Load the real server with many users: floor against mix, per user level."

    def add_arguments(self, parser):
        parser.add_argument("--tickets", type=int, default=1_000_000,
                            help="seed the database to this many tickets first (once)")
        parser.add_argument("--users", default="8,32,64",
                            help="comma-separated levels of simultaneous users")
        parser.add_argument("--seconds", type=float, default=60,
                            help="length of each floor and each mix phase")
        parser.add_argument("--locust", default=str(ROOT / "var" / "bench-load-venv" / "bin"
                                                    / "locust"))
        parser.add_argument("--port", type=int, default=0, help="0: a free port")
        parser.add_argument("--serial-repeat", type=int, default=30,
                            help="requests per endpoint and role in the serial table")
        parser.add_argument("--skip-load", action="store_true",
                            help="only the serial table and its badge target")
        parser.add_argument("--log", default=str(ROOT / "var" / "bench-load-server.log"),
                            help="gunicorn's log; locust's goes next to it (.locust.log)")

    def handle(self, *args, tickets, users, seconds, locust, port, log, serial_repeat,
               skip_load, **options):
        settings.DEBUG = False  # no query log, as production runs
        levels = sorted({int(level) for level in users.split(",")})
        if not skip_load and not Path(locust).exists():
            raise CommandError(f"{locust} is missing: make bench-load installs it.")
        demo.seed_cast_and_story()
        have = Ticket.objects.count()
        if have < tickets:
            self.stdout.write(f"Seeding {tickets - have:,} tickets (once)...")
            demo.bulk_seed_tickets(tickets - have)
        people = self.people(max(levels))
        total = Ticket.objects.count()
        self.stdout.write(f"{connection.vendor}, {total:,} tickets; levels {levels}, "
                          f"{seconds:g} s per phase; {len(people)} accounts "
                          f"({sum(p['role'] == 'merchant' for p in people)} merchants of "
                          f"{len({p['shop'] for p in people if p['shop']})} shops, "
                          f"{sum(p['role'] == 'agent' for p in people)} agents)\n")
        serial_badge = self.serial(people, serial_repeat)
        if skip_load:
            self.write_badge_target(serial_badge)
            return

        with tempfile.TemporaryDirectory() as tmp:
            plan_path, result_path = Path(tmp, "plan.json"), Path(tmp, "result.json")
            plan_path.write_text(json.dumps({
                "levels": levels, "seconds": seconds, "people": people,
                "password": PASSWORD, "result": str(result_path),
                "login_timeout": 120 + 2 * len(people),
            }))
            server = Server(port=port, log_path=Path(log))
            try:
                server.start()
                self.run_locust(locust, server, plan_path, len(people),
                                log_path=Path(log).with_suffix(".locust.log"),
                                timeout=len(levels) * 2 * seconds + 300 + 2 * len(people))
            finally:
                server.stop()
            if not result_path.exists():
                raise CommandError("locust wrote no result; see its output above.")
            result = json.loads(result_path.read_text())
        if result["login_failures"]:
            raise CommandError(f"logins failed: {result['login_failures'][:5]}")
        self.stdout.write(f"{len(people)} logins took {result['login_seconds']} s "
                          f"(not measured). Server log: {log}\n")
        self.report(result["phases"])
        self.write_badge_target(serial_badge)

    # --- the accounts ---------------------------------------------------------------

    def people(self, count: int) -> list[dict]:
        """``count`` accounts, four merchants to one agent, merchants spread over
        every shop with tickets; each with a fresh API token and the numbers it
        may look up. Made once (hashing a password is slow on purpose), reused."""
        from api import tokens
        from api.models import ApiToken

        shops = list(Ticket.objects.order_by().values_list("shop_id", flat=True).distinct())
        merchant_group = Group.objects.get_or_create(name=roles.Role.MERCHANT)[0]
        agent_group = Group.objects.get_or_create(name=roles.Role.AGENT)[0]
        samples = {shop: self.samples(Ticket.objects.filter(shop_id=shop)) for shop in shops}
        everything = self.samples(Ticket.objects.all())
        ApiToken.objects.filter(name=TOKEN_NAME).delete()
        people = []
        merchants = agents = 0
        for index in range(count):
            is_agent = index % 5 == 4
            if is_agent:
                username, agents = f"load_agent_{agents}", agents + 1
            else:
                username, merchants = f"load_merchant_{merchants}", merchants + 1
            user, created = User.objects.get_or_create(username=username)
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
            if is_agent:
                user.groups.add(agent_group)
                shop, numbers = None, everything
            else:
                user.groups.add(merchant_group)
                membership, _ = ShopMembership.objects.get_or_create(
                    user=user, defaults={"shop_id": shops[(merchants - 1) % len(shops)]})
                shop, numbers = membership.shop_id, samples[membership.shop_id]
            token = tokens.create_token(user=user, name=TOKEN_NAME, read_only=True)[1]
            person = {"username": username, "role": "agent" if is_agent else "merchant",
                      "shop": shop, "token": token, **numbers}
            person["mix"] = self.mix(person)
            people.append(person)
        return people

    @staticmethod
    def samples(scope) -> dict:
        rows = list(scope.order_by("-id").values_list("number", "order__number")[:200:10])
        return {"tickets": [r[0] for r in rows], "orders": [r[1] for r in rows]}

    # --- each endpoint alone --------------------------------------------------------

    def serial(self, people, repeat) -> dict:
        """The serial table; returns the badge poll's fastest ms by role."""
        self.stdout.write("Each endpoint alone, in-process, after 3 warm-ups: median and "
                          "fastest ms, web CPU ms per request, queries "
                          f"({repeat} requests each):\n")
        self.stdout.write("| endpoint | role | median ms | fastest ms | CPU ms | queries |")
        self.stdout.write("|---|---|---:|---:|---:|---:|")
        badge = {}
        for role in ("merchant", "agent"):
            person = next(p for p in people if p["role"] == role)
            client = Client(HTTP_HOST="localhost")
            client.force_login(User.objects.get(username=person["username"]))
            for name, url, headers in person["mix"]:
                url = url.format(order=person["orders"][0], ticket=person["tickets"][0])
                meta = {"HTTP_" + key.upper().replace("-", "_"): value
                        for key, value in headers.items()}
                timing = time_alone(client, url, meta, repeat)
                if name.startswith("badge poll"):
                    badge[role] = timing["fastest"]
                self.stdout.write(f"| {name} | {role} | {timing['median']:.1f} "
                                  f"| {timing['fastest']:.1f} | {timing['cpu']:.1f} "
                                  f"| {timing['queries']} |")
        self.stdout.write("")
        return badge

    @staticmethod
    def mix(person) -> list[tuple[str, str, dict]]:
        """The person's requests, asked in turn: (name, URL, headers). ``{order}``
        and ``{ticket}`` stand for one of the person's order and ticket numbers."""
        role = person["role"]
        tab = "pending" if role == "merchant" else "all"
        return [
            ("list tab", f"/tickets/?status={tab}", {}),
            ("order filter", "/tickets/?status=all&order_number={order}", {}),
            ("detail", "/tickets/{ticket}/", {}),
            (f"badge poll ({role})", "/notifications/badge/", {"HX-Request": "true"}),
            ("unread count", "/notifications/unread-count/", {}),
            ("API list", "/api/v1/tickets/", {"Authorization": f"Bearer {person['token']}"}),
        ]

    def write_badge_target(self, badge):
        # The fastest of the serial requests: what a request costs when nothing
        # else has the CPU; medians on a shared machine measure the neighbours.
        write_target(self.stdout, "agent badge poll against the merchant's (serial, fastest)",
                     badge["agent"] / badge["merchant"], MAX_BADGE_RATIO, unit="×")

    # --- running --------------------------------------------------------------------

    def run_locust(self, locust, server, plan_path, users, *, log_path, timeout):
        command = [locust, "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
                   "--users", str(users), "--spawn-rate", str(users),
                   "--host", server.base, "--only-summary", "--loglevel", "WARNING",
                   "--exit-code-on-error", "0", "--stop-timeout", "10"]
        env = {**os.environ, "BENCH_LOAD_PLAN": str(plan_path)}
        try:
            with open(log_path, "wb") as log:
                subprocess.run(command, env=env, check=True, timeout=timeout,
                               stdout=log, stderr=log)
        except subprocess.CalledProcessError as error:
            raise CommandError(f"locust exited with {error.returncode}; see {log_path}") \
                from error

    # --- the tables -----------------------------------------------------------------

    def report(self, phases):
        by_level = {}
        for phase in phases:
            by_level.setdefault(phase["level"], {})[phase["phase"]] = phase
        self.stdout.write("| users | floor req/s | floor p50 ms | floor p95 ms | mix req/s "
                          "| mix p50 ms | mix p95 ms | errors | mix/floor req/s "
                          "| mix/floor p95 | load avg (1 min) after floor / mix |")
        self.stdout.write("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
        summary = {}
        errors = 0
        for level, pair in sorted(by_level.items()):
            floor, mix = self.summarize(pair["floor"]), self.summarize(pair["mix"])
            errors += floor["errors"] + mix["errors"]
            summary[level] = floor, mix
            self.stdout.write(
                f"| {level} | {floor['rps']:.0f} | {floor['p50']:.0f} | {floor['p95']:.0f} "
                f"| {mix['rps']:.0f} | {mix['p50']:.0f} | {mix['p95']:.0f} "
                f"| {floor['errors'] + mix['errors']} | {mix['rps'] / max(floor['rps'], 1e-9):.2f} "
                f"| {mix['p95'] / max(floor['p95'], 1e-9):.2f} "
                f"| {pair['floor']['loadavg'][0]:.2f} / {pair['mix']['loadavg'][0]:.2f} |")

        self.stdout.write("\nThe mix per endpoint (median ms; p95 ms; requests; errors):\n")
        names = sorted({s[0] for p in phases if p["phase"] == "mix" for s in p["samples"]})
        self.stdout.write("| endpoint | " + " | ".join(
            f"{level} users p50 / p95 / n / err" for level in sorted(by_level)) + " |")
        self.stdout.write("|---|" + "---:|" * len(by_level))
        for name in names:
            cells = []
            for _level, pair in sorted(by_level.items()):
                part = self.summarize(pair["mix"], only=name)
                cells.append(f"{part['p50']:.0f} / {part['p95']:.0f} / {part['count']} / "
                             f"{part['errors']}")
            self.stdout.write(f"| {name} | " + " | ".join(cells) + " |")
        failed = [s for p in phases for s in p["samples"] if s[2]]
        if failed:
            self.stdout.write(f"\n{len(failed)} failed requests, e.g. {failed[:3]}")

        level = self.main_level(by_level)
        floor, mix = summary[level]
        self.stdout.write("")
        write_target(self.stdout, f"throughput at {level} users (mix/floor req/s)",
                     mix["rps"] / max(floor["rps"], 1e-9), MIN_THROUGHPUT_RATIO,
                     unit="×", at_least=True)
        write_target(self.stdout, f"p95 at {level} users (mix/floor)",
                     mix["p95"] / max(floor["p95"], 1e-9), MAX_P95_RATIO, unit="×")
        write_target(self.stdout, "errors (every level)", errors, 0)

    @staticmethod
    def main_level(by_level) -> int:
        """MAIN_LEVEL when it ran, else the nearest level below it (smoke runs)."""
        below = [level for level in by_level if level <= MAIN_LEVEL]
        return max(below) if below else min(by_level)

    @staticmethod
    def summarize(phase, only=None) -> dict:
        samples = [s for s in phase["samples"] if only is None or s[0] == only]
        times = sorted(s[1] for s in samples)
        return {"count": len(samples), "rps": len(samples) / phase["seconds"],
                "p50": statistics.median(times) if times else 0.0,
                "p95": percentile(times, 0.95),
                "errors": sum(1 for s in samples if s[2])}


class Server:
    """gunicorn with gunicorn.conf.py, as production runs it, on 127.0.0.1."""

    def __init__(self, *, port: int, log_path: Path):
        self.port = port or free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self.proc = None
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "servicedesk.settings",
            "DATABASE_URL": database_url(),
            "DEBUG": "false",
            # Plain http on 127.0.0.1 (no proxy terminating TLS in front), as
            # `make demo` runs; every other production setting stays.
            "ALLOW_INSECURE_HTTP": "true",
            "SECRET_KEY": secrets.token_urlsafe(50),
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            # Workers restarting mid-phase would measure start-up, not serving.
            "GUNICORN_MAX_REQUESTS": "0",
            # Every person polls the API far faster than an ERP would.
            "API_RATE_LIMIT": "100000/min",
        }

    def start(self):
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
                       cwd=ROOT, env=self.env, check=True)
        log = open(self.log_path, "wb")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py"],
            cwd=ROOT, env=self.env, stdout=log, stderr=log, start_new_session=True)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:  # bounded polling of a subprocess
            if self.proc.poll() is not None:
                raise CommandError(f"gunicorn exited with {self.proc.returncode}; "
                                   f"see {self.log_path}")
            try:
                urllib.request.urlopen(f"{self.base}/livez", timeout=5)
                return
            except OSError:  # refused, reset or timed out while the workers boot
                time.sleep(0.3)
        raise CommandError("gunicorn did not start")

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(10)


def time_alone(client, url: str, meta: dict, repeat: int) -> dict:
    """``time_get``'s median and queries, plus the fastest request and this
    process's CPU ms per request (warm-ups included: they cost the same)."""
    samples = []
    cpu_started = time.process_time()
    median, _, queries = time_get(_Bound(client, meta), url, repeat, timings=samples)
    cpu = (time.process_time() - cpu_started) * 1000 / (repeat + 4)
    return {"median": median, "fastest": min(samples), "cpu": cpu, "queries": queries}


class _Bound:
    """A test client sending ``meta`` (headers) with every GET."""

    def __init__(self, client, meta):
        self.client, self.meta = client, meta

    def get(self, url):
        return self.client.get(url, **self.meta)


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
