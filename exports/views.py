"""Export pages: the job list with the new-export form, the polled progress
row, and the download. Agents and users without a role get
403 on all of them; a job that is not yours is 404."""

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from tickets import roles
from tickets.errors import TicketError
from tickets.filters import TicketFilter
from tickets.http import role_required

from .access import ExportUnavailable, export_file_response, jobs_visible_to
from .describe import describe
from .errors import ExportCooldownActive, InvalidExportFilter
from .requests import filter_params_from, request_export, request_scorecard_export

JOBS_PER_PAGE = 20


# Agents and users without a role get the product's 403 page, saying who may export.
exporters_only = role_required(
    roles.can_export,
    message=gettext_lazy("Only merchants and operations staff can export tickets."))


@exporters_only
@require_http_methods(["GET", "POST"])
def export_list(request):
    if request.method == "POST":
        return _create(request)
    return _render_list(request, form_data=request.GET or None)


def _create(request):
    # Exactly the posted filter: the export page's form and the ticket list's
    # button both post it as fields. Whatever the URL carries (a list page's
    # query string, a stale link) must not widen or narrow what is exported.
    params = filter_params_from(request.POST)
    try:
        job = request_export(user=request.user, params=params, language=get_language())
    except TicketError as error:
        if request.htmx:
            response = render(request, "exports/_request_refused.html", {"error": error},
                              status=error.status_code)
        else:
            response = _render_list(request, form_data=params, error=error,
                                    status=error.status_code)
        if isinstance(error, ExportCooldownActive):
            response["Retry-After"] = str(error.retry_after)
        return response
    messages.success(request, ngettext(
        "Export started: %(count)s ticket. The file appears below when it is ready.",
        "Export started: %(count)s tickets. The file appears below when it is ready.",
        job.matched_count,
    ) % {"count": f"{job.matched_count:,}"})
    if request.htmx:
        return HttpResponseClientRedirect(reverse("exports:list"))
    return redirect("exports:list", permanent=False)


def _render_list(request, *, form_data, error=None, status=200):
    page = Paginator(jobs_visible_to(request.user), JOBS_PER_PAGE).get_page(
        request.GET.get("page"))
    ticket_filter = TicketFilter(form_data)
    if isinstance(error, InvalidExportFilter):
        ticket_filter.is_valid()  # show the field errors next to the fields
    jobs = list(page.object_list)
    describe(jobs)
    return render(request, "exports/list.html", {
        "page": page,
        "jobs": jobs,
        "filter_form": ticket_filter.form,
        # Not "error": base.html shows that one above every page, this page shows it here.
        "refusal": error,
        "max_rows": settings.EXPORT_MAX_ROWS,
        "sees_all": roles.is_ops(request.user),
    }, status=status)


@exporters_only
@require_GET
def job_row(request, pk: int):
    """The job's table row, polled by htmx while the job is queued or running."""
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    describe([job])
    return render(request, "exports/_job_row.html",
                  {"job": job, "sees_all": roles.is_ops(request.user)})


@exporters_only
@require_GET
def download(request, pk: int):
    job = get_object_or_404(jobs_visible_to(request.user), pk=pk)
    try:
        return export_file_response(job)
    except ExportUnavailable as unavailable:
        return render(request, "exports/message.html", {"message": unavailable.message},
                      status=unavailable.status)


@role_required(roles.is_ops,
               message=gettext_lazy("Only operations staff can export the scorecard ranking."))
@require_POST
def scorecard_export(request):
    """The scorecard ranking on screen (its period and service type) as a file."""
    try:
        request_scorecard_export(user=request.user, params=request.POST,
                                 language=get_language())
    except TicketError as error:
        response = _render_list(request, form_data=None, error=error, status=error.status_code)
        if isinstance(error, ExportCooldownActive):
            response["Retry-After"] = str(error.retry_after)
        return response
    messages.success(request, gettext_lazy(
        "Export of the scorecard ranking started. The file appears below when it is ready."))
    return redirect("exports:list", permanent=False)
