"""Secrets and signatures of webhook deliveries.

``X-Desk-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">``:
the timestamp is inside what is signed, so a receiver that refuses old
timestamps (``webhooks/verify.py``, the README's snippet) cannot be replayed
an old delivery. Each attempt is signed afresh with its own time.
"""

import hashlib
import hmac
import secrets


def new_secret() -> str:
    return f"whsec_{secrets.token_urlsafe(32)}"


def signature(secret: str, body: bytes, timestamp: int) -> str:
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"
