"""What a merchant uploads is typed from its bytes, refused when it would be too
big to decode, and re-encoded before anyone else sees it: no script smuggled in
a text chunk, no EXIF/GPS, the extension of the real format, a thumbnail."""

import hashlib
import io

import pytest
from PIL import Image

from tests.evidence.conftest import evidence_url, reply_url, served_bytes, upload
from tests.evidence.images import (
    jpeg_with_exif,
    png_header_claiming,
    png_of,
    png_with_script,
)
from tickets import lifecycle
from tickets.errors import InvalidInput
from tickets.models import Evidence, TicketEvent, TicketStatus

SANDBOX_CSP = "default-src 'none'; img-src 'self'; sandbox"


def test_png_with_a_script_named_html_is_stored_and_served_as_a_plain_png(
        client, merchant, agent, pending_ticket):
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket), {
        "body": "见图", "evidence": [upload("photo.html", png_with_script(), "text/html")]})
    assert response.status_code == 303
    evidence = Evidence.objects.get(event__ticket=pending_ticket)
    assert evidence.image.name.endswith(".png")
    assert evidence.content_type == "image/png"

    client.force_login(agent)
    served = client.get(evidence_url(evidence))
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert served["Content-Security-Policy"] == SANDBOX_CSP
    body = served_bytes(served)
    assert body.startswith(b"\x89PNG")
    assert b"<script" not in body.lower()
    assert Image.open(io.BytesIO(body)).size == (16, 16)


def test_the_format_comes_from_the_bytes_not_the_name_or_the_content_type(
        merchant, pending_ticket):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("scan.png", jpeg_with_exif(orientation=1), "image/png")])
    evidence = Evidence.objects.get()
    assert evidence.image.name.endswith(".jpg")
    assert evidence.content_type == "image/jpeg"
    with evidence.image.open("rb") as handle:
        assert Image.open(handle).format == "JPEG"


def test_exif_and_gps_are_stripped_and_the_photo_stands_upright(merchant, pending_ticket):
    original = jpeg_with_exif(size=(40, 20), orientation=6)
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("IMG_0001.JPG", original, "image/jpeg")])
    evidence = Evidence.objects.get()
    with evidence.image.open("rb") as handle:
        stored = handle.read()
    assert b"SecretCam" not in stored and b"Model-GPS-9000" not in stored
    image = Image.open(io.BytesIO(stored))
    assert not dict(image.getexif())
    # Orientation 6 means "turn clockwise": the upright picture is 20 wide, 40 high.
    assert image.size == (20, 40)
    assert (evidence.width, evidence.height) == (20, 40)


def test_the_sha256_of_the_original_bytes_is_kept(merchant, pending_ticket):
    original = png_with_script()
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("a.png", original)])
    evidence = Evidence.objects.get()
    assert evidence.sha256 == hashlib.sha256(original).hexdigest()
    assert evidence.size == len(original)
    with evidence.image.open("rb") as handle:
        assert handle.read() != original  # re-encoded: the stored bytes differ


def test_a_thumbnail_of_at_most_320_px_is_made(merchant, pending_ticket):
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("wide.png", png_of((1000, 500), color=(0, 90, 0)))])
    evidence = Evidence.objects.get()
    assert evidence.thumbnail.name.endswith(".png")
    with evidence.thumbnail.open("rb") as handle:
        thumbnail = Image.open(handle)
        thumbnail.load()
    assert thumbnail.format == "PNG"
    assert thumbnail.size == (320, 160)


def test_an_animated_gif_is_kept_as_its_first_frame(merchant, pending_ticket):
    frames = [Image.new("P", (30, 30), i) for i in (1, 2, 3)]
    buffer = io.BytesIO()
    frames[0].save(buffer, format="GIF", save_all=True, append_images=frames[1:], duration=50,
                   comment=b"<script>alert(1)</script>")
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("moving.gif", buffer.getvalue(), "image/gif")])
    evidence = Evidence.objects.get()
    assert evidence.content_type == "image/gif"
    with evidence.image.open("rb") as handle:
        stored = handle.read()
    assert b"<script" not in stored
    assert getattr(Image.open(io.BytesIO(stored)), "n_frames", 1) == 1


def test_webp_is_accepted_and_stays_webp(merchant, pending_ticket):
    buffer = io.BytesIO()
    Image.new("RGB", (50, 40), (1, 2, 3)).save(buffer, format="WEBP")
    lifecycle.reply(pending_ticket, actor=merchant, body="见图",
                    evidence=[upload("x.jpg", buffer.getvalue(), "image/jpeg")])
    evidence = Evidence.objects.get()
    assert (evidence.content_type, evidence.image.name[-5:]) == ("image/webp", ".webp")


# --- refused before anything is written --------------------------------------------

REFUSALS = {
    # 12 KB on the wire, 100 million pixels in a reviewer's browser.
    "a side above 10000 px": (lambda: png_header_claiming(10_001, 100),
                              "10000"),
    "10000 x 10000 (the pixel cap)": (lambda: png_of((10_000, 10_000), mode="1"),
                                      "40000000"),
    "a decompression bomb": (lambda: png_header_claiming(30_000, 30_000), "10000"),
}


# Pillow warns (then we refuse) between its own warning and error thresholds.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize("case", REFUSALS)
def test_oversized_images_are_a_400_at_the_field_and_nothing_is_written(
        client, merchant, pending_ticket, media_files, case):
    make, figure = REFUSALS[case]
    before = media_files()
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket),
                           {"body": "见图", "evidence": [upload("big.png", make())]})
    assert response.status_code == 400
    errors = response.context["reply_form"].errors["evidence"]
    assert len(errors) == 1 and "big.png" in errors[0] and figure in errors[0]
    assert errors[0] in response.content.decode()
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.PENDING
    assert list(TicketEvent.objects.filter(ticket=pending_ticket).values_list("kind", flat=True)) \
        == ["created"]
    assert not Evidence.objects.exists()
    assert media_files() == before


def test_the_pixel_cap_is_a_setting_and_its_message_is_translated(
        client, merchant, pending_ticket, settings):
    settings.EVIDENCE_MAX_PIXELS = 100
    client.force_login(merchant)
    client.cookies["django_language"] = "en"
    response = client.post(reply_url(pending_ticket),
                           {"body": "see", "evidence": [upload("a.png", png_of((11, 10)))]})
    assert response.status_code == 400
    assert response.context["reply_form"].errors["evidence"] == [
        "a.png is 11 × 10 pixels; images may be at most 10,000 pixels on a side "
        "and 100 pixels in all."]
    response = client.post(reply_url(pending_ticket),
                           {"body": "see", "evidence": [upload("a.png", png_of((10, 10)))]})
    assert response.status_code == 303


def test_the_lifecycle_refuses_a_bomb_too(merchant, pending_ticket, media_files):
    before = media_files()
    with pytest.raises(InvalidInput):
        lifecycle.reply(pending_ticket, actor=merchant, body="x",
                        evidence=[upload("bomb.png", png_header_claiming(30_000, 30_000))])
    assert media_files() == before


def test_a_truncated_image_is_a_400_not_a_500(client, merchant, pending_ticket):
    complete = png_of((300, 300), color=(1, 2, 3))
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket),
                           {"body": "见图", "evidence": [upload("cut.png", complete[:120])]})
    assert response.status_code == 400
    assert "evidence" in response.context["reply_form"].errors
