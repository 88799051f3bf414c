"""Lighthouse over the demo's main pages, as a signed-in user, desktop and mobile.

``make audit`` installs Lighthouse (pinned, into var/audit/), migrates and seeds
a database of its own, collects the static files and runs this command. It
starts the web server itself (the demo's settings: DEBUG off), signs in through
the real login form, hands Lighthouse the session cookie and prints the four
category scores per page and form factor, then one PASS/FAIL line per target.
Exit status 1 when a target is missed.

``--dry-run`` checks the plan (pages resolve, Lighthouse command lines) without
a server or a browser: the CI smoke run."""

import http.cookiejar
import json
import os
import re
import shlex
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from tickets import demo
from tickets.models import Ticket, TicketStatus

CATEGORIES = ("performance", "accessibility", "best-practices", "seo")
# Minimum score (0-100) per category; SEO is reported, not targeted.
TARGETS = {"accessibility": 95, "best-practices": 95, "performance": 90}
FORM_FACTORS = ("desktop", "mobile")
LIGHTHOUSE = Path(settings.BASE_DIR) / "var" / "audit" / "node_modules" / ".bin" / "lighthouse"
# The user whose pages are audited: an agent sees the list, a detail and the review queue.
USERNAME = "agent1"


def page_paths() -> dict[str, str]:
    """The audited pages: name -> path. A new page is one entry here."""
    under_review = Ticket.objects.filter(status=TicketStatus.UNDER_REVIEW).order_by("pk").first()
    if under_review is None:
        raise CommandError("No ticket under review: run manage.py seed_demo first.")
    return {
        "list": reverse("tickets:list"),
        "detail": reverse("tickets:detail", args=[under_review.number]),
        "review": reverse("tickets:review"),
    }


def lighthouse_command(lighthouse: Path, url: str, form_factor: str, cookie: str,
                       chrome: str) -> list[str]:
    command = [
        str(lighthouse), url, "--quiet", "--output=json", "--output-path=stdout",
        f"--only-categories={','.join(CATEGORIES)}",
        f"--extra-headers={json.dumps({'Cookie': cookie})}",
        # Debian's Chromium as root in a container needs --no-sandbox.
        "--chrome-flags=--headless=new --no-sandbox --disable-gpu",
    ]
    if form_factor == "desktop":
        command.append("--preset=desktop")
    return command


class Command(BaseCommand):
    help = "Lighthouse scores of the list, detail and review pages, desktop and mobile."

    def add_arguments(self, parser):
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--url", help="Audit a server that is already running here.")
        parser.add_argument("--lighthouse", default=str(LIGHTHOUSE))
        parser.add_argument("--pages",
                            help="Comma-separated subset of the pages (list,detail,review).")
        parser.add_argument("--form-factors", default=",".join(FORM_FACTORS))
        parser.add_argument("--dry-run", action="store_true",
                            help="Print the plan and the Lighthouse commands; run nothing.")

    def handle(self, *args, **options):
        pages = page_paths()
        if options["pages"]:
            wanted = options["pages"].split(",")
            unknown = set(wanted) - set(pages)
            if unknown:
                raise CommandError(f"Unknown pages: {', '.join(sorted(unknown))}")
            pages = {name: pages[name] for name in wanted}
        form_factors = options["form_factors"].split(",")
        if set(form_factors) - set(FORM_FACTORS):
            raise CommandError(f"Form factors are {', '.join(FORM_FACTORS)}")
        chrome = os.environ.setdefault("CHROME_PATH", "/usr/bin/chromium")
        lighthouse = Path(options["lighthouse"])
        base = options["url"] or f"http://127.0.0.1:{options['port']}"

        if options["dry_run"]:
            for name, path in pages.items():
                for form_factor in form_factors:
                    command = lighthouse_command(lighthouse, base + path, form_factor,
                                                 "sessionid=…", chrome)
                    self.stdout.write(f"{name} {form_factor}: {shlex.join(command)}")
            return

        if not lighthouse.exists():
            raise CommandError(f"{lighthouse} is missing: run make audit (it installs Lighthouse).")
        server = None if options["url"] else self._start_server(options["port"])
        try:
            self._wait_until_up(base)
            cookie = self._sign_in(base)
            rows = []
            for name, path in pages.items():
                for form_factor in form_factors:
                    started = time.monotonic()
                    scores = self._audit(lighthouse_command(lighthouse, base + path, form_factor,
                                                            cookie, chrome))
                    rows.append((name, form_factor, scores, time.monotonic() - started))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=10)
        self._report(rows)

    def _start_server(self, port: int) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=settings.BASE_DIR, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def _wait_until_up(self, base: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + reverse("healthz"), timeout=2)
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise CommandError(f"No server answered at {base} within 30 s.") from None
                time.sleep(0.25)  # bounded polling of a subprocess

    def _sign_in(self, base: str) -> str:
        """The real login form: the cookie Lighthouse sends is a real session."""
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
        login_url = base + reverse("login")
        form = opener.open(login_url).read().decode()
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        body = urllib.parse.urlencode({"username": USERNAME, "password": demo.DEMO_PASSWORD,
                                       "csrfmiddlewaretoken": token}).encode()
        opener.open(urllib.request.Request(login_url, data=body, headers={"Referer": login_url}))
        cookies = {c.name: c.value for c in jar}
        if settings.SESSION_COOKIE_NAME not in cookies:
            raise CommandError(f"Could not sign in as {USERNAME} (seed the demo data first).")
        return "; ".join(f"{name}={value}" for name, value in cookies.items())

    def _audit(self, command: list[str]) -> dict[str, int]:
        done = subprocess.run(command, capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise CommandError(f"Lighthouse failed ({done.returncode}): {done.stderr[-2000:]}")
        report = json.loads(done.stdout)
        return {key: round((report["categories"][key]["score"] or 0) * 100) for key in CATEGORIES}

    def _report(self, rows) -> None:
        header = (f"{'page':<8} {'form':<8}" + "".join(f"{c:>16}" for c in CATEGORIES)
                  + f"{'time':>8}")
        self.stdout.write(header)
        for name, form_factor, scores, seconds in rows:
            self.stdout.write(f"{name:<8} {form_factor:<8}"
                              + "".join(f"{scores[c]:>16}" for c in CATEGORIES)
                              + f"{seconds:>7.0f}s")
        failed = False
        for category, minimum in TARGETS.items():
            worst = min(scores[category] for _, _, scores, _ in rows)
            verdict = "PASS" if worst >= minimum else "FAIL"
            failed |= verdict == "FAIL"
            self.stdout.write(f"target {category} >= {minimum} on every page: {verdict} "
                              f"(lowest {worst})")
        if failed:
            sys.exit(1)
