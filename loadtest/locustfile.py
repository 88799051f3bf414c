"""The traffic of ``manage.py bench_load``, driven by locust.

Runs in the load tool's own virtualenv (``make bench-load`` makes it): it
imports locust and the standard library only, never the project. The command
writes a plan (``BENCH_LOAD_PLAN``, JSON): the user levels, the seconds per
phase, and one entry per simulated person: a real account of its own (merchants
of many shops, several agents) with its password, an API token, the ticket and
order numbers it may see, and its requests (the command's ``mix``).

Every simulated person logs in through the login page once. Then a controller
runs, for each level, a floor phase (every active person asks the liveness
probe, a view that returns a short response and touches nothing) and a mix
phase (the people's real traffic), one after the other on the same server, and
writes every response's time to the result file. People beyond the level wait.
No think time: each person sends the next request when the last one answered.
"""

import itertools
import json
import os
import random
import re
import time

import gevent
from locust import FastHttpUser, constant, events, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"], encoding="utf-8").read())
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


class State:
    """Shared by every simulated person of this process (one locust process)."""

    logged_in = 0
    login_failures = []
    active = 0  # people with an index below this send requests
    phase = None  # "floor" or "mix"
    samples = []  # (name, milliseconds, failed) of the current phase
    next_index = itertools.count()


def _record(request_type, name, response_time, response_length, exception=None, **kwargs):
    if name.startswith(f"{State.phase}:"):
        State.samples.append((name.split(":", 1)[1], response_time, exception is not None))


def _controller(environment):
    people = len(PLAN["people"])
    started = time.monotonic()
    while State.logged_in + len(State.login_failures) < people:
        if time.monotonic() - started > PLAN["login_timeout"]:
            break
        gevent.sleep(0.1)
    results = {"login_seconds": round(time.monotonic() - started, 1),
               "login_failures": State.login_failures, "phases": []}
    if not State.login_failures and State.logged_in == people:
        for level in PLAN["levels"]:
            for phase in ("floor", "mix"):
                State.active, State.phase, State.samples = level, phase, []
                began = time.monotonic()
                gevent.sleep(PLAN["seconds"])
                samples, State.samples = State.samples, []
                results["phases"].append({
                    "level": level, "phase": phase,
                    "seconds": time.monotonic() - began,
                    "loadavg": os.getloadavg(),
                    "samples": samples,
                })
    State.active = 0
    with open(PLAN["result"], "w", encoding="utf-8") as out:
        json.dump(results, out)
    environment.runner.quit()


@events.test_start.add_listener
def _start(environment, **kwargs):
    environment.events.request.add_listener(_record)
    gevent.spawn(_controller, environment)


class Person(FastHttpUser):
    wait_time = constant(0)
    # The login and the first requests of 64 people arrive at once.
    connection_timeout = 60.0
    network_timeout = 60.0

    def on_start(self):
        self.index = next(State.next_index)
        self.person = PLAN["people"][self.index]
        self.rng = random.Random(self.index)
        self.pages = itertools.cycle(self.person["mix"])
        for _ in range(self.rng.randrange(6)):  # not everybody starts on the same page
            next(self.pages)
        with self.client.get("/accounts/login/", name="login:form",
                             catch_response=True) as page:
            match = CSRF_INPUT.search(page.text or "")
        with self.client.post(
            "/accounts/login/", name="login:post", allow_redirects=False,
            data={"username": self.person["username"], "password": PLAN["password"],
                  "csrfmiddlewaretoken": match.group(1) if match else ""},
            catch_response=True,
        ) as answer:
            if answer.status_code == 302:
                State.logged_in += 1
            else:
                State.login_failures.append([self.person["username"], answer.status_code])
            answer.success()

    @task
    def work(self):
        if self.index >= State.active:
            gevent.sleep(0.05)
            return
        if State.phase == "floor":
            self.client.get("/livez", name="floor:floor")
            return
        name, url, headers = next(self.pages)
        url = url.format(order=self.rng.choice(self.person["orders"]),
                         ticket=self.rng.choice(self.person["tickets"]))
        with self.client.get(url, name=f"mix:{name}", headers=headers,
                             allow_redirects=False, catch_response=True) as response:
            if response.status_code != 200:
                response.failure(f"{response.status_code} for {url}")
