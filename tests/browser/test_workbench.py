"""The review workbench in a real browser: an agent reviews ten queued replies
with the keyboard only, each decision one POST plus the one fragment GET its
redirect leads to (no page load), while a second agent in another browser
context works the same queue and never gets a reply the first one holds.
Screenshots of the workbench in Chinese and English land in test-artifacts/."""

import datetime as dt

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import timezone
from playwright.sync_api import expect

from tests.evidence.images import png_of
from tests.factories import UserFactory
from tickets import lifecycle
from tickets.models import EventKind, Ticket, TicketEvent, TicketStatus

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DECISIONS = 10


def evidence(color):
    return SimpleUploadedFile("photo.png", png_of((320, 200), color=color),
                              content_type="image/png")


@pytest.fixture
def queued(make_ticket, merchant, agent):
    """Eleven replies, oldest first: ten for the first agent, one the second
    agent takes. The first has two evidence images and was rejected once."""
    now = timezone.now()
    tickets = [make_ticket() for _ in range(DECISIONS + 1)]
    first = tickets[0]
    lifecycle.reply(first, actor=merchant, body="已发货，单号稍后同步。",
                    now=now - dt.timedelta(hours=30))
    lifecycle.reject(first, actor=agent, reason_code="invalid_tracking", reason="请提供单号",
                     now=now - dt.timedelta(hours=29))
    lifecycle.reply(first, actor=merchant, body="顺丰单号 SF1234567890，见截图。",
                    evidence=[evidence((200, 40, 40)), evidence((40, 160, 60))],
                    now=now - dt.timedelta(hours=20))
    for i, ticket in enumerate(tickets[1:], start=1):
        lifecycle.reply(ticket, actor=merchant, body=f"第 {i} 条回复：已处理。",
                        now=now - dt.timedelta(hours=20) + dt.timedelta(minutes=i))
    return tickets


def open_context(browser, login, user, locale):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale=locale)
    page = context.new_page()
    login(page, user)
    return context, page


def pane_number(page):
    return page.locator("#review-pane").get_attribute("data-number")


