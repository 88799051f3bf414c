"""The README's verification snippet is exactly the code the tests verify with."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_readme_shows_verify_py_verbatim_in_its_webhooks_section():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Webhooks\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    snippet = next(block for block in blocks if "def verify_signature" in block)
    assert snippet == (ROOT / "webhooks" / "verify.py").read_text()


def test_the_readme_documents_every_webhook_setting():
    readme = (ROOT / "README.md").read_text()
    for name in ("WEBHOOK_TIMEOUT_SECONDS", "WEBHOOK_DISABLE_AFTER_FAILURES",
                 "WEBHOOK_LOG_RETENTION_DAYS", "WEBHOOK_RETRY_INTERVAL_SECONDS",
                 "WEBHOOK_ALLOW_PRIVATE_ADDRESSES", "SITE_URL"):
        assert f"| `{name}` |" in readme, name
