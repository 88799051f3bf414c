"""What an export job's record says about it: the filter it used, in words
(labels of the one FilterSet, values as the list page shows them), and when its
file expires."""

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext as _

from tickets.filters import TicketFilter
from tickets.models import Resolution, ServiceType, Shop, TicketStatus

from .models import ExportKind, ExportStatus


def describe(jobs) -> None:
    """Set ``filter_summary`` and ``expires_at`` on each job: two queries at most
    (the service types and shops the filters name), whatever the number of jobs."""
    jobs = list(jobs)
    codes = {job.filter_params.get("service_type") for job in jobs} - {None, ""}
    shop_ids = {str(job.filter_params.get("shop")) for job in jobs} - {"None", ""}
    types = ({t.code: t.name for t in ServiceType.objects.filter(code__in=codes)}
             if codes else {})
    shops = ({str(s.pk): s.name for s in Shop.objects.filter(
        pk__in=[int(i) for i in shop_ids if i.isdigit()])} if shop_ids else {})
    statuses = dict(TicketStatus.choices)
    for job in jobs:
        job.expires_at = (job.finished_at + timedelta(days=settings.EXPORT_RETENTION_DAYS)
                          if job.status == ExportStatus.DONE and job.finished_at else None)
        if job.kind == ExportKind.SCORECARD:
            job.filter_summary = _("Scorecard ranking, last %(days)s days") % {
                "days": job.filter_params.get("days")}
            code = job.filter_params.get("service_type")
            if code:
                job.filter_summary += f"; {TicketFilter.base_filters['service_type'].label}: " \
                                      f"{types.get(code, code)}"
            continue
        parts = []
        for name, value in job.filter_params.items():
            spec = TicketFilter.base_filters.get(name)
            if spec is None or value in (None, ""):
                continue
            shown = {"status": statuses, "service_type": types, "shop": shops,
                     "resolution": dict(Resolution.choices)}.get(name, {}).get(str(value), value)
            parts.append(f"{spec.label}: {shown}")
        job.filter_summary = "; ".join(parts) or _("All tickets")
