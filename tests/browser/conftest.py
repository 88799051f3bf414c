"""Real-browser tests: Playwright driving Debian's Chromium against
pytest-django's live_server. Every page any test opens is watched for Content
Security Policy violations; a test during which one occurred fails."""

import os
import shutil
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext

from tests.conftest import skip_or_fail

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Screenshots land here for people to look at (CI keeps them as artefacts).
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not (os.path.exists(CHROMIUM) or shutil.which("chromium")):
        skip_or_fail(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"],
    }


@pytest.fixture
def screenshot():
    """screenshot(page, "name") saves test-artifacts/name.png."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(page, name: str):
        path = ARTIFACTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def login(live_server):
    """login(page, user) logs the user in through the real login form
    (every factory user's password is pw-test-123)."""

    def do_login(page, user, password="pw-test-123"):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("#id_username", user.username)
        page.fill("#id_password", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/tickets/**")
        return page

    return do_login


# Runs in every frame before the page's own scripts (Playwright injects it
# through the DevTools protocol, so the page's CSP does not apply to it).
REPORT_VIOLATIONS = """
document.addEventListener("securitypolicyviolation", (event) => {
  window.__reportCspViolation(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline code"} ` +
    `on ${document.location.pathname} (${event.sourceFile || ""}:${event.lineNumber})`);
});
"""


class CspViolations(list):
    """What the browser reported: securitypolicyviolation events and the console
    errors Chromium prints for them."""

    def watch(self, context: BrowserContext):
        context.expose_binding("__reportCspViolation", lambda source, text: self.append(text))
        context.add_init_script(REPORT_VIOLATIONS)
        context.on("console", self._console)

    def _console(self, message):
        if message.type == "error" and "Content Security Policy" in message.text:
            self.append(f"console: {message.text}")

    def check(self):
        if self:
            pytest.fail("Content Security Policy violations during the test:\n"
                        + "\n".join(f"- {v}" for v in self), pytrace=False)


@pytest.fixture(autouse=True)
def csp_violations(monkeypatch):
    """Watches every browser context the test opens (pytest-playwright's own
    ``context``/``page`` and any ``browser.new_context()``) and fails the test
    at teardown if a page reported a CSP violation. Contexts are closed by then,
    which delivers the last reports."""
    violations = CspViolations()
    original = Browser.new_context

    def new_context(self, *args, **kwargs):
        context = original(self, *args, **kwargs)
        violations.watch(context)
        return context

    monkeypatch.setattr(Browser, "new_context", new_context)
    yield violations
    violations.check()
