"""The /scorecard/ pages: a merchant sees their own shop and nothing of another
(404), agents and ops the ranking and any shop; every figure links to the
ticket list showing exactly the tickets it counts; bad parameters are 400."""

import datetime as dt
import re

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from scorecard.refresh import refresh
from tickets import lifecycle


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def numbers_listed(client, url) -> set[str]:
    response = client.get(url)
    assert response.status_code == 200, url
    return set(re.findall(r'href="/tickets/(\d{16})/"', response.content.decode()))


def test_merchant_lands_on_their_shop(merchant, history, shop_a, shop_b):
    response = client_for(merchant).get("/scorecard/")
    assert response.status_code == 200
    page = response.content.decode()
    assert shop_a.name in page and shop_b.name not in page
    assert 'data-figure="timed_out">1<' in page and 'data-figure="received">4<' in page


def test_merchant_never_sees_another_shop(merchant, history, shop_b):
    client = client_for(merchant)
    assert client.get(f"/scorecard/{shop_b.id}/").status_code == 404
    assert client.get(f"/scorecard/{shop_b.id}/chart/volume.svg").status_code == 404
    assert client.get("/scorecard/999999/").status_code == 404
    # The ranking parameters change nothing for a merchant: still their own shop.
    assert shop_b.name not in client.get("/scorecard/", {"shop": shop_b.id}).content.decode()


@pytest.mark.parametrize("role", ["agent", "ops"])
def test_agents_and_ops_see_the_ranking_worst_first(request, role, history, shop_a, shop_b):
    client = client_for(request.getfixturevalue(role))
    page = client.get("/scorecard/", {"days": 7}).content.decode()
    assert page.index(f'data-shop="{shop_b.id}"') < page.index(f'data-shop="{shop_a.id}"')
    best_first = client.get("/scorecard/", {"days": 7, "sort": "-on_time_rate"})
    page = best_first.content.decode()
    assert page.index(f'data-shop="{shop_a.id}"') < page.index(f'data-shop="{shop_b.id}"')
    assert client.get(f"/scorecard/{shop_b.id}/").status_code == 200


def test_the_timed_out_figure_links_to_exactly_the_timed_out_tickets(merchant, history):
    client = client_for(merchant)
    page = client.get("/scorecard/", {"days": 7}).content.decode()
    link = re.search(r'href="([^"]+)" data-figure="timed_out"', page).group(1)
    assert numbers_listed(client, link.replace("&amp;", "&")) == {history["late"].number}
    link = re.search(r'href="([^"]+)" data-figure="received"', page).group(1)
    assert numbers_listed(client, link.replace("&amp;", "&")) == {
        history[name].number for name in ("approved", "late", "agreed", "pending")}
    link = re.search(r'href="([^"]+)" data-figure="agreed"', page).group(1)
    assert numbers_listed(client, link.replace("&amp;", "&")) == {history["agreed"].number}
    link = re.search(r'href="([^"]+)" data-figure="review_wait_median"', page).group(1)
    assert numbers_listed(client, link.replace("&amp;", "&")) == {history["approved"].number}



@pytest.mark.parametrize("params", [{"days": "14"}, {"service_type": "nope"},
                                    {"sort": "password"}])
def test_bad_parameters_are_400(agent, merchant, history, params):
    assert client_for(agent).get("/scorecard/", params).status_code == 400
    if "sort" not in params:
        assert client_for(merchant).get("/scorecard/", params).status_code == 400


def test_charts_are_svg_images_that_cannot_run_script(merchant, history, shop_a):
    response = client_for(merchant).get(f"/scorecard/{shop_a.id}/chart/on_time.svg",
                                        {"days": 30})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert "script-src" not in response["Content-Security-Policy"]
    assert response["Content-Security-Policy"].startswith("default-src 'none'")
    assert b"<svg" in response.content
    assert client_for(merchant).get(f"/scorecard/{shop_a.id}/chart/pie.svg").status_code == 404


def test_users_without_a_role_are_refused(db, history):
    from tests.factories import UserFactory

    assert client_for(UserFactory()).get("/scorecard/").status_code == 403
    assert Client().get("/scorecard/").status_code == 302


def test_a_chart_is_kept_until_a_refresh_changes_its_figures(merchant, history, shop_a,
                                                              make_ticket):
    from scorecard.refresh import refresh

    client = client_for(merchant)
    url = f"/scorecard/{shop_a.id}/chart/volume.svg"
    before = client.get(url, {"days": 7}).content
    assert client.get(url, {"days": 7}).content == before
    for _ in range(3):
        make_ticket()
    assert client.get(url, {"days": 7}).content == before  # not refreshed yet
    refresh()
    assert client.get(url, {"days": 7}).content != before


@pytest.mark.parametrize("language, shown, caption", [
    ("zh-hans", "10.5 秒", "偶数个时长的中位数取中间两个的平均值，因此可能带半秒"),
    ("en", "10.5 s", "so it can end in half a second"),
])
def test_a_median_of_whole_seconds_ending_in_half_a_second_is_explained(
        make_ticket, merchant, agent, language, shown, caption):
    """Review waits of 10 s and 11 s: the median is 10.5 s, shown as it is,
    and the page says why a figure of whole seconds ends in half a second."""
    start = timezone.now() - dt.timedelta(days=1)
    for wait in (10, 11):
        ticket = make_ticket()
        with time_machine.travel(start, tick=False):
            lifecycle.reply(ticket, actor=merchant, body="已发货")
        with time_machine.travel(start + dt.timedelta(seconds=wait), tick=False):
            lifecycle.approve(ticket, actor=agent)
    refresh()
    page = client_for(merchant).get("/scorecard/", {"days": 7},
                                    HTTP_ACCEPT_LANGUAGE=language).content.decode()
    assert re.search(rf'data-figure="review_wait_median">{re.escape(shown)}<', page)
    assert caption in page
