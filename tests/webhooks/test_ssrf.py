"""Where webhooks may go: https to public addresses only, checked when an
endpoint is registered and again, on the address actually connected to, when
each delivery is sent."""

import socket

import pytest

from webhooks import addresses, delivery
from webhooks.models import Delivery, DeliveryStatus

pytestmark = pytest.mark.django_db

PUBLIC = "93.184.216.34"


@pytest.fixture
def strict(settings):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = False


@pytest.fixture
def dns(monkeypatch):
    """dns["name"] = "address": what the resolver answers for a made-up name
    (the resolver is not ours; real names resolve as usual)."""
    answers = {}
    real = socket.getaddrinfo

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            family = socket.AF_INET6 if ":" in answers[host] else socket.AF_INET
            return [(family, socket.SOCK_STREAM, 6, "", (answers[host], port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


@pytest.mark.parametrize("url", [
    "http://127.0.0.1/hook",
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://192.168.1.10/hook",
    "https://[::1]/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://224.0.0.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://localhost/hook",
    "https://0.0.0.0/hook",
])
def test_private_loopback_link_local_and_multicast_urls_are_refused(strict, url):
    with pytest.raises(addresses.AddressRefused):
        addresses.check_url(url)


def test_a_name_resolving_to_a_private_address_is_refused(strict, dns):
    dns["erp.example.test"] = "127.0.0.1"
    with pytest.raises(addresses.AddressRefused):
        addresses.check_url("https://erp.example.test/hook")


def test_plain_http_is_refused_even_to_a_public_address(strict, dns):
    dns["erp.example.test"] = PUBLIC
    with pytest.raises(addresses.AddressRefused):
        addresses.check_url("http://erp.example.test/hook")
    addresses.check_url("https://erp.example.test/hook")


def test_an_unresolvable_name_is_refused(strict):
    with pytest.raises(addresses.AddressRefused):
        addresses.check_url("https://no-such-host.invalid/hook")


def test_the_api_refuses_a_private_url_with_a_field_error(strict, merchant, token_for):
    from tests.api.conftest import bearer, problem

    response = bearer(token_for(merchant)).post(
        "/api/v1/webhooks/", {"url": "https://10.0.0.1/hook", "events": ["ticket.created"]},
        format="json")
    body = problem(response, 400, "validation_error")
    assert "url" in body["errors"]


def test_a_name_that_turns_private_after_registration_is_refused_at_send_time(
        strict, dns, receiver, endpoint_for, merchant, make_ticket,
        django_capture_on_commit_callbacks):
    port = receiver.url.split(":")[2].split("/")[0]
    dns["erp.example.test"] = PUBLIC
    endpoint = endpoint_for(merchant, url=f"https://erp.example.test:{port}/hook")
    # DNS rebinding: the name now answers with the receiver's loopback address.
    dns["erp.example.test"] = "127.0.0.1"
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket()
    row = Delivery.objects.get(ticket=ticket, endpoint=endpoint)
    assert row.status == DeliveryStatus.PENDING and row.attempts == 1
    assert "erp.example.test resolves to an address that is not public" in row.last_error
    assert receiver.requests == []


def test_allowing_private_addresses_lets_tests_and_the_demo_use_http_on_loopback(
        settings, receiver, endpoint_for, merchant, make_ticket,
        django_capture_on_commit_callbacks):
    settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES = True
    addresses.check_url(receiver.url)
    endpoint_for(merchant)
    with django_capture_on_commit_callbacks(execute=True):
        make_ticket()
    assert len(receiver.requests) == 1
    assert Delivery.objects.get().status == DeliveryStatus.DELIVERED
    assert delivery.MAX_ATTEMPTS == 8
