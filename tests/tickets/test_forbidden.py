"""The one 403 page: every wrong-role refusal (review queue, new ticket, the
export pages, an agent action) renders the product's own page, translated, with
the way back to the tickets; anonymous users are sent to log in instead."""

import pytest
from django.urls import reverse

from exports.models import ExportJob

NOT_ALLOWED = "无权操作"
GENERAL = "您的角色不能访问此页面或执行此操作。"
EXPORTERS_ONLY = "只有商家和运营人员可以导出服务单。"


def assert_403_page(response, message):
    assert response.status_code == 403
    html = response.content.decode()
    assert [t.name for t in response.templates][0] == "403.html"
    assert f"<h1>{NOT_ALLOWED}</h1>" in html
    assert message in html
    assert f'href="{reverse("tickets:list")}"' in html


@pytest.mark.parametrize("url", ["/review/", "/tickets/new/"])
def test_agent_pages_give_merchants_the_403_page(client, merchant, url):
    client.force_login(merchant)
    assert_403_page(client.get(url), GENERAL)


@pytest.mark.parametrize("method, path", [("get", "/exports/"), ("post", "/exports/"),
                                          ("get", "/exports/{pk}/row/"),
                                          ("get", "/exports/{pk}/download/")])
def test_export_pages_give_agents_the_same_403_page_saying_who_may_export(
        client, agent, merchant, method, path):
    job = ExportJob.objects.create(requester=merchant, language="zh-hans", matched_count=1)
    client.force_login(agent)
    response = getattr(client, method)(path.format(pk=job.pk))
    assert_403_page(response, EXPORTERS_ONLY)


def test_a_refused_ticket_action_renders_the_same_page(client, ops, under_review_ticket):
    client.force_login(ops)
    response = client.post(f"/tickets/{under_review_ticket.number}/approve/")
    assert_403_page(response, GENERAL)


def test_the_403_page_speaks_english_too(client, merchant):
    client.force_login(merchant)
    client.cookies["django_language"] = "en"
    html = client.get("/review/").content.decode()
    assert "<h1>Not allowed</h1>" in html
    assert "Your role does not allow this page or action." in html


@pytest.mark.parametrize("url", ["/review/", "/tickets/new/", "/exports/"])
def test_anonymous_users_are_sent_to_log_in_not_refused(client, db, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next={url}")
