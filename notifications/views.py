"""Notification pages: the list, mark read (one / all), open-and-read, the badge
fragment the header polls and the unread count for scripts."""

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseStopPolling

from servicedesk.redirects import redirect_to_next

from . import services
from .forms import MarkAllReadForm
from .models import Notification

PAGE_SIZE = 20


def _list_context(request) -> dict:
    notifications = (
        Notification.objects.for_user(request.user)
        .select_related("ticket", "ticket__service_type")
        .order_by("-created_at", "-id")
    )
    page = Paginator(notifications, PAGE_SIZE).get_page(request.GET.get("page"))
    # "Mark all as read" covers what existed when the page was built (see the form);
    # on the first page its newest row is already at hand.
    if page.number == 1:
        newest_id = page.object_list[0].pk if page.object_list else None
    else:
        newest_id = notifications.values_list("pk", flat=True).first()
    return {"page": page, "newest_id": newest_id}


@login_required
@require_GET
def notification_list(request):
    return render(request, "notifications/list.html", _list_context(request))


@login_required
@require_GET
def open_notification(request, pk: int):
    """The list's link to what it is about (its ticket, or the page of a
    notification about no ticket): reading it is opening it."""
    try:
        notification = services.mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    return redirect(notification.url)


@login_required
@require_POST
def mark_read(request, pk: int):
    try:
        notification = services.mark_read(request.user, pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification.")) from None
    if request.htmx:
        # The row, plus the header badge swapped out of band.
        return render(request, "notifications/_mark_read_response.html",
                      {"notification": notification})
    return redirect_to_next(request, fallback="notifications:list")


@login_required
@require_POST
def mark_all_read(request):
    form = MarkAllReadForm(request.POST)
    if not form.is_valid():
        return HttpResponseBadRequest(_("Invalid request."))
    services.mark_all_read(request.user, up_to_id=form.cleaned_data["up_to"])
    if request.htmx:
        return render(request, "notifications/_mark_all_read_response.html",
                      _list_context(request))
    return redirect_to_next(request, fallback="notifications:list")


@never_cache
@require_GET
def badge(request):
    """The header fragment htmx polls every NOTIFICATION_POLL_SECONDS."""
    if not request.user.is_authenticated:
        # Logged out in another tab or session expired: a redirect would swap the
        # login page into the header, so tell htmx to stop polling instead.
        if request.htmx:
            return HttpResponseStopPolling(render_to_string(
                "notifications/_badge_logged_out.html", request=request))
        return redirect_to_login(request.get_full_path())
    return render(request, "notifications/_badge.html")


@never_cache
@require_GET
def unread_count(request):
    """JSON for scripts. 401 rather than a login redirect: a script wants a status,
    not an HTML page."""
    if not request.user.is_authenticated:
        return JsonResponse({"detail": _("Log in to see your notifications.")}, status=401)
    return JsonResponse({"unread": services.unread_count(request.user)})
