"""Templates link by URL name, never by a written path, so a route that moves
cannot leave a dead link behind; the header still marks the current section."""

import re
from pathlib import Path

import pytest
from django.conf import settings

# href="/...", action="/...", src="/...", hx-get="/..." and the like.
WRITTEN_PATH = re.compile(r"""\b(?:href|action|src|hx-[a-z]+)\s*=\s*["']/""")


def template_files():
    for folder in settings.TEMPLATES[0]["DIRS"]:
        yield from sorted(Path(folder).rglob("*.html"))


def test_the_template_folder_is_found():
    assert any(path.name == "base.html" for path in template_files())


@pytest.mark.parametrize("path", list(template_files()), ids=lambda p: p.name)
def test_no_template_writes_a_path(path):
    offending = [f"{path.name}:{number}: {line.strip()}"
                 for number, line in enumerate(path.read_text().splitlines(), 1)
                 if WRITTEN_PATH.search(line)]
    assert offending == []


@pytest.mark.parametrize("url, section", [
    ("/tickets/", "/tickets/"),
    ("/tickets/new/", "/tickets/"),
    ("/review/", "/review/"),
    ("/handling-times/", "/handling-times/"),
])
def test_header_marks_the_current_section_for_agents(client, agent, url, section):
    client.force_login(agent)
    html = client.get(url).content.decode()
    nav = html[html.index('class="mainnav"'):html.index("</nav>")]
    assert re.findall(r'href="([^"]+)" class="active"', nav) == [section]


def test_header_marks_exports_under_every_export_page(client, merchant):
    client.force_login(merchant)
    html = client.get("/exports/").content.decode()
    nav = html[html.index('class="mainnav"'):html.index("</nav>")]
    assert re.findall(r'href="([^"]+)" class="active"', nav) == ["/exports/"]
