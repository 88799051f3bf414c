"""What the pages say to assistive technology, in the server's HTML: evidence
images described rather than named by their file, tables with captions, column
headers and an empty row spanning every column, the role as words, language
names and money through the catalogues, one live region per page."""

import re

import pytest
from django.conf import settings

from tickets import lifecycle


def get(client, path, language="zh-hans"):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.get(path)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language, expected", [
    ("zh-hans", r"凭证图片 1/2，{who}，\d{{4}}-\d\d-\d\d \d\d:\d\d"),
    ("en", r"Evidence image 1/2, {who}, \d{{4}}-\d\d-\d\d \d\d:\d\d"),
])
def test_evidence_alt_says_what_the_image_is(client, merchant, agent, make_ticket, image_upload,
                                             language, expected):
    ticket = lifecycle.reply(make_ticket(), actor=merchant, body="已发货",
                             evidence=[image_upload("IMG_secret-name.png"),
                                       image_upload("second.png")])
    client.force_login(agent)
    html = get(client, ticket.get_absolute_url(), language)
    alts = re.findall(r'<img [^>]*alt="([^"]*)"', html)
    assert len(alts) == 2
    assert re.fullmatch(expected.format(who=merchant.username), alts[0])
    assert alts[1].startswith("凭证图片 2/2" if language == "zh-hans" else "Evidence image 2/2")
    assert "IMG_secret-name" not in html


# Pending: the merchant's select box and "handle" action, the time left;
# closed: the result instead; agents see the shop.
@pytest.mark.parametrize("role, columns", [("merchant", {"pending": 11, "closed": 9}),
                                           ("agent", {"pending": 10, "closed": 10})])
def test_empty_ticket_table_spans_all_its_columns(client, request, role, columns):
    client.force_login(request.getfixturevalue(role))
    for status in ("pending", "closed"):
        html = get(client, f"/tickets/?status={status}&order_number=nothing-matches")
        headers = re.findall(r'<th scope="col"', html)
        assert len(headers) == columns[status]
        assert f'<td colspan="{len(headers)}">' in html
        assert re.search(r'<caption class="visually-hidden">服务单: ', html)


def test_review_queue_table_has_caption_and_headers(client, agent):
    client.force_login(agent)
    html = get(client, "/review/", "en")
    assert '<caption class="visually-hidden">Replies waiting for review</caption>' in html
    assert len(re.findall(r'<th scope="col"', html)) == 5


@pytest.mark.parametrize("language, label", [("zh-hans", "商家"), ("en", "Merchant")])
def test_role_tooltip_is_a_word_not_a_code(client, merchant, language, label):
    client.force_login(merchant)
    html = get(client, "/handling-times/", language)
    assert f'title="{label}"' in html
    assert 'title="merchant"' not in html


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_menu_names_each_language_in_itself(client, merchant, language):
    client.force_login(merchant)
    html = get(client, "/handling-times/", language)
    assert '<option value="zh-hans" lang="zh-hans"' in html and ">简体中文</option>" in html
    assert '<option value="en" lang="en"' in html and ">English</option>" in html


@pytest.mark.parametrize("language, amount", [("zh-hans", "<dd>¥299.00</dd>"),
                                              ("en", "<dd>CN¥299.00</dd>")])
def test_amount_is_formatted_through_the_catalogue(client, merchant, pending_ticket,
                                                   language, amount):
    client.force_login(merchant)
    assert amount in get(client, pending_ticket.get_absolute_url(), language)


@pytest.mark.parametrize("language, placeholder", [("zh-hans", "年-月-日"), ("en", "YYYY-MM-DD")])
def test_date_placeholder_is_translated(client, merchant, language, placeholder):
    client.force_login(merchant)
    html = get(client, "/tickets/", language)
    assert f'placeholder="{placeholder}"' in html


def test_one_live_region_and_the_export_feedback_is_not_another(client, merchant):
    client.force_login(merchant)
    html = get(client, "/tickets/")
    assert len(re.findall(r'aria-live=', html)) == 1
    assert 'id="live-region"' in html
    feedback = re.search(r'<span class="export-feedback"[^>]*>', html).group(0)
    assert "role=" not in feedback and "aria-live" not in feedback


def test_skip_link_comes_first_and_targets_main(client, merchant):
    client.force_login(merchant)
    html = get(client, "/tickets/")
    body = html.split("<body", 1)[1]
    first_link = re.search(r"<a [^>]*>", body).group(0)
    assert 'class="skip-link"' in first_link and 'href="#main"' in first_link
    assert '<main class="container" id="main" tabindex="-1">' in html


def test_reply_evidence_errors_are_linked_to_the_field(client, merchant, pending_ticket,
                                                      image_upload):
    client.force_login(merchant)
    not_an_image = image_upload("fake.png", b"this is no image")
    response = client.post(f"/tickets/{pending_ticket.number}/reply/",
                           {"body": "已发货", "evidence": [not_an_image]})
    assert response.status_code == 400
    html = response.content.decode()
    field = re.search(r'<input type="file"[^>]*>', html).group(0)
    assert 'aria-invalid="true"' in field
    assert 'aria-describedby="evidence-help id_evidence_error"' in field
    assert 'id="id_evidence_error"' in html and 'id="evidence-help"' in html
