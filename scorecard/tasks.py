"""Celery tasks of the scorecard: thin adapters around ``scorecard.upkeep``
and ``scorecard.weekly``."""

from celery import shared_task

from . import upkeep, weekly


@shared_task(name="scorecard.tasks.refresh_scorecard", ignore_result=True)
def refresh_scorecard() -> dict:
    """Run by beat every SCORECARD_REFRESH_SECONDS; rebuilds only the days that
    changed since the last run, so running it again is cheap and harmless;
    then computes the new rollups' durations for the pages and folds the open
    tickets' kept changes (``scorecard.open_counts``)."""
    result = upkeep.bring_up_to_date()
    return {"days": result.days, "rows": result.rows}


@shared_task(name="scorecard.tasks.send_weekly_summaries", ignore_result=True)
def send_weekly_summaries() -> int:
    """Run by beat every hour: each shop's week goes out once its Monday has
    begun in the shop's time zone and the rollups cover the week."""
    return weekly.send_weekly_summaries()
