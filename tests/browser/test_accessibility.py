"""axe-core over every page of the product, in a real Chromium: each page of
the PAGES table, as each role that can reach it, in Chinese and English, at a
desktop and a phone size, error states included, must have no violation of
impact serious or critical (colour contrast among them).

axe is injected as an init script (through DevTools, once per context, run in
every document before the page's own scripts), not as a <script> element: the
page's CSP would block an injected script, and the autouse CSP fixture would
fail the test for it. One browser context per role, logged in once; the
language is the ``django_language`` cookie, the size the viewport.

A new page is one row in PAGES."""

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlencode

import axe_playwright_python
import pytest
from django.conf import settings

from scorecard.refresh import refresh
from tickets import demo
from tickets.models import Ticket, TicketStatus

pytestmark = pytest.mark.browser

AXE_SOURCE = (Path(axe_playwright_python.__file__).parent / "axe.min.js").read_text()
BLOCKING = ("serious", "critical")
LANGUAGES = ("zh-hans", "en")
SIZES = {"desktop": {"width": 1366, "height": 900}, "phone": {"width": 390, "height": 844}}
ROLES = {"merchant": "merchant1", "agent": "agent1", "ops": "ops1"}
ALL = tuple(ROLES)


@dataclass(frozen=True)
class PageCase:
    name: str
    roles: tuple[str, ...]
    # A path, or a callable(tickets) -> path, tickets being the story's tickets.
    path: object
    status: int = 200
    # Form fields for a POST (the page shown is the POST's answer).
    post: dict | None = None


def detail(key):
    return lambda t: f"/tickets/{t[key].number}/"


def action(key, verb):
    return lambda t: f"/tickets/{t[key].number}/{verb}/"


PAGES = [
    PageCase("login", ("anonymous",), "/accounts/login/"),
    PageCase("404 (logged out)", ("anonymous",), "/no-such-page/", status=404),
    PageCase("ticket list", ALL, "/tickets/"),
    PageCase("ticket list, all tab", ALL, "/tickets/?status=all"),
    PageCase("ticket list, due soon tab", ALL, "/tickets/?status=due_soon"),
    PageCase("ticket list, assigned to me", ("merchant",), "/tickets/?assigned=me"),
    PageCase("ticket list, closed tab", ALL, "/tickets/?status=closed"),
    PageCase("batch reply result", ("merchant",), "/tickets/batch-reply/",
             post={"numbers": "2611260000000001", "body": "已发货"}),
    PageCase("batch reply, 400 nothing selected", ("merchant",), "/tickets/batch-reply/",
             status=400, post={"body": "已发货"}),
    PageCase("reply templates", ("merchant",), "/settings/templates/"),
    PageCase("reply templates, 400", ("merchant",), "/settings/templates/", status=400,
             post={"title": ""}),
    PageCase("reply templates, 403", ("agent", "ops"), "/settings/templates/", status=403),
    PageCase("automatic assignment", ("merchant",), "/settings/assignment/"),
    PageCase("ticket list, 400 bad filter", ALL, "/tickets/?created_after=31.02.2026", status=400),
    PageCase("ticket detail, pending", ALL, detail("pending")),
    PageCase("ticket detail, under review", ALL, detail("under_review")),
    PageCase("ticket detail, closed", ALL, detail("closed")),
    PageCase("ticket detail, another shop's: 404", ("merchant",), detail("other_shop"),
             status=404),
    PageCase("reply, 400 empty form", ("merchant",), action("pending", "reply"), status=400,
             post={"body": ""}),
    PageCase("reply, 409 not pending", ("merchant",), action("under_review", "reply"),
             status=409, post={"body": "再次回复"}),
    PageCase("reject, 400 no reason", ("agent",), action("under_review", "reject"),
             status=400, post={"reason": ""}),
    PageCase("approve, 409 wrong state", ("agent",), action("closed", "approve"), status=409,
             post={}),
    PageCase("review queue", ("agent",), "/review/"),
    PageCase("review queue, 403", ("merchant", "ops"), "/review/", status=403),
    PageCase("review workbench, a reply", ("agent",),
             lambda t: f"/review/{t['under_review'].number}/"),
    PageCase("review workbench, 400 no reason", ("agent",),
             lambda t: f"/review/{t['under_review'].number}/reject/", status=400,
             post={"reason": ""}),
    PageCase("new ticket", ("agent",), "/tickets/new/"),
    PageCase("new ticket, 400", ("agent",), "/tickets/new/", status=400, post={}),
    PageCase("new ticket, 403", ("merchant",), "/tickets/new/", status=403),
    PageCase("handling times", ALL, "/handling-times/"),
    PageCase("scorecard", ALL, "/scorecard/"),
    PageCase("scorecard, a shop", ("agent", "ops"),
             lambda t: f"/scorecard/{t['other_shop'].shop_id}/?days=7"),
    PageCase("scorecard, another shop's: 404", ("merchant",),
             lambda t: f"/scorecard/{t['other_shop'].shop_id}/", status=404),
    PageCase("scorecard, 400 bad period", ALL, "/scorecard/?days=5", status=400),
    PageCase("notifications", ALL, "/notifications/"),
    PageCase("exports", ("merchant", "ops"), "/exports/"),
    PageCase("exports, 403", ("agent",), "/exports/", status=403),
    PageCase("API tokens", ALL, "/settings/tokens/"),
    PageCase("API tokens, 400 no name", ("merchant",), "/settings/tokens/", status=400,
             post={"name": ""}),
    PageCase("webhooks", ALL, "/settings/webhooks/"),
    PageCase("webhooks, 400 no URL", ("merchant",), "/settings/webhooks/", status=400,
             post={"url": "", "events": "ticket.created"}),
]


