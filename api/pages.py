"""The personal API tokens page: create (the token is shown once, on the
response to the POST, never stored), list, revoke."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from . import tokens
from .forms import TokenCreateForm


def _render(request, form, *, new_token=None, status=200):
    return render(request, "api/tokens.html", {
        "form": form,
        "tokens": tokens.tokens_of(request.user),
        "new_token": new_token,
        "now": timezone.now(),
    }, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def token_list(request):
    if request.method == "GET":
        return _render(request, TokenCreateForm())
    form = TokenCreateForm(request.POST)
    if not form.is_valid():
        return _render(request, form, status=400)
    expires_in = form.expires_in()
    _token, raw = tokens.create_token(
        user=request.user, name=form.cleaned_data["name"],
        read_only=form.cleaned_data["read_only"],
        expires_at=timezone.now() + expires_in if expires_in else None)
    # Rendered, not redirected: the token must not travel through the session.
    response = _render(request, TokenCreateForm(), new_token=raw, status=201)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def token_revoke(request, pk: int):
    if tokens.revoke(user=request.user, token_id=pk):
        messages.success(request, _("The token was revoked."))
    return redirect("api_tokens:list")
