"""Following a ``next`` parameter safely.

``next`` comes from the request, so it is whatever the sender wants: another
site (an open redirect), a ``javascript:`` URL, or a bare word that Django's
``redirect()`` would try to reverse as a URL name (NoReverseMatch, a 500).
Only a path on this site is followed; anything else goes to the fallback.
The login view does this itself (Django's LoginView); every other view that
honours ``next`` goes through here."""

from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def same_site_path(request, target: str | None) -> str | None:
    """``target`` if it is a path on this site (``/...``), else None."""
    if not target or not target.startswith("/"):
        return None
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        return None
    return target


def redirect_to_next(request, *, fallback: str, field: str = "next") -> HttpResponseRedirect:
    """Redirect to the request's ``next`` (POST, else GET) when it is a same-site
    path, else to ``fallback`` (a URL name or path of our own)."""
    data = request.POST if request.method == "POST" else request.GET
    target = same_site_path(request, data.get(field))
    # Not redirect(): it would treat the target as a URL name if it could be one.
    return HttpResponseRedirect(target or resolve_url(fallback))
