"""Every page carries a Content Security Policy that allows no inline or
eval'd script and no inline style, and the templates contain nothing such a
policy would block (inline handlers, hx-on, inline <script>, style attributes)."""

import re
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


def directives(response) -> dict:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in
            (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.parametrize("path, status", [
    ("/accounts/login/", 200),
    ("/healthz", 200),
    ("/no-such-page/", 404),
])
def test_anonymous_pages_carry_the_policy(client, path, status):
    response = client.get(path)

    assert response.status_code == status
    policy = directives(response)
    assert policy["script-src"] == ["'self'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'self'"]
    assert policy["form-action"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["default-src"] == ["'self'"]


def test_signed_in_pages_carry_the_policy(client, merchant, pending_ticket):
    client.force_login(merchant)
    for path in ("/tickets/", f"/tickets/{pending_ticket.number}/", "/notifications/",
                 "/handling-times/", "/exports/"):
        response = client.get(path)
        assert response.status_code == 200, path
        header = response["Content-Security-Policy"]
        assert "unsafe-inline" not in header and "unsafe-eval" not in header, path


def test_htmx_is_told_not_to_eval_or_inject_styles(client):
    page = client.get("/accounts/login/").content.decode()

    [config] = re.findall(r"<meta name=\"htmx-config\" content='([^']*)'>", page)
    assert '"allowEval": false' in config
    assert '"includeIndicatorStyles": false' in config


INLINE_CODE = [
    (re.compile(r"\son[a-z]+\s*=", re.I), "inline event handler"),
    (re.compile(r"hx-on", re.I), "hx-on (htmx evaluates it)"),
    (re.compile(r"\sstyle\s*=", re.I), "style attribute"),
    (re.compile(r"<style", re.I), "inline <style>"),
    (re.compile(r"javascript:", re.I), "javascript: URL"),
]


def test_templates_contain_no_code_the_policy_would_block():
    found = []
    for template in sorted(TEMPLATES.rglob("*.html")):
        text = template.read_text(encoding="utf-8")
        for pattern, what in INLINE_CODE:
            found += [f"{template.relative_to(TEMPLATES)}: {what}" for _ in pattern.findall(text)]
        # <script> only with src= (code from static files) or as a JSON data block.
        for tag in re.findall(r"<script\b[^>]*>", text, re.I):
            if "src=" not in tag and 'type="application/json"' not in tag:
                found.append(f"{template.relative_to(TEMPLATES)}: inline {tag}")
    assert not found, found