@pytest.fixture
def story_tickets(transactional_db):
    demo.seed_cast_and_story()
    refresh()  # the scorecard's figures, as seed_demo leaves them
    mine = Ticket.objects.filter(shop__name=demo.SHOPS[0]).order_by("pk")
    return {
        "pending": mine.filter(status=TicketStatus.PENDING).first(),
        "under_review": mine.filter(status=TicketStatus.UNDER_REVIEW).first(),
        "closed": mine.filter(status=TicketStatus.CLOSED).first(),
        "other_shop": Ticket.objects.filter(shop__name=demo.SHOPS[1]).first(),
    }


def run_axe(page) -> list[dict]:
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations']})")
    return [v for v in result["violations"] if v["impact"] in BLOCKING]


def open_case(page, base, case, tickets):
    path = case.path(tickets) if callable(case.path) else case.path
    url = base + path
    if case.post is None:
        return page.goto(url)
    # The browser shows the POST's answer at the form's own address, as after
    # submitting it, with the response's real headers (CSP included).
    token = next((c["value"] for c in page.context.cookies() if c["name"] == "csrftoken"), "")
    body = urlencode(case.post)

    def answer_with_post(route):
        route.fulfill(response=route.fetch(method="POST", post_data=body, headers={
            **route.request.headers, "X-CSRFToken": token,
            "Content-Type": "application/x-www-form-urlencoded"}))

    page.route(url, answer_with_post)
    try:
        return page.goto(url)
    finally:
        page.unroute(url)


def test_every_page_has_no_serious_axe_violation(browser, live_server, login, story_tickets):
    checked, found = 0, []
    cases_by_role = {role: [c for c in PAGES if role in c.roles] for role in (*ROLES, "anonymous")}
    for role, cases in cases_by_role.items():
        context = browser.new_context(viewport=SIZES["desktop"], locale="zh-CN")
        context.add_init_script(AXE_SOURCE)
        page = context.new_page()
        if role != "anonymous":
            login(page, demo.User.objects.get(username=ROLES[role]), password=demo.DEMO_PASSWORD)
        else:
            page.goto(live_server.url + "/accounts/login/")  # sets the CSRF cookie
        for language in LANGUAGES:
            context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": language,
                                  "url": live_server.url}])
            for size_name, size in SIZES.items():
                page.set_viewport_size(size)
                for case in cases:
                    response = open_case(page, live_server.url, case, story_tickets)
                    where = f"{case.name} as {role}, {language}, {size_name}"
                    assert response.status == case.status, where
                    assert page.locator("html").get_attribute("lang") == language, where
                    checked += 1
                    for violation in run_axe(page):
                        for node in violation["nodes"]:
                            found.append(f"{where}: {violation['id']} ({violation['impact']}) "
                                         f"at {' '.join(node['target'])}: "
                                         f"{node.get('failureSummary', '').splitlines()[-1:]}")
        context.close()
    pages = len(PAGES)
    print(f"\naxe-core checked {checked} page views: {pages} pages x roles "
          f"({', '.join(ROLES)}, anonymous) x {len(LANGUAGES)} languages x {len(SIZES)} sizes; "
          f"{len(found)} serious/critical violation(s)")
    for line in found:
        print("  -", line)
    assert not found, "axe-core found serious/critical violations:\n" + "\n".join(found)
