"""Accepting an export request: validate the filter, count, apply the
cap and the cooldown, create the job, hand it to Celery.

Order matters. The cap is checked before the cooldown is claimed, so a refused
request (bad filter, too many rows) costs the user nothing. The cooldown claim
and the job row commit in one transaction. The task is sent from
``transaction.on_commit`` (a worker must never look for a job that is not
committed yet), and if the broker refuses it the job is marked failed and the
cooldown given back, in a second short transaction.

Why not just ``on_commit(robust=True)`` or sending inside the transaction:
robust swallows the failure, so the user would see "accepted" for a job that
never runs and lose a minute of cooldown; sending before commit lets a fast
worker miss the row. Instead the callback itself catches the publish error and
undoes the acceptance (``jobs.fail_unsent``: the job ends failed, the cooldown
claim is given back); ``request_export`` then sees the failed job and raises
``ExportUnavailable`` (503). That works because views call it outside any outer
transaction (no ATOMIC_REQUESTS), so on_commit runs when our block exits. Called
inside an outer transaction, the send waits for that commit; a broker failure
then still ends the job ``failed`` with its message on the list page.
"""

import logging
from datetime import datetime
from functools import partial

from django.db import transaction
from django.http import QueryDict
from django.utils import timezone
from django.utils.translation import gettext as _

from tickets import roles
from tickets.errors import NotPermitted
from tickets.filters import TicketFilter
from tickets.models import Shop, Ticket

from . import jobs, policy
from . import scorecard as scorecard_export
from .errors import ExportUnavailable, InvalidExportFilter
from .models import ExportJob, ExportKind

logger = logging.getLogger(__name__)

# Publishing to a dead broker: one quick retry, then give up, so the user waits
# about a second for the 503 rather than Celery's default few seconds.
PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.5,
                        "interval_max": 0.5}


def filter_params_from(data: QueryDict | dict) -> dict[str, str]:
    """Only the TicketFilter's own parameters, blanks dropped: the job stores the
    filter, not whatever else the form or the list page's URL carried."""
    return {
        name: str(data.get(name)).strip()
        for name in TicketFilter.base_filters
        if data.get(name) not in (None, "")
    }


def request_export(*, user, params: dict[str, str], language: str,
                   now: datetime | None = None) -> ExportJob:
    if not roles.can_export(user):
        raise NotPermitted()
    now = now or timezone.now()
    ticket_filter = TicketFilter(params, queryset=Ticket.objects.visible_to(user))
    if not ticket_filter.is_valid():
        raise InvalidExportFilter(ticket_filter.errors)
    count = ticket_filter.qs.count()
    policy.check_cap(count)

    shop_id = roles.shop_id_of(user) if roles.is_merchant(user) else None
    return _accept(user=user, now=now, shop=Shop.objects.get(pk=shop_id) if shop_id else None,
                   filter_params=params, language=language, matched_count=count)


def request_scorecard_export(*, user, params, language: str,
                             now: datetime | None = None) -> ExportJob:
    """Ops: the scorecard's ranking of every shop as a file, under the same cap
    (one row per shop) and the same cooldown as a ticket export."""
    if not roles.is_ops(user):
        raise NotPermitted()
    now = now or timezone.now()
    form = scorecard_export.parse(params)
    if not form.is_valid():
        raise InvalidExportFilter(form.errors)
    count = scorecard_export.row_count()
    policy.check_cap(count)
    return _accept(user=user, now=now, shop=None, kind=ExportKind.SCORECARD,
                   filter_params=scorecard_export.stored_params(form), language=language,
                   matched_count=count)


def _accept(*, user, now: datetime, **fields) -> ExportJob:
    """Claim the cooldown and create the job in one transaction; enqueue after commit."""
    with transaction.atomic():
        policy.claim_cooldown(user, now=now)
        job = jobs.create(now=now, requester=user, **fields)
        refused = []
        transaction.on_commit(partial(_enqueue, job.pk, refused=refused))
    if refused:
        raise ExportUnavailable()
    return job


def send_to_workers(job_id: int) -> bool:
    """Publish the job's task. False if the broker refused it (logged)."""
    from .tasks import build_export

    try:
        build_export.apply_async((job_id,), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:
        # Whatever kept the message from the broker (connection refused, timeout, auth).
        logger.exception("could not enqueue export job %s", job_id)
        return False
    return True


def _enqueue(job_id: int, *, refused: list) -> None:
    if send_to_workers(job_id):
        return
    # The job will never run: say so now rather than leave it queued.
    jobs.fail_unsent(job_id, message=_(
        "Exports were temporarily unavailable; this one was not started. Please try again."))
    refused.append(job_id)
