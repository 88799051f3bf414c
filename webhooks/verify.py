import hashlib
import hmac
import time


def verify_signature(secret: str, body: bytes, header: str, *, tolerance: int = 300) -> bool:
    """True when ``header`` (X-Desk-Signature) signs ``body`` with ``secret``
    and its timestamp is at most ``tolerance`` seconds away from now."""
    try:
        fields = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(fields["t"])
        signature = fields["v1"]
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance:
        return False
    signed = f"{timestamp}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)
