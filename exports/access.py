"""Whose export jobs a user may see: the pages and the API ask here."""

from tickets import roles

from .models import ExportJob


def jobs_visible_to(user):
    """Ops see every job; everyone else only their own."""
    jobs = ExportJob.objects.select_related("requester", "shop")
    return jobs if roles.is_ops(user) else jobs.filter(requester=user)
