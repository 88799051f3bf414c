"""Making, finding and revoking personal API tokens.

A token reads ``sd_<prefix>_<secret>``: the prefix finds the row, the SHA-256
of the whole token must equal the stored hash. A random 256-bit secret needs no
slow password hash: there is nothing to guess from its hash."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from time import monotonic

from django.conf import settings
from django.contrib.auth.models import User
from django.db.models import F
from django.utils import timezone

from tickets import roles
from tickets.compiled import CompiledQuery

from .models import ApiToken

PREFIX = "sd"
# A token's "last used" is written at most this often: not one UPDATE per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def create_token(*, user, name: str, read_only: bool = False,
                 expires_at: datetime | None = None) -> tuple[ApiToken, str]:
    """The new token row and the token itself, which is never stored or shown again."""
    prefix = secrets.token_hex(6)
    raw = f"{PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name.strip(), prefix=prefix,
                                    hashed=_digest(raw), read_only=read_only,
                                    expires_at=expires_at)
    return token, raw


# The user's columns, read in the token's query under these names.
_USER_FIELDS = [field.attname for field in User._meta.concrete_fields]


def _token_with_user_and_role(prefix: str):
    """The token ``prefix`` names with its user's columns and role, shop and
    manager flag: one query per request for who is asking."""
    return (ApiToken.objects.filter(prefix=prefix).order_by()
            .annotate(**roles.role_annotations("user_id"),
                      **{f"_user_{name}": F(f"user__{name}") for name in _USER_FIELDS}))


# Compiled once (see tickets.compiled); the marker is no prefix a token has.
_FIND = CompiledQuery(_token_with_user_and_role, mark="~no-such-prefix~")


# Tokens this process has checked, by the digest of the whole token: (until
# when, per monotonic(), the token with its user and role). See
# API_TOKEN_REUSE_SECONDS; ``forget_checked_tokens`` empties it.
_CHECKED: dict[str, tuple[float, ApiToken]] = {}
# Past this many tokens the oldest checks are dropped all at once.
MAX_CHECKED = 1024


def forget_checked_tokens(**_signal) -> None:
    """Read every token afresh from its next request on (a token, a user, a
    role or a shop membership changed: ``api.apps`` connects the signals)."""
    _CHECKED.clear()


def find_usable(raw: str, *, now: datetime | None = None) -> ApiToken | None:
    """The token ``raw`` names, if it exists, matches, and is neither revoked,
    expired, nor its user deactivated. A token checked in the last
    API_TOKEN_REUSE_SECONDS is not read again (unless something it depends on
    changed in this process since)."""
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1]:
        return None
    digest = _digest(raw)
    checked = _CHECKED.get(digest)
    if checked is not None and monotonic() < checked[0]:
        token = checked[1]
    else:
        token = _read(parts[1], digest)
        if token is None:
            return None
    now = now or timezone.now()
    if not token.is_usable(now):
        return None
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        token.last_used_at = now
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


def _read(prefix: str, digest: str) -> ApiToken | None:
    token = _FIND.first(prefix)
    if token is None or not hmac.compare_digest(token.hashed, digest):
        return None
    token.user = User.from_db(token._state.db, _USER_FIELDS,
                              [getattr(token, f"_user_{name}") for name in _USER_FIELDS])
    roles.remember_role(token.user, token)
    if settings.API_TOKEN_REUSE_SECONDS:
        if len(_CHECKED) >= MAX_CHECKED:
            _CHECKED.clear()
        _CHECKED[digest] = (monotonic() + settings.API_TOKEN_REUSE_SECONDS, token)
    return token


def tokens_of(user):
    return ApiToken.objects.filter(user=user)


def revoke(*, user, token_id: int, now: datetime | None = None) -> bool:
    """Revoke one of ``user``'s own tokens; False if there is no such usable token."""
    revoked = bool(tokens_of(user).filter(pk=token_id, revoked_at__isnull=True)
                   .update(revoked_at=now or timezone.now()))
    forget_checked_tokens()
    return revoked
