"""The review workbench (/review/): the queue beside the selected reply,
claims, decisions that lead to the next reply, coded rejection reasons, and
who may open it."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from tests.factories import MerchantFactory, ServiceTypeFactory, UserFactory
from tickets import claims, lifecycle, reasons
from tickets.models import EventKind, RejectReason, Ticket, TicketEvent, TicketStatus

REVIEW = "/review/"


def review_url(ticket, action=""):
    return f"/review/{ticket.number}/{action + '/' if action else ''}"


@pytest.fixture
def agent2(db):
    return UserFactory(username="agent2", role="agent")


@pytest.fixture
def queue(make_ticket, merchant):
    """Three replies waiting, oldest first."""
    now = timezone.now()
    tickets = [make_ticket() for _ in range(3)]
    for i, ticket in enumerate(tickets):
        lifecycle.reply(ticket, actor=merchant, body=f"回复 {i}",
                        now=now - dt.timedelta(hours=3 - i))
    return tickets


def status_of(ticket):
    return Ticket.objects.get(pk=ticket.pk).status


def html_of(response):
    return response.content.decode()


# --- opening and claiming ----------------------------------------------------------

def test_opening_a_reply_claims_it_and_shows_it_in_reading_order(client, agent, queue):
    client.force_login(agent)
    response = client.get(review_url(queue[0]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert Ticket.objects.get(pk=queue[0].pk).claimed_by == agent
    html = html_of(response)
    pane = html[html.index('id="review-pane"'):]
    order = ["What the buyer needs", "The merchant's reply", "Order number", 'id="approve"']
    positions = [pane.index(text) for text in order]
    assert positions == sorted(positions)
    assert "回复 0" in pane


def test_previous_and_next_are_the_neighbours_in_the_queue_others_claims_skipped(
        client, agent, agent2, make_ticket, merchant, queue):
    fourth = make_ticket()
    lifecycle.reply(fourth, actor=merchant, body="回复 3")
    client.force_login(agent2)
    client.get(review_url(queue[1]))  # agent2 holds the middle one
    client.force_login(agent)

    def neighbours(ticket):
        pane = client.get(review_url(ticket)).context["pane"]
        return pane.prev_number, pane.next_number

    assert neighbours(queue[0]) == (None, queue[2].number)
    assert neighbours(queue[2]) == (queue[0].number, fourth.number)
    assert neighbours(fourth) == (queue[2].number, None)


def test_another_agents_queue_skips_a_claimed_reply(client, agent, agent2, queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    client.force_login(agent2)
    rows = client.get(REVIEW).context["page"].rows
    assert [t.number for t in rows] == [queue[1].number, queue[2].number]


def test_opening_a_claimed_reply_says_who_is_reviewing_it(client, agent, agent2, queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    client.force_login(agent2)
    response = client.get(review_url(queue[0]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = html_of(response)
    assert "正在由 agent 审核" in html
    assert 'id="take-over"' in html and 'id="approve"' not in html
    assert Ticket.objects.get(pk=queue[0].pk).claimed_by == agent


def test_a_claimed_reply_refuses_another_agents_decision_everywhere(client, agent, agent2,
                                                                    queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    client.force_login(agent2)
    workbench = client.post(review_url(queue[0], "approve"))
    page = client.post(f"/tickets/{queue[0].number}/reject/",
                       {"reason_code": "not_solved"})
    assert (workbench.status_code, page.status_code) == (409, 409)
    assert "agent" in html_of(workbench)
    assert status_of(queue[0]) == TicketStatus.UNDER_REVIEW


def test_take_over_records_an_event_and_then_the_decision_is_allowed(client, agent, agent2,
                                                                     queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    client.force_login(agent2)
    response = client.post(review_url(queue[0], "take-over"))
    assert response.status_code == 303 and response["Location"] == review_url(queue[0])
    event = TicketEvent.objects.get(ticket=queue[0], kind=EventKind.TAKEN_OVER)
    assert (event.actor, event.text) == (agent2, "agent")
    assert client.post(review_url(queue[0], "approve")).status_code == 303
    assert status_of(queue[0]) == TicketStatus.CLOSED


def test_an_expired_claim_does_not_block_the_workbench(client, agent, agent2, queue, settings):
    long_ago = timezone.now() - dt.timedelta(seconds=settings.REVIEW_CLAIM_SECONDS + 5)
    claims.claim(queue[0], agent, now=long_ago)
    client.force_login(agent2)
    assert queue[0].number in [t.number for t in client.get(REVIEW).context["page"].rows]
    assert client.post(review_url(queue[0], "approve")).status_code == 303
    assert status_of(queue[0]) == TicketStatus.CLOSED


def test_the_open_page_renews_its_claim(client, agent, agent2, queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    before = Ticket.objects.get(pk=queue[0].pk).claim_expires_at
    assert client.post(review_url(queue[0], "claim")).status_code == 204
    assert Ticket.objects.get(pk=queue[0].pk).claim_expires_at > before
    client.force_login(agent2)
    assert client.post(review_url(queue[0], "claim")).status_code == 409


# --- deciding and moving on ---------------------------------------------------------

def test_a_decision_redirects_to_the_next_reply_already_claimed(client, agent, queue):
    client.force_login(agent)
    client.get(review_url(queue[0]))
    response = client.post(review_url(queue[0], "approve"))
    assert response.status_code == 303
    assert response["Location"] == review_url(queue[1])
    claimed = Ticket.objects.get(pk=queue[1].pk)
    assert claimed.claimed_by == agent
    assert Ticket.objects.get(pk=queue[0].pk).claimed_by is None


def test_the_filter_rides_along_to_the_next_reply(client, agent, queue):
    client.force_login(agent)
    response = client.post(review_url(queue[0], "approve") + "?service_type=shipping_urge")
    assert response["Location"] == review_url(queue[1]) + "?service_type=shipping_urge"


def test_after_the_last_reply_the_queue_is_shown(client, agent, under_review_ticket):
    client.force_login(agent)
    response = client.post(review_url(under_review_ticket, "approve"))
    assert response["Location"] == REVIEW


def test_htmx_gets_the_pane_and_the_queue_out_of_band_not_a_page(client, agent, queue):
    client.force_login(agent)
    response = client.get(review_url(queue[1]), HTTP_HX_REQUEST="true")
    html = html_of(response)
    assert response.status_code == 200 and "<html" not in html
    assert html.lstrip().startswith('<section id="review-pane"')
    assert 'id="review-queue" class="review-queue" hx-swap-oob="true"' in html
    assert response["HX-Push-Url"] == review_url(queue[1])


def test_a_refused_htmx_decision_comes_back_as_the_pane_with_the_message(client, agent, queue):
    client.force_login(agent)
    response = client.post(review_url(queue[0], "reject"), {"reason_code": ""},
                           HTTP_HX_REQUEST="true", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    assert "Choose a reason for the rejection." in html_of(response)
    assert status_of(queue[0]) == TicketStatus.UNDER_REVIEW


def test_close_as_agreed_from_the_workbench(client, agent, queue):
    client.force_login(agent)
    response = client.post(review_url(queue[0], "close"), {"note": "协商一致"})
    assert response.status_code == 303
    assert Ticket.objects.get(pk=queue[0].pk).resolution == "agreed"


# --- filters --------------------------------------------------------------------

def test_queue_filters_by_service_type_and_rejected_before(client, agent, merchant, queue,
                                                           make_ticket):
    other_type = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    invoice = lifecycle.reply(make_ticket(service_type_=other_type), actor=merchant, body="好")
    again = queue[2]
    lifecycle.reject(again, actor=agent, reason_code="not_solved")
    lifecycle.reply(again, actor=merchant, body="再次回复")
    client.force_login(agent)
    by_type = client.get(REVIEW, {"service_type": "invoice"}).context["page"].rows
    assert [t.number for t in by_type] == [invoice.number]
    rejected = client.get(REVIEW, {"rejected_before": "true"}).context["page"].rows
    assert [t.number for t in rejected] == [again.number]
    never = client.get(REVIEW, {"rejected_before": "false"}).context["page"].rows
    assert again.number not in [t.number for t in never] and len(never) == 3


@pytest.mark.parametrize("params", [{"service_type": "nope"}, {"rejected_before": "maybe"}])
def test_a_bad_filter_is_400(client, agent, params):
    client.force_login(agent)
    assert client.get(REVIEW, params).status_code == 400


# --- coded reasons ----------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"reason": "请补充"}, "Choose a reason for the rejection."),
    ({"reason_code": "nope"}, "This rejection reason does not exist or is no longer in use."),
    ({"reason_code": "other"}, "the reason “Other” needs a text."),
])
def test_a_bad_reason_is_400_with_a_message(client, agent, under_review_ticket, data, message):
    client.force_login(agent)
    for url in (review_url(under_review_ticket, "reject"),
                f"/tickets/{under_review_ticket.number}/reject/"):
        response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 400, url
        assert message in html_of(response), url
    assert status_of(under_review_ticket) == TicketStatus.UNDER_REVIEW


def test_an_inactive_reason_is_400(client, agent, under_review_ticket, reject_reasons):
    RejectReason.objects.filter(code="mismatch").update(is_active=False)
    client.force_login(agent)
    response = client.post(review_url(under_review_ticket, "reject"), {"reason_code": "mismatch"})
    assert response.status_code == 400
    assert status_of(under_review_ticket) == TicketStatus.UNDER_REVIEW


def test_a_reason_for_another_service_type_is_400(client, agent, under_review_ticket,
                                                  reject_reasons):
    invoice = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")
    reject_reasons["invalid_tracking"].service_types.set([invoice])
    client.force_login(agent)
    response = client.post(review_url(under_review_ticket, "reject"),
                           {"reason_code": "invalid_tracking"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert "该驳回原因不适用于此服务类型" in html_of(response)
    # The form only offers what applies.
    form = html_of(client.get(review_url(under_review_ticket)))
    assert 'value="invalid_tracking"' not in form and 'value="not_solved"' in form


def test_the_offered_reasons_are_read_once_a_while_and_an_edit_here_shows_at_once(
        reject_reasons, django_assert_num_queries, monkeypatch):
    invoice = ServiceTypeFactory(code="invoice", name_zh="发票", name_en="Invoice")

    def offered():
        return [reason.code for reason in reasons.choices_for(invoice.pk)]

    assert "mismatch" in offered()
    with django_assert_num_queries(0):
        assert "mismatch" in offered()
    # As the admin site saves it (in this process): at once.
    reject_reasons["mismatch"].is_active = False
    reject_reasons["mismatch"].save()
    assert "mismatch" not in offered()
    reject_reasons["not_solved"].service_types.set([ServiceTypeFactory(code="other_type")])
    assert "not_solved" not in offered()
    # Changed through another process (no signal here): once the catalogue is
    # older than CATALOGUE_SECONDS.
    RejectReason.objects.filter(code="mismatch").update(is_active=True)
    assert "mismatch" not in offered()
    monkeypatch.setattr(reasons, "CATALOGUE_SECONDS", -1)
    assert "mismatch" in offered()


def test_a_coded_rejection_is_recorded_and_shown_with_its_label(client, agent, merchant,
                                                                under_review_ticket):
    client.force_login(agent)
    response = client.post(review_url(under_review_ticket, "reject"),
                           {"reason_code": "unclear_evidence", "reason": "照片太模糊"})
    assert response.status_code == 303
    event = TicketEvent.objects.get(ticket=under_review_ticket, kind=EventKind.REJECTED)
    assert (event.reason_id, event.text) == ("unclear_evidence", "照片太模糊")
    ticket = Ticket.objects.get(pk=under_review_ticket.pk)
    assert ticket.last_reject_reason_id == "unclear_evidence"
    # The merchant's card shows the label and the words.
    client.force_login(merchant)
    card = html_of(client.get(ticket.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    card = card[card.index('id="rejection"'):]
    assert "凭证不清晰" in card and "照片太模糊" in card and "请在新的截止时间前重新回复" in card


def test_agents_read_a_rejection_as_rejected_reason_who_and_when(client, agent, merchant,
                                                                 under_review_ticket):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="mismatch", reason="单号不对")
    client.force_login(agent)
    html = html_of(client.get(under_review_ticket.get_absolute_url(),
                              HTTP_ACCEPT_LANGUAGE="zh-hans"))
    card = html[html.index('id="rejection"'):html.index("</section>", html.index('id="rejection"'))]
    assert "已驳回：回复与订单不符" in card and "agent" in card and "单号不对" in card
    assert "重新回复" not in card
    # And in the workbench, the earlier rejection with the reply it rejected.
    lifecycle.reply(under_review_ticket, actor=merchant, body="新的回复")
    pane = html_of(client.get(review_url(under_review_ticket), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    history = pane[pane.index("review-history"):]
    assert "已驳回：回复与订单不符" in history and "今天下午发出" in history
    assert "重新回复" not in pane


def test_the_thread_shows_the_reason_label(client, agent, under_review_ticket):
    lifecycle.reject(under_review_ticket, actor=agent, reason_code="invalid_tracking")
    client.force_login(agent)
    html = html_of(client.get(under_review_ticket.get_absolute_url(),
                              HTTP_ACCEPT_LANGUAGE="en"))
    thread = html[html.index('class="thread"'):]
    assert re.search(r"event-rejected.*?Invalid tracking information", thread, re.S)


# --- who may open it ------------------------------------------------------------

@pytest.mark.parametrize("role", ["merchant", "outsider", "ops"])
def test_the_workbench_is_for_agents_only(client, request, role, under_review_ticket):
    client.force_login(request.getfixturevalue(role))
    for url in (REVIEW, review_url(under_review_ticket)):
        assert client.get(url).status_code == 403, url
    for action in ("approve", "reject", "close", "take-over", "claim"):
        assert client.post(review_url(under_review_ticket, action),
                           {"reason_code": "other", "reason": "x"}).status_code == 403
    assert status_of(under_review_ticket) == TicketStatus.UNDER_REVIEW
    assert Ticket.objects.get(pk=under_review_ticket.pk).claimed_by is None


def test_an_unknown_ticket_is_404(client, agent):
    client.force_login(agent)
    assert client.get("/review/2612019999999999/").status_code == 404
    assert client.post("/review/2612019999999999/approve/").status_code == 404


def test_the_workbench_needs_login(client, under_review_ticket):
    assert client.get(review_url(under_review_ticket))["Location"].startswith("/accounts/login/")


def test_a_merchant_of_the_shop_still_cannot_decide(client, shop_a, under_review_ticket):
    other = MerchantFactory(username="m2", membership__shop=shop_a)
    client.force_login(other)
    assert client.post(review_url(under_review_ticket, "approve")).status_code == 403


# --- cost -----------------------------------------------------------------------

def test_the_fragment_costs_the_same_queries_whatever_the_queue(client, agent, merchant,
                                                                make_ticket,
                                                                django_assert_max_num_queries):
    now = timezone.now()
    tickets = [make_ticket() for _ in range(30)]
    for i, ticket in enumerate(tickets):
        lifecycle.reply(ticket, actor=merchant, body="好", now=now - dt.timedelta(minutes=60 - i))
    lifecycle.reject(tickets[15], actor=agent, reason_code="other", reason="x")
    lifecycle.reply(tickets[15], actor=merchant, body="再来")
    client.force_login(agent)
    client.get(review_url(tickets[0]), HTTP_HX_REQUEST="true")
    # the user, the ticket, the claim (+ letting go of the previous one), the
    # thread, its evidence, the reasons, the queue page and its count,
    # previous and next, the filter's choices
    for ticket in (tickets[1], tickets[15], tickets[29]):
        with django_assert_max_num_queries(16):
            client.get(review_url(ticket), HTTP_HX_REQUEST="true")
