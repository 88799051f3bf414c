"""The receivers' verification function: accepts the desk's signature, refuses
a tampered body, a wrong secret, an old timestamp and malformed headers."""

import time

import time_machine

from webhooks.signing import new_secret, signature
from webhooks.verify import verify_signature

BODY = b'{"id":"x","type":"ping"}'


def test_a_fresh_signature_of_the_exact_body_is_accepted():
    secret = new_secret()
    assert verify_signature(secret, BODY, signature(secret, BODY, int(time.time())))


def test_a_changed_body_or_another_secret_is_refused():
    secret = new_secret()
    header = signature(secret, BODY, int(time.time()))
    assert not verify_signature(secret, BODY + b" ", header)
    assert not verify_signature(new_secret(), BODY, header)


def test_a_signature_older_than_five_minutes_is_refused():
    secret = new_secret()
    header = signature(secret, BODY, int(time.time()))
    with time_machine.travel(time.time() + 299, tick=False):
        assert verify_signature(secret, BODY, header)
    with time_machine.travel(time.time() + 301, tick=False):
        assert not verify_signature(secret, BODY, header)


def test_malformed_headers_are_refused_without_an_error():
    secret = new_secret()
    for header in ("", "t=", "v1=abc", "t=abc,v1=00", "garbage", "t=1,v1"):
        assert not verify_signature(secret, BODY, header)
