"""The tokens page and the API docs in a real browser: a token is shown once
and works; the Swagger UI renders every operation from our own static files."""

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_a_token_see_it_once_and_use_it(page, live_server, login, screenshot, merchant,
                                              pending_ticket):
    login(page, merchant)
    page.click(".settings-menu summary")  # the header's settings menu
    page.click("a[href='/settings/tokens/']")
    page.fill("#id_name", "ERP 同步")
    page.click("form[action='/settings/tokens/'] button[type=submit]")
    token = page.inner_text("#new-token-value").strip()
    assert token.startswith("sd_")
    screenshot(page, "api-token-created")
    page.goto(f"{live_server.url}/settings/tokens/")
    expect(page.locator("#new-token-value")).to_have_count(0)
    expect(page.locator("table")).to_contain_text("ERP 同步")
    assert token not in page.content()
    response = page.request.get(f"{live_server.url}/api/v1/tickets/{pending_ticket.number}/",
                                headers={"Authorization": f"Bearer {token}"})
    assert response.status == 200 and response.json()["number"] == pending_ticket.number
    page.click("form[action$='/revoke/'] button[type=submit]")
    response = page.request.get(f"{live_server.url}/api/v1/tickets/",
                                headers={"Authorization": f"Bearer {token}", "Cookie": ""})
    assert response.status == 401


def test_docs_render_every_operation_from_local_files(page, live_server, screenshot, db):
    origins = set()
    page.on("request", lambda request: origins.add(request.url.split("/")[2]))
    page.goto(f"{live_server.url}/api/v1/docs/")
    expect(page.locator(".opblock").first).to_be_visible(timeout=20_000)
    schema = page.request.get(f"{live_server.url}/api/v1/schema/?format=json").json()
    operations = sum(len(methods) for methods in schema["paths"].values())
    # The contract's 14 operations and the reply templates' 3, at least.
    assert operations >= 17
    assert page.locator(".opblock").count() == operations
    screenshot(page, "api-docs")
    assert origins == {live_server.url.split("/")[2]}, origins
