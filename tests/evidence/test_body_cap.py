"""Request bodies are capped: a body larger than four evidence images plus room
for the form fields is answered 413 with a translated page, before Django reads
it. Django's own RequestDataTooBig (fields over DATA_UPLOAD_MAX_MEMORY_SIZE)
is a 413 too, not its default 400."""

import io
import socket
import time

import pytest
from django.conf import settings as django_settings

from tests.evidence.conftest import reply_url, upload
from tests.evidence.images import png_of
from tickets.models import Evidence, TicketStatus


def test_the_default_cap_is_four_images_plus_room_for_the_fields():
    assert django_settings.REQUEST_BODY_MAX_BYTES == (
        django_settings.EVIDENCE_MAX_FILES * django_settings.EVIDENCE_MAX_BYTES
        + django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE)


@pytest.mark.parametrize("language, message", [
    ("zh-hans", "上传的内容太大"), ("en", "What you sent is too large")])
def test_a_body_declared_larger_than_the_cap_is_413_without_reading_it(
        client, merchant, pending_ticket, language, message):
    """The payload is a few bytes but claims a gigabyte: Django's test payload
    refuses to be read past its end, so a 413 here proves nothing read it."""
    client.force_login(merchant)
    client.cookies["django_language"] = language
    response = client.generic(
        "POST", reply_url(pending_ticket), b"--x\r\n",
        content_type="multipart/form-data; boundary=x", CONTENT_LENGTH=str(1024 ** 3))
    assert response.status_code == 413
    assert message in response.content.decode()
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.PENDING


def test_an_upload_over_the_cap_is_413_and_stores_nothing(client, merchant, pending_ticket,
                                                          settings, media_files):
    settings.REQUEST_BODY_MAX_BYTES = 50_000
    before = media_files()
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket), {
        "body": "见图",
        "evidence": [upload(f"{i}.png", png_of((100, 100)) + b"\0" * 20_000) for i in range(3)]})
    assert response.status_code == 413
    assert not Evidence.objects.exists()
    assert media_files() == before


def test_four_images_at_the_size_limit_fit_under_the_cap(client, merchant, pending_ticket,
                                                         settings):
    settings.EVIDENCE_MAX_BYTES = 30_000
    settings.REQUEST_BODY_MAX_BYTES = 4 * 30_000 + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    image = png_of((100, 100))
    padded = image + b"\0" * (30_000 - len(image))  # Pillow ignores bytes after IEND
    client.force_login(merchant)
    response = client.post(reply_url(pending_ticket), {
        "body": "见图", "evidence": [upload(f"{i}.png", padded) for i in range(4)]})
    assert response.status_code == 303
    assert Evidence.objects.count() == 4


def test_a_chunked_body_over_the_cap_is_413(client, merchant, pending_ticket, settings):
    """No Content-Length (Transfer-Encoding: chunked, as gunicorn passes it on):
    the cap counts what is read, and stops reading there."""
    settings.REQUEST_BODY_MAX_BYTES = 10_000
    client.force_login(merchant)
    response = client.generic(
        "POST", reply_url(pending_ticket), b"x" * 20_000,
        content_type="multipart/form-data; boundary=x", CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(b"x" * 20_000)})
    assert response.status_code == 413


def test_a_chunked_body_under_the_cap_is_read_as_usual(client, merchant, pending_ticket):
    client.force_login(merchant)
    body = b"body=%E5%A5%BD%E7%9A%84"  # body=好的
    response = client.generic(
        "POST", reply_url(pending_ticket), body,
        content_type="application/x-www-form-urlencoded", CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked", **{"wsgi.input": io.BytesIO(body)})
    assert response.status_code == 303
    pending_ticket.refresh_from_db()
    assert pending_ticket.status == TicketStatus.UNDER_REVIEW


def test_form_fields_over_django_s_limit_are_413_not_400(client, merchant, pending_ticket,
                                                         settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client.force_login(merchant)
    client.cookies["django_language"] = "en"
    response = client.post(reply_url(pending_ticket), {"body": "x" * 5000})
    assert response.status_code == 413
    assert "What you sent is too large" in response.content.decode()


def test_a_real_server_answers_413_before_the_body_is_sent(live_server):
    """Through a real HTTP server: the headers announce a gigabyte, no byte of it
    follows, and the 413 comes back at once (nothing waited for the body)."""
    host, port = live_server.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(b"POST /tickets/0/reply/ HTTP/1.1\r\nHost: " + host.encode()
                     + b"\r\nContent-Type: multipart/form-data; boundary=x\r\n"
                     + b"Content-Length: 1073741824\r\n\r\n")
        started = time.monotonic()
        status_line = sock.makefile("rb").readline()
    assert status_line.split()[1] == b"413"
    assert time.monotonic() - started < 5


def test_a_view_reading_an_oversized_body_itself_gets_the_413_too(rf, merchant):
    """Views that read request.body (not a form) meet the same answer."""
    from django.core.exceptions import RequestDataTooBig
    from django.http import HttpResponse

    from servicedesk.request_limits import RequestBodyLimitMiddleware

    request = rf.post("/anything/", data=b"{}", content_type="application/json")
    request.user = merchant
    middleware = RequestBodyLimitMiddleware(lambda request: HttpResponse())
    response = middleware.process_exception(request, RequestDataTooBig("too big"))
    assert response.status_code == 413
    assert middleware.process_exception(request, ValueError("other")) is None
