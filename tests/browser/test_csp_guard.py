"""The browser tests' CSP watch works: inline script or style that the policy
blocks is reported, and a reported violation fails the test."""

import time

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def wait_for_reports(page, violations, count=1, timeout=5.0):
    deadline = time.monotonic() + timeout
    while len(violations) < count and time.monotonic() < deadline:
        page.wait_for_timeout(50)  # lets Playwright deliver the page's reports
    return list(violations)


def test_an_injected_inline_script_is_blocked_and_reported(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    with pytest.raises(Exception, match="Content Security Policy|CSP|script"):
        page.add_script_tag(content="window.injected = true;")

    # Both reports (the page's event and Chromium's console error) before clearing:
    # one arriving after clear() would fail the test at teardown.
    reports = wait_for_reports(page, csp_violations, count=2)

    assert page.evaluate("window.injected === undefined")  # it did not run
    assert any("script-src" in r for r in reports), reports
    with pytest.raises(pytest.fail.Exception, match="Content Security Policy violations"):
        csp_violations.check()  # what the fixture does at teardown
    csp_violations.clear()  # this test provoked them on purpose


def test_an_injected_inline_style_is_blocked_and_reported(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    page.evaluate("""() => {
        const style = document.createElement("style");
        style.textContent = "body { background: red; }";
        document.head.appendChild(style);
    }""")

    reports = wait_for_reports(page, csp_violations)

    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgb(255, 0, 0)"
    assert any("style-src" in r for r in reports), reports
    csp_violations.clear()


def test_the_login_page_itself_reports_nothing(page, live_server, csp_violations):
    page.goto(f"{live_server.url}/accounts/login/")
    page.select_option(".langswitch select", "en")  # the header's script runs
    page.wait_for_load_state()

    assert page.locator("html").get_attribute("lang") == "en"
    assert wait_for_reports(page, csp_violations, timeout=0.5) == []
