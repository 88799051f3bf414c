"""The committed catalogues stay in sync with the code: makemessages over a
copy of the project finds exactly the committed msgids, every Simplified
Chinese msgid has a translation (none fuzzy), and each compiled .mo says what
its .po says. Fails with the list of offending strings."""

import gettext
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "servicedesk" / "locale"
LANGS = ("zh_Hans", "en")
SOURCES = ("manage.py", "servicedesk", "tickets", "exports", "notifications", "api", "webhooks",
           "scorecard", "templates")


def parse_po(path: Path) -> dict:
    """{(context, msgid): {"str": [msgstr or msgstr[n]...], "fuzzy": bool}}; the
    header and obsolete (#~) entries are left out."""
    entries = {}
    for block in path.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.splitlines() if not line.startswith("#~")]
        fields, current = {}, None
        for line in lines:
            if line.startswith("#"):
                continue
            if line.startswith("msg"):
                current, _, rest = line.partition(" ")
                fields[current] = json.loads(rest)
            elif line.startswith('"') and current:
                fields[current] += json.loads(line)
        if "msgid" not in fields or fields["msgid"] == "":
            continue
        strings = [v for k, v in sorted(fields.items()) if k.startswith("msgstr")]
        key = (fields.get("msgctxt"), fields["msgid"])
        entries[key] = {"str": strings, "plural": "msgid_plural" in fields,
                        "fuzzy": any(line.startswith("#,") and "fuzzy" in line
                                     for line in lines)}
    return entries


@pytest.fixture(scope="module")
def fresh_catalogues(tmp_path_factory):
    if not shutil.which("xgettext"):
        skip_or_fail("GNU gettext is not installed (apt-get install gettext)")
    copy = tmp_path_factory.mktemp("i18n-project")
    for name in SOURCES:
        source = ROOT / name
        if source.is_dir():
            shutil.copytree(source, copy / name, ignore=shutil.ignore_patterns(
                "__pycache__", "locale", "static"))
        else:
            shutil.copy(source, copy / name)
    (copy / "servicedesk" / "locale").mkdir()
    args = [sys.executable, "manage.py", "makemessages", "--no-location"]
    for lang in LANGS:
        args += ["-l", lang]
    subprocess.run(args, cwd=copy, check=True, capture_output=True,
                   env={"PATH": "/usr/bin:/bin", "VAR_DIR": str(copy / "var"),
                        "DJANGO_SETTINGS_MODULE": "servicedesk.settings"})
    return {lang: parse_po(copy / "servicedesk/locale" / lang / "LC_MESSAGES/django.po")
            for lang in LANGS}


@pytest.mark.parametrize("lang", LANGS)
def test_catalogue_has_exactly_the_strings_of_the_code(fresh_catalogues, lang):
    committed = parse_po(LOCALE / lang / "LC_MESSAGES" / "django.po")
    missing = sorted(set(fresh_catalogues[lang]) - set(committed), key=str)
    stale = sorted(set(committed) - set(fresh_catalogues[lang]), key=str)
    assert not missing, f"run makemessages; not in the {lang} catalogue: {missing}"
    assert not stale, f"run makemessages; no longer in the code: {stale}"


def test_every_chinese_string_is_translated_and_not_fuzzy():
    catalogue = parse_po(LOCALE / "zh_Hans" / "LC_MESSAGES" / "django.po")
    untranslated = [key for key, entry in catalogue.items()
                    if entry["fuzzy"] or not all(entry["str"])]
    assert catalogue
    assert not untranslated, f"fill the zh_Hans msgstr of: {untranslated}"


@pytest.mark.parametrize("lang", LANGS)
def test_compiled_catalogue_matches_its_source(lang):
    folder = LOCALE / lang / "LC_MESSAGES"
    with open(folder / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    expected = {}
    for (context, msgid), entry in parse_po(folder / "django.po").items():
        if entry["fuzzy"] or not all(entry["str"]):
            continue  # msgfmt leaves these out
        key = f"{context}\x04{msgid}" if context else msgid
        if entry["plural"]:
            for n, text in enumerate(entry["str"]):
                expected[(key, n)] = text
        else:
            expected[key] = entry["str"][0]
    actual = {k: v for k, v in compiled.items() if k != ""}
    assert actual == expected, "run compilemessages: the .mo is older than the .po"
