"""The CI smoke run of ``make audit`` (manage.py audit_pages): the plan in
--dry-run, and the whole command against the live test server with a stand-in
for Lighthouse that checks it was handed a signed-in session. The real
Lighthouse run is ``make audit`` (npm and Chromium), not a CI test."""

import stat
import sys
from io import StringIO

import pytest
from django.core.management import call_command

from tickets import demo

FAKE_LIGHTHOUSE = """#!{python}
import json, sys, urllib.request
url = sys.argv[1]
headers = json.loads(next(a for a in sys.argv if a.startswith("--extra-headers="))
                     .split("=", 1)[1])
answer = urllib.request.urlopen(urllib.request.Request(url, headers=headers))
signed_in = answer.status == 200 and "/accounts/login/" not in answer.url
desktop = "--preset=desktop" in sys.argv
score = (0.97 if desktop else 0.91) if signed_in else 0.0
print(json.dumps({{"categories": {{c: {{"score": score}} for c in
    ("performance", "accessibility", "best-practices", "seo")}}}}))
"""


@pytest.fixture
def seeded(transactional_db):
    demo.seed_cast_and_story()


def run(*args) -> tuple[str, int]:
    out = StringIO()
    try:
        call_command("audit_pages", *args, stdout=out)
    except SystemExit as exit_:
        return out.getvalue(), exit_.code
    return out.getvalue(), 0


def test_dry_run_lists_every_page_and_form_factor(seeded):
    out, code = run("--dry-run")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 6
    assert [line.split(":")[0] for line in lines] == [
        "list desktop", "list mobile", "detail desktop", "detail mobile",
        "review desktop", "review mobile"]
    assert all("--preset=desktop" in line for line in lines if " desktop:" in line)
    assert not any("--preset" in line for line in lines if " mobile:" in line)
    assert all("--extra-headers=" in line and "Cookie" in line for line in lines)


def test_audit_signs_in_and_prints_scores_and_verdicts(seeded, live_server, tmp_path):
    fake = tmp_path / "lighthouse"
    fake.write_text(FAKE_LIGHTHOUSE.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    out, code = run("--url", live_server.url, "--lighthouse", str(fake), "--pages", "list,review")
    assert code == 1, out  # mobile's 91 misses the accessibility target
    rows = [line.split() for line in out.splitlines()[1:5]]
    assert [row[:2] for row in rows] == [["list", "desktop"], ["list", "mobile"],
                                         ["review", "desktop"], ["review", "mobile"]]
    assert rows[0][2:6] == ["97"] * 4 and rows[1][2:6] == ["91"] * 4
    assert "target accessibility >= 95 on every page: FAIL (lowest 91)" in out
    assert "target performance >= 90 on every page: PASS (lowest 91)" in out


def test_audit_passes_when_every_target_is_met(seeded, live_server, tmp_path):
    fake = tmp_path / "lighthouse"
    fake.write_text(FAKE_LIGHTHOUSE.format(python=sys.executable))
    fake.chmod(fake.stat().st_mode | stat.S_IEXEC)
    out, code = run("--url", live_server.url, "--lighthouse", str(fake), "--pages", "detail",
                    "--form-factors", "desktop")
    assert code == 0, out
    assert out.count(": PASS (lowest 97)") == 3
