"""With DEBUG off (production and `make demo`), errors show the product's own
pages in the product's look, never Django's debug pages; the 500 page renders
even when the database is what failed."""

import pytest
from django.db import OperationalError, connection
from django.test import Client

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.DEBUG = False
    settings.ROOT_URLCONF = "tests.site.error_urls"
    return Client(raise_request_exception=False)


def test_a_server_error_shows_the_products_500_page_without_the_database(
        production, monkeypatch):
    def refuse(*args, **kwargs):
        raise OperationalError("the database is down")

    monkeypatch.setattr(connection, "cursor", refuse)  # nothing may need it now
    response = production.get("/test-failure/")

    assert response.status_code == 500
    page = response.content.decode()
    assert "出错了" in page  # the product's page, in the default language
    assert 'class="topbar"' in page
    assert "Traceback" not in page and "OperationalError" not in page


def test_the_500_page_speaks_english_when_asked(production, settings):
    production.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"

    response = production.get("/test-failure/")

    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_a_missing_page_shows_the_products_404_page(production):
    response = production.get("/no-such-page/")

    assert response.status_code == 404
    page = response.content.decode()
    assert "这里没有内容，或者您无权查看。" in page
    assert "URLconf" not in page