def test_an_agent_clears_ten_replies_with_the_keyboard_in_two_requests_each(
        browser, live_server, login, screenshot, agent, queued):
    second_agent = UserFactory(username="agent2", role="agent")
    first_context, page = open_context(browser, login, agent, "zh-CN")
    second_context, other = open_context(browser, login, second_agent, "en-US")
    try:
        page.goto(f"{live_server.url}/review/")
        requests = []
        page.on("request", lambda r: requests.append(
            (r.method, r.resource_type, r.url.removeprefix(live_server.url))))

        # j opens the reply waiting longest; the first agent now holds it.
        page.keyboard.press("j")
        expect(page.locator("#review-pane")).to_have_attribute("data-number",
                                                               queued[0].number)
        expect(page.locator("#latest-reply")).to_contain_text("SF1234567890")
        expect(page.locator(".review-history")).to_contain_text("已驳回：物流信息无效")
        for thumb in page.locator("#latest-reply img").all():
            page.wait_for_function("img => img.complete && img.naturalWidth > 0",
                                   arg=thumb.element_handle())
        screenshot(page, "workbench-zh-hans")

        # The evidence viewer: click to enlarge, next image, close.
        page.locator("#latest-reply a[data-evidence]").first.click()
        viewer = page.locator("#evidence-viewer")
        expect(viewer).to_be_visible()
        first_src = page.locator("#evidence-viewer-image").get_attribute("src")
        page.keyboard.press("ArrowRight")
        assert page.locator("#evidence-viewer-image").get_attribute("src") != first_src
        page.keyboard.press("Escape")
        expect(viewer).to_be_hidden()

        # The second agent's queue leaves the held reply out; opening it
        # directly says who is on it; j takes the next free one.
        other.goto(f"{live_server.url}/review/")
        queue_numbers = other.locator("#review-queue tbody a.mono").all_inner_texts()
        assert queued[0].number not in queue_numbers and queued[1].number in queue_numbers
        other.goto(f"{live_server.url}/review/{queued[0].number}/")
        expect(other.locator("#claim-held")).to_contain_text("Being reviewed by agent")
        expect(other.locator("#approve")).to_have_count(0)
        other.goto(f"{live_server.url}/review/")
        other.keyboard.press("j")
        expect(other.locator("#review-pane")).to_have_attribute("data-number", queued[1].number)
        screenshot(other, "workbench-en")
        held_by_second = queued[1].number

        # Ten decisions, keyboard only: approve with a, reject with r + reason.
        seen = []
        started = timezone.now()
        requests.clear()
        for index in range(DECISIONS):
            # After each decision's swap focus.js moves focus to the new pane
            # (and says so in the live region); the next key goes from there.
            if index:
                expect(page.locator("#review-pane")).to_be_focused()
            current = pane_number(page)
            if index:
                # Announced once the swap has settled: only then has htmx bound
                # the new pane's forms (before, a key would submit them as a
                # plain POST and a full page load, the no-JavaScript path).
                expect(page.locator("#live-region")).to_contain_text(current)
            assert current != held_by_second
            seen.append(current)
            if index % 3 == 1:
                page.keyboard.press("r")
                expect(page.locator("#id_reason_code")).to_be_focused()
                page.keyboard.press("ArrowDown")
                page.keyboard.press("Tab")
                page.keyboard.type("截图看不清")
                page.keyboard.press("Tab")
                expect(page.locator("#reject")).to_be_focused()
                page.keyboard.press("Enter")
            else:
                page.keyboard.press("a")
            expect(page.locator("#review-pane")).not_to_have_attribute("data-number", current)
            expect(page.locator("#review-pane .msg-success")).to_be_visible()
        expect(page.locator("#review-pane")).to_contain_text("暂无待审核的回复")
        expect(page.locator("#review-count")).to_have_text("0")  # the heading follows
        screenshot(page, "workbench-cleared-zh-hans")

        review = [r for r in requests if r[2].startswith("/review/")]
        posts = [r for r in review if r[0] == "POST"]
        gets = [r for r in review if r[0] == "GET"]
        assert len(posts) == DECISIONS and len(gets) == DECISIONS, review
        assert not [r for r in requests if r[1] == "document"], requests
        assert {r[1] for r in review} <= {"xhr", "fetch"}

        # Every reply but the second agent's was decided by the first, once.
        assert held_by_second not in seen and len(set(seen)) == DECISIONS
        decided = Ticket.objects.filter(number__in=seen)
        assert not decided.filter(status=TicketStatus.UNDER_REVIEW).exists()
        assert TicketEvent.objects.filter(ticket__number__in=seen, kind__in=[
            EventKind.APPROVED, EventKind.REJECTED], actor=agent,
            created_at__gte=started).count() == DECISIONS
        held = Ticket.objects.get(number=held_by_second)
        assert held.status == TicketStatus.UNDER_REVIEW and held.claimed_by == second_agent
        assert TicketEvent.objects.filter(ticket__number__in=seen, kind=EventKind.REJECTED,
                                          reason="unclear_evidence").count() == 3
    finally:
        first_context.close()
        second_context.close()


def test_the_keys_are_explained_on_question_mark(browser, live_server, login, agent, queued):
    context, page = open_context(browser, login, agent, "en-US")
    try:
        page.goto(f"{live_server.url}/review/")
        expect(page.locator("#review-keys")).to_be_hidden()
        page.keyboard.press("?")
        expect(page.locator("#review-keys")).to_be_visible()
        expect(page.locator("#review-keys")).to_contain_text("Approve the reply")
    finally:
        context.close()


def test_without_javascript_a_decision_is_a_post_and_a_redirect(browser, live_server, agent,
                                                                queued):
    context = browser.new_context(java_script_enabled=False, locale="en-US")
    try:
        # Signed in with a session made on the server side: the cookie is all
        # this browser needs.
        client = Client()
        client.force_login(agent)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME,
                              "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
                              "url": live_server.url}])
        page = context.new_page()
        page.goto(f"{live_server.url}/review/{queued[0].number}/")
        with page.expect_navigation():
            page.click("#approve")
        assert page.url.endswith(f"/review/{queued[1].number}/")
        expect(page.locator(".msg-success")).to_be_visible()
        assert Ticket.objects.get(pk=queued[0].pk).status == TicketStatus.CLOSED
    finally:
        context.close()
