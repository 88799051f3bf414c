"""Evidence (the image and its thumbnail) is served with the type it was stored
as, never sniffed, sandboxed, inline under a name we chose, cached only by the
viewer's browser, and only to people who may see the ticket."""

import pytest
from PIL import Image

from tests.evidence.conftest import evidence_url, served_bytes, thumbnail_url, upload
from tests.evidence.images import png_of
from tickets import lifecycle
from tickets.models import Evidence

SANDBOX_CSP = "default-src 'none'; img-src 'self'; sandbox"
URLS = {"image": evidence_url, "thumbnail": thumbnail_url}


@pytest.fixture
def evidence(merchant, pending_ticket):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("发货单 <b>\"x\".png", png_of((640, 480), color=(9, 9, 9)))])
    return Evidence.objects.get(event__ticket=pending_ticket)


@pytest.mark.parametrize("which", URLS)
def test_evidence_is_served_with_its_stored_type_nosniff_and_a_sandbox(client, agent,
                                                                      evidence, which):
    client.force_login(agent)
    response = client.get(URLS[which](evidence))
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == SANDBOX_CSP
    assert response["Content-Disposition"] == f'inline; filename="evidence-{evidence.pk}.png"'
    assert response["Cache-Control"] == "private, max-age=3600"
    body = served_bytes(response)
    expected = (640, 480) if which == "image" else (320, 240)
    import io
    assert Image.open(io.BytesIO(body)).size == expected


@pytest.mark.parametrize("which", URLS)
@pytest.mark.parametrize("role, status", [
    ("merchant", 200), ("outsider", 404), ("agent", 200), ("ops", 200)])
def test_only_people_who_see_the_ticket_get_its_evidence(client, request, evidence, which,
                                                         role, status):
    client.force_login(request.getfixturevalue(role))
    assert client.get(URLS[which](evidence)).status_code == status


@pytest.mark.parametrize("which", URLS)
def test_evidence_needs_login(client, evidence, which):
    assert client.get(URLS[which](evidence)).status_code == 302


def test_evidence_stored_before_normalising_is_not_served(client, agent, evidence):
    """A row without a stored type is an upload from before re-encoding; until
    normalize_evidence has checked it, nobody gets its bytes."""
    Evidence.objects.filter(pk=evidence.pk).update(content_type="")
    client.force_login(agent)
    assert client.get(evidence_url(evidence)).status_code == 404
    assert client.get(thumbnail_url(evidence)).status_code == 404


def test_the_thread_shows_thumbnails_that_link_to_the_image(client, merchant, evidence):
    client.force_login(merchant)
    html = client.get(f"/tickets/{evidence.event.ticket.number}/").content.decode()
    assert f'<a href="{evidence_url(evidence)}"' in html
    assert f'src="{thumbnail_url(evidence)}"' in html
    assert f'src="{evidence_url(evidence)}"' not in html
