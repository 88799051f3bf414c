"""Where a webhook may be sent (SSRF): only to public addresses over https.

A URL is checked twice. At registration (``check_url``) its host must resolve,
and every address it resolves to must be public. At send time DNS may answer
differently (a short TTL, a rebinding attack), so the sending client connects
through ``GuardedBackend``: it resolves the host once, refuses unless every
address is public, and connects to exactly the address it checked, with no
second lookup in between. ``WEBHOOK_ALLOW_PRIVATE_ADDRESSES`` lifts both checks
and allows http, for tests and the demo's receiver on 127.0.0.1.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpcore
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class AddressRefused(Exception):
    """The URL may not be sent to; ``message`` says why (translated, for the
    person registering), ``reason`` the same in fixed English (for the log)."""

    def __init__(self, message, reason: str = "refused"):
        super().__init__(reason)
        self.message = message
        self.reason = reason


def private_allowed() -> bool:
    return settings.WEBHOOK_ALLOW_PRIVATE_ADDRESSES


def is_public(address: str) -> bool:
    """Globally routable unicast: not loopback, private, link-local, shared,
    reserved, unspecified or multicast (an IPv4-mapped IPv6 address counts as
    the IPv4 address it carries)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.version == 6 and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to, in the resolver's order. Raises
    AddressRefused when it resolves to none, or to any address that is not
    public (unless private addresses are allowed)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError, ValueError):
        raise AddressRefused(_("The host name could not be resolved."),
                             f"{host} could not be resolved") from None
    addresses = list(dict.fromkeys(info[4][0] for info in infos))
    if not addresses:
        raise AddressRefused(_("The host name could not be resolved."),
                             f"{host} could not be resolved")
    if not private_allowed() and not all(is_public(address) for address in addresses):
        raise AddressRefused(_("The address is private, loopback, link-local or multicast: "
                               "webhooks are only sent to public addresses."),
                             f"{host} resolves to an address that is not public")
    return addresses


def check_url(url: str) -> None:
    """Refuse (AddressRefused) a URL a webhook may not be registered with."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise AddressRefused(_("Enter a valid URL.")) from None
    schemes = ("https", "http") if private_allowed() else ("https",)
    if parts.scheme not in schemes:
        raise AddressRefused(_("The URL must start with https://."))
    if not parts.hostname:
        raise AddressRefused(_("Enter a valid URL."))
    if parts.username or parts.password:
        raise AddressRefused(_("The URL must not contain a user name or password."))
    resolve(parts.hostname, port or (443 if parts.scheme == "https" else 80))


class GuardedBackend(httpcore.SyncBackend):
    """httpcore's own socket backend, with the address check at connect time:
    the one lookup decides both whether and where to connect. TLS still checks
    the certificate against the URL's host name (httpcore passes it to the
    handshake separately)."""

    def connect_tcp(self, host, port, timeout=None, local_address=None, socket_options=None):
        try:
            addresses = resolve(host, port)
        except AddressRefused as refused:
            raise httpcore.ConnectError(refused.reason) from None
        last_error = None
        for address in addresses:
            try:
                return super().connect_tcp(address, port, timeout=timeout,
                                           local_address=local_address,
                                           socket_options=socket_options)
            except httpcore.ConnectError as error:
                last_error = error
        raise last_error
